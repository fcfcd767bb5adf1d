/**
 * The words of a dumped rule handed back to `iptables -D`: what iptables-save prints comes back
 * word for word; a rule that carries one of iptables' own options (or a NUL) gets no words at all.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ruleSpecWords } from '../../src/check-kit/rule-words.js';

describe('ruleSpecWords', () => {
  test('gives the words after -A CHAIN, a quoted comment as one word', () => {
    assert.deepEqual(
      ruleSpecWords('-A INPUT -p tcp -m tcp --dport 30000:32767 -m comment --comment "ops; curl $(id)|sh #" -j REJECT --reject-with icmp-host-prohibited', 'INPUT'),
      ['-p', 'tcp', '-m', 'tcp', '--dport', '30000:32767', '-m', 'comment', '--comment', 'ops; curl $(id)|sh #', '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited'],
    );
    assert.deepEqual(ruleSpecWords('-A FORWARD ! -s 10.0.0.0/8 -m recent --set --name x -j DROP', 'FORWARD'), ['!', '-s', '10.0.0.0/8', '-m', 'recent', '--set', '--name', 'x', '-j', 'DROP']);
  });

  test('refuses a rule of another chain, an unterminated quote, or no -A', () => {
    assert.equal(ruleSpecWords('-A OTHER -j DROP', 'INPUT'), null);
    assert.equal(ruleSpecWords('-A INPUT -m comment --comment "open -j DROP', 'INPUT'), null);
    assert.equal(ruleSpecWords('-I INPUT -j DROP', 'INPUT'), null);
  });

  test("refuses iptables' own options, spelled out, abbreviated or glued to a value", () => {
    for (const smuggled of ['--modprobe=/tmp/x', '--modprobe /tmp/x', '--modp /tmp/x', '-M /tmp/x', '-M/tmp/x', '-t nat', '--table nat', '-F', '--flush', '-X', '-P INPUT ACCEPT', '-c 0 0', '-w 5', '--wait', '-I INPUT', '--delete', '--dport=80']) {
      assert.equal(ruleSpecWords(`-A INPUT -p tcp ${smuggled} -j DROP`, 'INPUT'), null, smuggled);
    }
  });

  test('a quoted word is a value even when it looks like an option; a NUL is refused anywhere', () => {
    assert.deepEqual(ruleSpecWords('-A INPUT -m comment --comment "--modprobe=/tmp/x" -j DROP', 'INPUT'), ['-m', 'comment', '--comment', '--modprobe=/tmp/x', '-j', 'DROP']);
    assert.equal(ruleSpecWords('-A INPUT -m comment --comment "a\0b" -j DROP', 'INPUT'), null);
  });
});
