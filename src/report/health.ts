/**
 * One Service's health in a word, for lists (scan's lines, the TUI's badges): the worst finding,
 * else whether every replayed node delivers.
 */
import type { Report } from './model.js';

export type Health = 'error' | 'warning' | 'ok' | 'undecided';

export const HEALTH_MARK: Record<Health, string> = { error: '✗', warning: '!', ok: '✓', undecided: '?' };
/** The mark's SGR colour in a terminal: red, yellow, green, magenta. */
export const HEALTH_TONE: Record<Health, string> = { error: '31', warning: '33', ok: '32', undecided: '35' };

export function healthOf(r: Report): Health {
  if (r.findings.some((f) => f.severity === 'error')) return 'error';
  if (r.findings.some((f) => f.severity === 'warning')) return 'warning';
  return r.verdict.nodes.every((n) => n.result === 'delivered') ? 'ok' : 'undecided';
}

/** One address family's health: the findings about it (tagged with it, or alike in both families) and its own nodes. */
export function familyHealth(r: Report, family: 4 | 6): Health {
  const own = r.findings.filter((f) => f.family === undefined || f.family === family);
  const nodes = r.verdict.families?.find((f) => f.family === family)?.nodes ?? r.verdict.nodes;
  return healthOf({ ...r, findings: own, verdict: { ...r.verdict, nodes } });
}
