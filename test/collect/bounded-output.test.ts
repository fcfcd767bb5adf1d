/**
 * The bounded collector every NodeShell reads command output through, and the bound on untrusted
 * messages: exact cut points, no half UTF-8 characters, the truncated marker, and memory that does
 * not grow past the limit whatever arrives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedOutput, CommandCapture } from '../../src/collect/node/bounded-output.js';
import { boundMessage, formatBytes, utf8Prefix } from '../../src/collect/untrusted-text.js';

test('keeps everything up to the limit, then exactly the first limit bytes', () => {
  const b = new BoundedOutput(10);
  assert.equal(b.push(Buffer.from('12345')), true);
  assert.equal(b.push(Buffer.from('67890')), true, 'exactly at the limit is not past it');
  assert.equal(b.truncated, false);
  assert.equal(b.text(), '1234567890');
  assert.equal(b.push(Buffer.from('x')), false);
  assert.equal(b.truncated, true);
  assert.equal(b.text(), '1234567890');
  assert.equal(b.push(Buffer.from('more')), false, 'stays over');
});

test('a chunk that crosses the limit is cut inside, and later chunks are dropped', () => {
  const b = new BoundedOutput(4);
  assert.equal(b.push(Buffer.from('abcdef')), false);
  assert.equal(b.text(), 'abcd');
  for (let i = 0; i < 1000; i++) b.push(Buffer.alloc(64 * 1024, 0x41));
  assert.equal(b.text(), 'abcd', 'nothing past the limit is kept, however much arrives');
});

test('a cut never leaves half a UTF-8 character', () => {
  // "é" is 2 bytes, "€" 3, "𝄞" 4: cut inside each.
  for (const [text, limit, kept] of [['aé', 2, 'a'], ['a€', 3, 'a'], ['a𝄞', 4, 'a'], ['a𝄞b', 5, 'a𝄞']] as const) {
    const b = new BoundedOutput(limit);
    b.push(Buffer.from(text));
    assert.equal(b.text(), kept, `${text} at ${limit}`);
    assert.ok(!b.text().includes('\uFFFD'));
  }
  assert.equal(utf8Prefix(Buffer.from('€€'), 4).toString(), '€');
});

test('the capture marks which stream was cut, and np-doctor\'s note is added whole', () => {
  const c = new CommandCapture(8);
  c.stdout.push(Buffer.from('0123456789'));
  c.stderr.push(Buffer.from('warn\n'));
  const r = c.result(null, c.stopNote(['iptables-save']));
  assert.equal(r.stdout, '01234567');
  assert.deepEqual(r.truncated, { stdout: true, stderr: false, limitBytes: 8 });
  assert.equal(r.exitCode, null);
  assert.equal(r.stderr, 'warn\nnp-doctor: "iptables-save" printed more than 8 bytes on stdout; np-doctor kept the first 8 bytes and stopped it\n');

  const ok = new CommandCapture(8);
  ok.stdout.push(Buffer.from('fine'));
  const r2 = ok.result(0);
  assert.equal(r2.truncated, undefined, 'no marker when nothing was cut');
  assert.deepEqual(r2, { stdout: 'fine', stderr: '', exitCode: 0 });
});

test('a limit must be a positive whole number', () => {
  assert.throws(() => new BoundedOutput(0), RangeError);
  assert.throws(() => new BoundedOutput(1.5), RangeError);
});

test('untrusted messages are cut at 4 KiB of UTF-8 and say so', () => {
  assert.equal(boundMessage('short'), 'short');
  const long = 'é'.repeat(5000);
  const cut = boundMessage(long);
  assert.ok(Buffer.byteLength(cut) < 4096 + 64, `${Buffer.byteLength(cut)} bytes`);
  assert.match(cut, /… \[np-doctor cut 5904 more bytes\]$/);
  assert.ok(!cut.includes('\uFFFD'));
  assert.equal(boundMessage('x'.repeat(20), 10), 'xxxxxxxxxx… [np-doctor cut 10 more bytes]');
});

test('limits read as a person writes them', () => {
  assert.equal(formatBytes(64 * 2 ** 20), '64 MiB');
  assert.equal(formatBytes(4096), '4 KiB');
  assert.equal(formatBytes(1500), '1.5 KiB');
  assert.equal(formatBytes(8), '8 bytes');
});
