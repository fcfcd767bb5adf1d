/** A manifest written by a check, as a command that applies it. */
import { sh, type Command } from '../../src/check-kit/index.js';

/**
 * `printf %s '<json>' | kubectl apply -f -`: the manifest is one quoted word, whatever names it
 * holds. printf %s, not echo: some shells' echo turns the backslashes JSON escapes with into
 * other characters (dash's `\c` even ends the output).
 */
export function applyManifest(manifest: Record<string, unknown>): Command {
  return sh`printf %s ${JSON.stringify(manifest)} | kubectl apply -f -`;
}
