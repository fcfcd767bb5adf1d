/** How gathering failures read on stderr: one line each, what failed and why, then what to do. */
import { sanitizeDeep } from '../text/sanitize.js';
import type { GatherError } from '../snapshot/schema.js';

export function renderGatherErrors(errors: readonly GatherError[]): string {
  if (errors.length === 0) return '';
  // API messages (admission webhooks write them), SSH banners and node stderr are untrusted.
  const lines = sanitizeDeep(errors).map((e) => {
    const where = e.node !== undefined ? `node ${e.node}: ` : '';
    return `  ✗ ${where}${e.what}: ${e.why}${e.hint ? `\n      → ${e.hint}` : ''}`;
  });
  return `${errors.length} problem${errors.length === 1 ? '' : 's'} while gathering:\n${lines.join('\n')}\n`;
}
