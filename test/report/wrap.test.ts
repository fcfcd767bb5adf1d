/**
 * The wrapping every text renderer uses (src/text/wrap.ts): word boundaries only, display columns
 * (wide characters two, colour codes none), a colour never carried into an indent; the narrow text
 * measured without string-width measures as string-width does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import stringWidth from 'string-width';
import { displayWidth, fit, NARROW_ONLY, truncate, widthOf, wrap } from '../../src/text/wrap.js';

const RED = '\x1b[31m';
const RESET = '\x1b[0m';

describe('wrap', () => {
  const CASES: [string, Parameters<typeof wrap>, string[]][] = [
    ['at word boundaries, indented', ['aaa bbb ccc ddd', 2, 10], ['  aaa bbb', '  ccc ddd']],
    ['continuation lines hang deeper', ['aaa bbb ccc ddd', 2, 10, 4], ['  aaa bbb', '    ccc', '    ddd']],
    ['a word longer than the line stays whole on its own line', ['a 0123456789abcdef b', 0, 8], ['a', '0123456789abcdef', 'b']],
    ['each paragraph on its own lines; an empty one stays empty', ['aa bb\n\ncc', 1, 80], [' aa bb', '', ' cc']],
    ['a paragraph\'s own indent is kept, also on its continuation', ['x\n  - one two three', 0, 10], ['x', '  - one', '  two', '  three']],
    ['runs of spaces inside a line are kept, dropped at a break', ['a  b    c', 0, 80], ['a  b    c']],
    ['wide characters take two columns', ['漢字 漢字 漢字', 0, 10], ['漢字 漢字', '漢字']],
    ['an emoji takes two columns', ['🙂🙂🙂 🙂🙂', 0, 10], ['🙂🙂🙂', '🙂🙂']],
    ['colour codes take none', [`${RED}aaa${RESET} bbb ccc`, 0, 11], [`${RED}aaa${RESET} bbb ccc`]],
    ['a colour open at a break is closed and reopened after the indent', [`${RED}aaa bbb ccc${RESET} d`, 2, 10], [`  ${RED}aaa bbb${RESET}`, `  ${RED}ccc${RESET} d`]],
  ];
  for (const [name, args, want] of CASES) test(name, () => assert.deepEqual(wrap(...args), want));

  test('fit: a line\'s leading spaces, after its colour, are its indent', () => {
    assert.deepEqual(fit(`${RED}  aaa bbb ccc`, 10, 2), [`  ${RED}aaa bbb${RESET}`, `    ${RED}ccc`]);
  });
});

test('display width, truncation and the width a caller gets', () => {
  assert.equal(displayWidth(`${RED}漢a${RESET}`), 3);
  assert.equal(truncate('namespace-of-a-team', 10), 'namespace…');
  assert.equal(truncate('short', 10), 'short');
  assert.equal(truncate('漢字漢字', 5), '漢字…');
  assert.deepEqual([widthOf(undefined), widthOf(0), widthOf(Number.NaN), widthOf(5), widthOf(132.7)], [80, 80, 80, 20, 132]);
});

describe('the narrow set measured without string-width', () => {
  /** Every character NARROW_ONLY's class names, read off the class itself, ranges expanded. */
  const narrow = (() => {
    const cls = /\[(.*)\]/u.exec(NARROW_ONLY.source)![1]!;
    const parts = [...cls.matchAll(/\\x([0-9a-f]{2})-\\x([0-9a-f]{2})|\\u([0-9a-f]{4})-\\u([0-9a-f]{4})|(.)/gu)];
    return parts.flatMap((m) => {
      const [lo, hi] = m[1] !== undefined ? [m[1], m[2]!] : m[3] !== undefined ? [m[3], m[4]!] : [null, null];
      if (lo === null || hi === null) return [m[5]!];
      return Array.from({ length: parseInt(hi, 16) - parseInt(lo, 16) + 1 }, (_, k) => String.fromCodePoint(parseInt(lo, 16) + k));
    });
  })();

  test('every character of the set is one column in string-width too', () => {
    assert.ok(narrow.length > 200, `read ${narrow.length} characters off the class`);
    const off = narrow.filter((c) => stringWidth(c) !== 1);
    assert.deepEqual(off, [], 'string-width does not give these 1 column');
  });

  test('a string of the set measures as string-width measures it, colour codes included', () => {
    for (const s of ['✗ shop/frontend: times out via node-1 — etp-local', `${RED}→ node-2${RESET} … × ≥ 3`, 'café ±1 §3a']) {
      assert.ok(NARROW_ONLY.test(s.replaceAll(RED, '').replaceAll(RESET, '')), s);
      assert.equal(displayWidth(s), stringWidth(s), s);
    }
  });

  test('one character outside the set sends the whole string to string-width', () => {
    // A variation selector makes ▶ an emoji (two columns); a combining mark adds none; CJK is two; the soft hyphen none.
    for (const s of ['play ▶\uFE0F now', 'e\u0301 acute', '漢 ✗', 'soft\u00ADhyphen', '🙂 ok']) {
      assert.equal(displayWidth(s), stringWidth(s), s);
    }
    assert.equal(displayWidth('▶\uFE0F'), 2);
  });
});
