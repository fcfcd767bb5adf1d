/**
 * Text laid out for a terminal of a given width: paragraphs wrapped at word boundaries, never
 * mid-word, measured in display columns (a CJK character or an emoji takes two, np-doctor's own
 * SGR colour codes none). Words come from renderers that sanitised their data first, so the only
 * escape sequences here are the renderer's own colours.
 */
import { createRequire } from 'node:module';

/** The width when none is known (piped output, a caller that does not say). */
export const DEFAULT_WIDTH = 80;
/** Narrower than this, indents alone would fill the line: laid out as if this wide. */
const MIN_WIDTH = 20;

/**
 * Text every terminal draws one column a character: printable ASCII, Latin-1 but the soft hyphen,
 * and the symbols np-doctor's own text uses. string-width gives each of these 1, and any other
 * character (a combining mark, a variation selector, CJK, emoji) sends the whole string to it
 * (test/report/wrap.test.ts holds this list to string-width).
 */
export const NARROW_ONLY = /^[\x20-\x7e\u00a0-\u00ac\u00ae-\u00ff…→←↑↓—–·•§×±≤≥✓✗▶◀▸▾●│]*$/u;

let stringWidth: ((s: string) => number) | undefined;

/**
 * Columns a terminal gives `s` (the same measure Ink lays the TUI out with). string-width is loaded
 * only for text the narrow set does not cover: loading it and its first call cost ~50 ms, a fifth
 * of a whole `np-doctor trace` on the demo, and most reports never need it. (require() of an ES
 * module: Node 20.19 and later, which package.json's engines asks for.)
 */
export function displayWidth(s: string): number {
  const plain = s.includes('\x1b') ? s.replace(SGR_ANY, '') : s;
  if (NARROW_ONLY.test(plain)) return plain.length;
  stringWidth ??= (createRequire(import.meta.url)('string-width') as typeof import('string-width')).default;
  return stringWidth(s);
}

/** A usable width from what the caller has (a terminal's columns may be 0 or absent). */
export function widthOf(columns: number | undefined): number {
  return columns === undefined || !Number.isFinite(columns) || columns <= 0 ? DEFAULT_WIDTH : Math.max(MIN_WIDTH, Math.floor(columns));
}

/* eslint-disable no-control-regex -- the renderer's own SGR sequences are what this reads */
const SGR_ANY = /\x1b\[[0-9;]*m/g;
const RESET = '\x1b[0m';
/** A line's leading colour codes, its indent, and the rest. */
const LEADING = /^((?:\x1b\[[0-9;]*m)*)( *)([^]*)$/;
/* eslint-enable no-control-regex */

/** The SGR sequences still in force at the end of `s` (everything since its last reset), to reopen on the next line. */
function openStyle(s: string): string {
  let open = '';
  for (const m of s.matchAll(SGR_ANY)) open = m[0] === RESET || m[0] === '\x1b[m' ? '' : open + m[0];
  return open;
}

/**
 * Word-wraps each paragraph (line) of `text` to `width` columns. The first line of a paragraph is
 * indented by `indent`, the lines it continues on by `hang` (default: `indent`); a paragraph's own
 * leading spaces are kept on its first line and added to its continuation lines. A word longer
 * than the room stays whole on a line of its own. A colour open where a line breaks is closed at
 * its end and reopened after the next line's indent, so indents are never painted.
 */
export function wrap(text: string, indent: number, width: number = DEFAULT_WIDTH, hang: number = indent): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    const lead = /^ */.exec(para)?.[0].length ?? 0;
    let pad = ' '.repeat(indent + lead);
    let line = '';
    let used = 0;
    let style = '';
    let gap = '';
    // Words and the spaces after each: spaces inside a line are kept (columns line up), a break drops them.
    for (const [, word = '', after = ''] of para.slice(lead).matchAll(/([^ \t]+)([ \t]*)/g)) {
      const w = displayWidth(word);
      if (line !== '' && pad.length + used + gap.length + w > width) {
        const open = openStyle(line);
        lines.push(pad + line + (open !== '' ? RESET : ''));
        style = open;
        pad = ' '.repeat(hang + lead);
        line = style + word;
        used = w;
      } else {
        line = line === '' ? style + word : line + gap + word;
        used += gap.length + w;
      }
      gap = after.replace(/\t/g, ' ');
    }
    lines.push(line === '' ? '' : pad + line);
  }
  return lines;
}

/**
 * One line a renderer built, fitted to `width`: its leading spaces are its indent, and the lines it
 * continues on are indented `extra` columns more.
 */
export function fit(line: string, width: number, extra = 2): string[] {
  // A line painted whole starts with its colour, then its indent.
  const [, style = '', spaces = '', rest = ''] = LEADING.exec(line) ?? [];
  return wrap(style + rest, spaces.length, width, spaces.length + extra);
}

/** `s` cut to `width` columns, ending in `…` when cut (for table cells, which never wrap). */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(s.replace(SGR_ANY, ''))) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** `s` padded with spaces to `width` columns (by display width, not string length). */
export const padEnd = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));
