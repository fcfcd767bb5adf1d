/**
 * `-o yaml`: the same document as `-o json`, in YAML (as kubectl's -o yaml mirrors its -o json).
 * It goes through JSON first, so both formats hold exactly the same fields: an absent optional
 * field is absent in both, never `null` in one. js-yaml quotes any string that would read back as
 * something else (a number, `true`, a `#` comment, a `*` alias) and escapes control characters
 * inside double quotes, so a hostile cluster name reads back as the same string.
 */
import { createRequire } from 'node:module';

type JsYaml = typeof import('js-yaml');
let yaml: JsYaml | undefined;

export function renderYaml(doc: unknown): string {
  // Loaded when asked for: every diagnose loads this module (formats.ts lists the formats), and
  // js-yaml's compile is a noticeable part of a demo diagnose that prints text.
  yaml ??= createRequire(import.meta.url)('js-yaml') as JsYaml;
  const plain = JSON.parse(JSON.stringify(doc)) as unknown;
  // lineWidth -1: long strings stay on one line (a folded fix command would no longer paste);
  // noRefs: a string repeated in the document is written again, never as an anchor and alias.
  return yaml.dump(plain, { lineWidth: -1, noRefs: true, sortKeys: false });
}
