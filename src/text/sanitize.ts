/**
 * The one sanitiser for everything a person reads (DESIGN §3a). Every string that comes from a
 * cluster, a node, an API error or a snapshot file is untrusted: an iptables comment can hold ESC
 * and BEL, so printed raw it could retitle the terminal, write the clipboard (OSC 52) or clear the
 * screen. Control characters are shown as visible escapes instead, so a person sees that they were
 * there. JSON output is never sanitised: JSON escapes them itself and must stay exact.
 *
 * Classes shown as escapes: C0 (U+0000–U+001F) except newline and tab where the text may span
 * lines, DEL (U+007F), C1 (U+0080–U+009F), the bidi embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows, and the line and paragraph
 * separators (U+2028, U+2029).
 */

/* eslint-disable no-control-regex -- matching control characters is this file's job */
/** Control characters in one line of text (newline and tab included). */
const CONTROL_ANY = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, but newline and tab stay: for text that is a block of lines. */
const CONTROL_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * C0 reads `\x1b`; everything from DEL up reads `\u007f`, `\u202e`. JSON.stringify escapes C0 itself
 * and leaves the others raw, so in JSON text the escapes made here are valid JSON escapes of the
 * same character: -o json passes the output gate unchanged in meaning.
 */
function visible(ch: string): string {
  const code = ch.codePointAt(0) as number;
  return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with every control character shown as a visible escape (`\x1b`, `\u202e`). With
 * `multiline`, newline and tab are kept.
 */
export function sanitize(s: string, multiline = false): string {
  const re = multiline ? CONTROL_BLOCK : CONTROL_ANY;
  re.lastIndex = 0;
  return re.test(s) ? s.replace(re, visible) : s;
}

/** True when `s` holds a character sanitize() would escape (newline and tab included). */
export function hasControl(s: string): boolean {
  CONTROL_ANY.lastIndex = 0;
  return CONTROL_ANY.test(s);
}

/**
 * A deep copy of a JSON-like value with every string sanitised (object keys too): what a text
 * renderer gets, so that it can add its own colour sequences and nothing else reaches the screen.
 * Strings keep newlines and tabs (renderers lay out multi-line messages themselves).
 */
export function sanitizeDeep<T>(v: T): T {
  if (typeof v === 'string') return sanitize(v, true) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => sanitizeDeep(x)) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[sanitize(k)] = sanitizeDeep(x);
    return out as T;
  }
  return v;
}

/** np-doctor's own colour and style sequences (SGR): ESC [ params m. */
const SGR = /\x1b\[[0-9;]*m/y;
/* eslint-enable no-control-regex */

/**
 * The last line of defence at the terminal: text np-doctor is about to print, where only its own
 * SGR colour sequences may pass. Any other control character (including an ESC that does not
 * start a plain SGR sequence) is shown as an escape. Renderers sanitise their data first
 * (sanitizeDeep), so an SGR sequence from a snapshot never gets this far.
 */
export function sanitizeOutput(text: string): string {
  CONTROL_BLOCK.lastIndex = 0;
  if (!CONTROL_BLOCK.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\x1b') {
      SGR.lastIndex = i;
      const m = SGR.exec(text);
      if (m !== null) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    out += sanitize(ch, true);
  }
  return out;
}

