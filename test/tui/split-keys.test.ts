/** A chunk of terminal input as keys: what the TUI's key router hands out one at a time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CHUNK, parseKey, splitKeys } from '../../src/tui/input/split.js';

const names = (seq: string) => {
  const { input, key } = parseKey(seq);
  return [input, ...Object.entries(key).filter(([, on]) => on).map(([k]) => k)].join(' ').trim();
};

test('a chunk of typed text is one key per character; Enter and Tab are keys of their own', () => {
  assert.deepEqual(splitKeys('j\r'), ['j', '\r']);
  assert.deepEqual(splitKeys('/payments'), [...'/payments']);
  assert.deepEqual(splitKeys('a\tb\x7f'), ['a', '\t', 'b', '\x7f']);
  assert.deepEqual(splitKeys('né😀'), ['n', 'é', '😀'], 'a character outside the BMP is one key, not two halves');
});

test('an escape sequence is one key, however many arrive together', () => {
  assert.deepEqual(splitKeys('\x1b[A'), ['\x1b[A']);
  assert.deepEqual(splitKeys('\x1b[A\x1b[Bj\x1b[5~\x1bOC'), ['\x1b[A', '\x1b[B', 'j', '\x1b[5~', '\x1bOC']);
  assert.deepEqual(splitKeys('\x1b[1;2A'), ['\x1b[1;2A'], 'an arrow with a modifier');
  assert.deepEqual(splitKeys('\x1b'), ['\x1b']);
  assert.deepEqual(splitKeys('\x1b\x1b'), ['\x1b', '\x1b']);
  assert.deepEqual(splitKeys('\x1bx'), ['\x1bx'], 'ESC then a key is that key with Alt');
  assert.deepEqual(splitKeys('\x1b\x1b[A'), ['\x1b', '\x1b[A']);
});

test('each key reads as what it types and which key it is', () => {
  assert.equal(names('j'), 'j');
  assert.equal(names('N'), 'N shift');
  assert.equal(names('\r'), 'return');
  assert.equal(names('\t'), 'tab');
  assert.equal(names('\x1b[Z'), 'tab shift');
  assert.equal(names('\x7f'), 'backspace');
  assert.equal(names('\x1b[3~'), 'delete');
  assert.equal(names('\x1b'), 'escape');
  assert.equal(names('\x1b[A'), 'upArrow');
  assert.equal(names('\x1bOB'), 'downArrow');
  assert.equal(names('\x1b[C'), 'rightArrow');
  assert.equal(names('\x1b[D'), 'leftArrow');
  assert.equal(names('\x1b[5~'), 'pageUp');
  assert.equal(names('\x1b[6~'), 'pageDown');
  assert.equal(names('\x1b[1;5A'), 'upArrow ctrl');
  assert.equal(names('\x03'), 'c ctrl');
  assert.equal(names('\x15'), 'u ctrl');
  assert.equal(names('\x1bx'), 'x meta');
  assert.equal(names('\n'), '', 'a line feed in a paste is no key (as Ctrl-J it would read as j)');
  assert.equal(names('\x1b[99X'), '', 'an unknown sequence is no key');
});

test('a chunk is bounded', () => {
  assert.equal(splitKeys('x'.repeat(MAX_CHUNK + 10)).length, MAX_CHUNK);
});
