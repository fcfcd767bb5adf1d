/**
 * One Service's health in a word, for lists (scan's lines, the TUI's badges): the worst finding,
 * else whether every replayed node delivers.
 */
import type { Report } from './model.js';

export type Health = 'error' | 'warning' | 'ok' | 'undecided';

export const HEALTH_MARK: Record<Health, string> = { error: '✗', warning: '!', ok: '✓', undecided: '?' };

export function healthOf(r: Report): Health {
  if (r.findings.some((f) => f.severity === 'error')) return 'error';
  if (r.findings.some((f) => f.severity === 'warning')) return 'warning';
  return r.verdict.nodes.every((n) => n.result === 'delivered') ? 'ok' : 'undecided';
}
