/**
 * Three-valued logic. Every test the evaluator makes is yes, no or unknown (a fact np-doctor did not
 * gather, or a field the API server would have rejected). `why` says what was compared, for yes and
 * no alike; `unknowns` says what is missing.
 */

export type Truth = 'yes' | 'no' | 'unknown';

export interface Finding {
  truth: Truth;
  why: string;
  unknowns: string[];
}

export const yes = (why: string): Finding => ({ truth: 'yes', why, unknowns: [] });
export const no = (why: string): Finding => ({ truth: 'no', why, unknowns: [] });
export const unknown = (...unknowns: string[]): Finding => ({ truth: 'unknown', why: unknowns.join('; '), unknowns });

/** AND: one certain no decides; otherwise any unknown leaves it open. */
export function allOf(parts: Finding[]): Finding {
  const noes = parts.filter((p) => p.truth === 'no');
  if (noes.length) return no(noes.map((p) => p.why).join('; '));
  const open = parts.filter((p) => p.truth === 'unknown');
  if (open.length) return unknown(...open.flatMap((p) => p.unknowns));
  return yes(parts.map((p) => p.why).join('; '));
}

/** OR: one certain yes decides (index says which); otherwise any unknown leaves it open. */
export function anyOf(parts: Finding[]): Finding & { index?: number } {
  const index = parts.findIndex((p) => p.truth === 'yes');
  if (index >= 0) return { ...parts[index]!, index };
  const open = parts.filter((p) => p.truth === 'unknown');
  if (open.length) return unknown(...open.flatMap((p) => p.unknowns));
  return no(parts.map((p) => p.why).join('; '));
}

export function uniq(items: string[]): string[] {
  return [...new Set(items)];
}
