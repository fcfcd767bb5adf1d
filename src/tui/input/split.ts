/**
 * Terminal input as keys. A terminal sends what was typed as bytes, and several keys typed fast,
 * over a slow link or pasted arrive as one chunk (`j\r`, `/payments`): each key is split out and
 * handled on its own. An escape sequence is one key: ESC [ A is the up arrow, not three keys.
 */

export interface Key {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
  shift: boolean;
  meta: boolean;
}

export interface Keypress {
  /** The character typed ('' for a key that types none); for Ctrl-U, 'u'. */
  input: string;
  key: Key;
}

const ESC = '\x1b';
/** A chunk is at most what one read of a terminal gives; a longer one is cut there (bounded work). */
export const MAX_CHUNK = 64 * 1024;

/**
 * CSI: ESC [ then parameter bytes 0x30–0x3f, intermediate bytes 0x20–0x2f, one final byte
 * 0x40–0x7e (ECMA-48). SS3: ESC O and one byte. The Linux console sends F1–F5 as ESC [ [ A–E.
 */
// eslint-disable-next-line no-control-regex -- an escape sequence is what it reads
const SEQUENCE = /^\x1b(?:\[\[?[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\x40-\x7e])/;

/** The keys in a chunk, in order. */
export function splitKeys(chunk: string): string[] {
  const text = chunk.length > MAX_CHUNK ? chunk.slice(0, MAX_CHUNK) : chunk;
  const keys: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ESC) {
      const rest = text.slice(i, i + 64);
      const seq = SEQUENCE.exec(rest)?.[0] ?? metaSequence(rest);
      keys.push(seq);
      i += seq.length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    keys.push(ch);
    i += ch.length;
  }
  return keys;
}

/** ESC then a key is that key with Alt (meta); ESC alone, or ESC ESC, is Escape. */
function metaSequence(rest: string): string {
  const next = rest.codePointAt(1);
  if (next === undefined || rest[1] === ESC) return ESC;
  const inner = SEQUENCE.exec(rest.slice(1))?.[0];
  return ESC + (inner ?? String.fromCodePoint(next));
}

/** No special key: what a paste's text comes with. */
export const NONE: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageUp: false, pageDown: false, home: false, end: false,
  return: false, escape: false, tab: false, backspace: false, delete: false, ctrl: false, shift: false, meta: false,
};

/** xterm's CSI final bytes and `~` codes for the keys the session answers to. */
const CSI_FINAL: Record<string, keyof Key> = { A: 'upArrow', B: 'downArrow', C: 'rightArrow', D: 'leftArrow', H: 'home', F: 'end' };
const CSI_TILDE: Record<string, keyof Key> = { '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete', '5': 'pageUp', '6': 'pageDown' };

/** One key (as splitKeys gives it) as what it types and which special key it is. */
export function parseKey(seq: string): Keypress {
  const key: Key = { ...NONE };
  const named = (k: keyof Key, input = ''): Keypress => ({ input, key: { ...key, [k]: true } });
  if (seq === ESC) return named('escape');
  if (seq.startsWith(`${ESC}[`) || seq.startsWith(`${ESC}O`)) {
    const body = seq.slice(2);
    const final = body.at(-1) ?? '';
    // Modifiers ride in the last parameter: 1 + (shift 1, alt 2, ctrl 4), as in ESC [ 1 ; 2 A.
    const params = body.slice(0, -1).replace(/^\[/, '').split(';');
    const mod = Number(params[1] ?? '1') - 1;
    if (mod > 0) Object.assign(key, { shift: (mod & 1) !== 0, meta: (mod & 2) !== 0, ctrl: (mod & 4) !== 0 });
    if (final === 'Z') return { input: '', key: { ...key, tab: true, shift: true } };
    const name = final === '~' ? CSI_TILDE[params[0] ?? ''] : CSI_FINAL[final];
    return name ? named(name) : { input: '', key };
  }
  if (seq.startsWith(ESC)) {
    const inner = parseKey(seq.slice(1));
    return { input: inner.input, key: { ...inner.key, meta: true, escape: false } };
  }
  if (seq === '\r') return named('return');
  if (seq === '\t') return named('tab');
  if (seq === '\x7f' || seq === '\b') return named('backspace');
  // A line feed (in a paste) is no key: taken as Ctrl-J it would read as `j`.
  if (seq === '\n') return { input: '', key };
  const code = seq.codePointAt(0) ?? 0;
  // Ctrl-A … Ctrl-Z are 0x01–0x1a (Tab, Enter and Backspace among them are taken above).
  if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ...key, ctrl: true } };
  if (code < 0x20) return { input: '', key };
  return { input: seq, key: { ...key, shift: /^[A-Z]$/.test(seq) } };
}
