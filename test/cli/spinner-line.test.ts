/**
 * The gathering spinner at --parallel 8: one line however many steps run at once (a wrapped
 * spinner line is redrawn as garbage), the node count first, and silence in CI.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { spinner } from '../../src/cli/spinner.js';

/** A stream ora takes for a terminal, and everything written to it. */
function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString('utf8')));
  Object.assign(s, { isTTY: true, columns: 200, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) assert.fail('never happened');
    await new Promise((r) => setImmediate(r));
  }
}

test('eight nodes at once: the count and two nodes on the line, then how many more', async () => {
  const tty = terminal();
  const io: Io = { stdout: () => {}, stderr: () => {}, env: { TERM: 'xterm' }, isTTY: true, progressStream: tty.stream };
  const p = await spinner(io);
  try {
    p.start('nodes', 'nodes 0/100 read');
    for (let i = 1; i <= 8; i++) p.start(`node:n${i}`, `n${i}: iptables-save`);
    await until(() => tty.text().includes('+6 more'));
    // ora redraws with cursor moves: the frame is the text between control sequences.
    const frames = tty.text().split(new RegExp(`\r|\n|${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`));
    const last = frames.filter((l) => l.includes('+6 more')).at(-1)!;
    assert.match(last, /nodes 0\/100 read {2}· {2}n1: iptables-save {2}· {2}n2: iptables-save {2}· {2}\+6 more$/);
    assert.doesNotMatch(last, /n3:/);
  } finally {
    p.stop();
  }
});

test('silent in CI', async () => {
  const tty = terminal();
  const p = await spinner({ stdout: () => {}, stderr: () => {}, env: { CI: 'true' }, isTTY: true, progressStream: tty.stream });
  p.start('nodes', 'nodes 0/3 read');
  p.succeed('nodes', 'nodes 3/3 read');
  p.stop();
  assert.equal(tty.text(), '');
});
