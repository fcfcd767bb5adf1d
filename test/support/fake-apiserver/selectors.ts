/**
 * labelSelector and fieldSelector as kube-apiserver parses them
 * (k8s.io/apimachinery/pkg/labels and pkg/fields). A requirement list is comma-separated and ANDed.
 * Label requirements: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, `k>1`, `k<1`.
 * `!=` and `notin` also match objects that lack the label, as upstream does.
 * Field selectors only take `=`, `==`, `!=`, and only on the fields each resource registers.
 */
import type { KubeObject } from './types.js';
import { isObject } from './types.js';

export class SelectorError extends Error {}

type LabelOp = 'eq' | 'neq' | 'exists' | 'absent' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

// Qualified name: optional DNS-subdomain prefix and '/', then a 63-character name.
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const KEY = `(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?${NAME}`;
const VALUE = `(?:${NAME})?`;
const KEY_RE = new RegExp(`^${KEY}$`);
const VALUE_RE = new RegExp(`^${VALUE}$`);

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

function checkKey(key: string): string {
  if (!KEY_RE.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(v: string): string {
  if (!VALUE_RE.test(v)) throw new SelectorError(`unable to parse requirement: invalid label value: "${v}"`);
  return v;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((raw): LabelRequirement => {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^!\s*(\S+)$/.exec(term)) !== null) return { key: checkKey(m[1] as string), op: 'absent', values: [] };
    if ((m = /^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term)) !== null) {
      const values = (m[3] as string).split(',').map((v) => checkValue(v.trim()));
      return { key: checkKey(m[1] as string), op: m[2] as 'in' | 'notin', values };
    }
    if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(term)) !== null) {
      const key = checkKey(m[1] as string);
      const value = m[3] as string;
      const op = m[2] as string;
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key, op: op === '>' ? 'gt' : 'lt', values: [value] };
      }
      return { key, op: op === '!=' ? 'neq' : 'eq', values: [checkValue(value)] };
    }
    if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists', values: [] };
    throw new SelectorError(`unable to parse requirement: found '${term}', expected: identifier`);
  });
}

export function matchesLabels(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.values[0];
      case 'neq':
        return !has || v !== r.values[0];
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(v as string);
      case 'notin':
        return !has || !r.values.includes(v as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** Fields each resource registers for selection (its strategy's GetAttrs / field label conversion). */
const FIELDS: Record<string, readonly string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  services: ['spec.clusterIP', 'spec.type'],
};

export function parseFieldSelector(selector: string, resource: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[resource] ?? [])];
  return selector.split(',').map((raw) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (m === null) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${raw}'`);
    const field = m[1] as string;
    if (!allowed.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: m[3] as string };
  });
}

/** The string form the apiserver compares: booleans as "true"/"false", absent fields as "". */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return path === 'spec.hostNetwork' || path === 'spec.unschedulable' ? 'false' : '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
