import { allOf, no, unknown, yes, type Finding } from './truth.js';

/**
 * metav1.LabelSelector: matchLabels and matchExpressions are ANDed; `{}` selects everything.
 * In / NotIn need at least one value, Exists / DoesNotExist none; NotIn also matches a pod
 * without the label.
 */

export interface Requirement {
  key: string;
  op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/** Labels as far as they are known: `known(key)` false means the key's value (or absence) is not known. */
export interface LabelView {
  labels: Record<string, string>;
  known: (key: string) => boolean;
  /** Why unknown keys are unknown, for the decision's unknowns. */
  missing: string;
}

export const fullyKnown = (labels: Record<string, string>): LabelView => ({ labels, known: () => true, missing: '' });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** The requirements of a selector, or a problem naming the field (`at` is its path). */
export function parseSelector(raw: unknown, at: string): Requirement[] | string {
  if (!isRecord(raw)) return `${at}: ${show(raw)} is not a label selector`;
  const reqs: Requirement[] = [];
  const { matchLabels, matchExpressions } = raw;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) return `${at}.matchLabels: ${show(matchLabels)} is not a map`;
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string') return `${at}.matchLabels.${key}: ${show(value)} is not a string`;
      reqs.push({ key, op: 'In', values: [value] });
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) return `${at}.matchExpressions: ${show(matchExpressions)} is not a list`;
    for (const [i, e] of (matchExpressions as unknown[]).entries()) {
      const here = `${at}.matchExpressions[${i}]`;
      if (!isRecord(e) || typeof e.key !== 'string') return `${here}: ${show(e)} has no key`;
      const values = e.values ?? [];
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) return `${here}.values: ${show(e.values)} is not a list of strings`;
      const op = e.operator;
      if (op === 'In' || op === 'NotIn') {
        if (!values.length) return `${here}.values: ${op} needs at least one value`;
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length) return `${here}.values: ${op} takes no values`;
      } else {
        return `${here}.operator: ${show(op)} is not In, NotIn, Exists or DoesNotExist`;
      }
      reqs.push({ key: e.key, op, values });
    }
  }
  return reqs;
}

export function formatRequirement(r: Requirement): string {
  switch (r.op) {
    case 'In':
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
  }
}

export function formatSelector(reqs: Requirement[]): string {
  return `{${reqs.map(formatRequirement).join(', ')}}`;
}

/** One requirement against labels; `why` on a no shows the label's actual value. */
function matchRequirement(r: Requirement, view: LabelView): Finding {
  if (!view.known(r.key)) return unknown(view.missing);
  const value = view.labels[r.key];
  const actual = value === undefined ? `no ${r.key} label` : `${r.key}=${value}`;
  const ok =
    r.op === 'In' ? value !== undefined && r.values.includes(value)
    : r.op === 'NotIn' ? value === undefined || !r.values.includes(value)
    : r.op === 'Exists' ? value !== undefined
    : value === undefined;
  return ok ? yes(formatRequirement(r)) : no(actual);
}

/** Whether labels satisfy every requirement. `why` on a no lists the failing labels' values. */
export function matchRequirements(reqs: Requirement[], view: LabelView): Finding {
  return allOf(reqs.map((r) => matchRequirement(r, view)));
}
