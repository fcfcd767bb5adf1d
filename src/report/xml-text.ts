/**
 * Text for an XML 1.0 document. XML 1.0 has no way to write most control characters at all (not
 * even as `&#1;`), and a parser rejects the whole file at the first one; unpaired surrogates and
 * U+FFFE/U+FFFF are outside its character set too. Cluster strings are untrusted: they are
 * sanitised (control characters become visible escapes such as `\x1b`) and the rest escaped.
 */
import { sanitize } from '../text/sanitize.js';

/** What XML 1.0 forbids beyond the control characters sanitize() has already made visible escapes. */
const NOT_XML = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\t': '&#9;' };

/** Element content: newlines and tabs kept. */
export function xmlText(s: string): string {
  return sanitize(s, true).replace(NOT_XML, '').replace(/[&<>]/g, (c) => ENTITY[c]!);
}

/** An attribute value (between double quotes): newlines and tabs written as character references, which attribute normalisation keeps. */
export function xmlAttr(s: string): string {
  return sanitize(s, true).replace(NOT_XML, '').replace(/[&<>"'\n\t]/g, (c) => ENTITY[c]!);
}
