import { matchPeer, type PeerCtx } from './peers.js';
import { matchPorts, type PortOwner, type PortQuery } from './ports.js';
import { formatSelector, fullyKnown, matchRequirements, parseSelector } from './selectors.js';
import { allOf, anyOf, no, unknown, yes, type Finding } from './truth.js';
import type { PolicyPod, PolicyRef } from './types.js';

export type Direction = 'ingress' | 'egress';

/** One policy's bearing on one connection of `subject` in one direction. */
export interface PolicyResult {
  ref: PolicyRef;
  /** Whether the policy selects the pod and has this policy type. */
  isolates: Finding;
  /** Whether one of its rules for this direction matches; rule and peer say which. */
  allows: Finding & { rule?: number; peer?: number | 'all' };
  /** When no rule matches: the closest one (-1 when there are none) and why it missed. */
  miss?: { rule: number; why: string };
}

export interface RuleCtx {
  dir: Direction;
  subject: PolicyPod;
  peer: Omit<PeerCtx, 'policyNs'>;
  port: PortQuery;
  owner: PortOwner;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const isEmpty = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

export function evaluatePolicy(raw: unknown, index: number, ctx: RuleCtx): PolicyResult {
  const meta = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : {};
  const ns = typeof meta.namespace === 'string' ? meta.namespace : null;
  const name = typeof meta.name === 'string' ? meta.name : null;
  const ref = { namespace: ns ?? '', name: name ?? `policies[${index}]` };
  const label = ns !== null && name !== null ? `NetworkPolicy ${ns}/${name}` : `NetworkPolicy policies[${index}]`;
  const broken = (problem: string): PolicyResult => ({ ref, isolates: unknown(`${label} ${problem}`), allows: unknown(`${label} ${problem}`) });

  if (!isRecord(raw)) return broken(`is not an object`);
  if (ns === null) return broken(`metadata.namespace: ${show(meta.namespace)} is not a namespace`);
  // A NetworkPolicy applies only to pods in its own namespace.
  if (ns !== ctx.subject.namespace) return { ref, isolates: no(`${label} is in another namespace`), allows: no('') };
  if (!isRecord(raw.spec)) return broken(`spec: ${show(raw.spec)} is not an object`);
  const spec = raw.spec;

  const isolates = allOf([selects(spec.podSelector, `${label} spec.podSelector`, ctx.subject), hasType(spec, label, ctx.dir)]);
  if (isolates.truth === 'no') return { ref, isolates, allows: no('') };
  return { ref, isolates, ...matchRules(spec[ctx.dir], `${label} spec.${ctx.dir}`, ns, ctx) };
}

/** spec.podSelector: `{}` (or absent, as Go decodes it) selects every pod in the namespace. */
function selects(raw: unknown, at: string, pod: PolicyPod): Finding {
  const reqs = parseSelector(raw ?? {}, at);
  if (typeof reqs === 'string') return unknown(reqs);
  const found = matchRequirements(reqs, fullyKnown(pod.labels));
  return found.truth === 'unknown' ? found : { ...found, why: `podSelector ${formatSelector(reqs)}${found.truth === 'no' ? `: ${found.why}` : ''}` };
}

/**
 * policyTypes, when absent or empty, defaults (API server, SetDefaults_NetworkPolicy) to Ingress,
 * plus Egress when spec.egress has at least one rule.
 */
function hasType(spec: Record<string, unknown>, label: string, dir: Direction): Finding {
  const want = dir === 'ingress' ? 'Ingress' : 'Egress';
  const raw = spec.policyTypes;
  let types: unknown[];
  if (isEmpty(raw)) {
    types = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  } else if (Array.isArray(raw) && raw.every((t) => t === 'Ingress' || t === 'Egress')) {
    types = raw as unknown[];
  } else {
    return unknown(`${label} spec.policyTypes: ${show(raw)} is not a list of Ingress and Egress`);
  }
  return types.includes(want) ? yes(`policyTypes has ${want}`) : no(`policyTypes ${JSON.stringify(types)} has no ${want}`);
}

/** Rules are ORed; inside a rule the peers (from / to) and the ports must both match. */
function matchRules(raw: unknown, at: string, policyNs: string, ctx: RuleCtx): Pick<PolicyResult, 'allows' | 'miss'> {
  // No rules for an isolating direction: nothing is allowed (a default-deny policy).
  if (isEmpty(raw)) {
    const why = `it has no ${ctx.dir} rules, so it allows no ${ctx.dir}`;
    return { allows: no(why), miss: { rule: -1, why } };
  }
  if (!Array.isArray(raw)) return { allows: unknown(`${at}: ${show(raw)} is not a list`) };
  const peerCtx = { ...ctx.peer, policyNs };
  const rules = (raw as unknown[]).map((rule, i) => matchRule(rule, `${at}[${i}]`, peerCtx, ctx));
  const found = anyOf(rules.map((r) => r.finding));
  if (found.index !== undefined) return { allows: { ...found, rule: found.index, peer: rules[found.index]!.peer } };
  if (found.truth === 'unknown') return { allows: found };
  // The closest rule: the one with most of its two parts (peers, ports) matching; the first on a tie.
  let best = 0;
  rules.forEach((r, i) => {
    if (r.score > rules[best]!.score) best = i;
  });
  return { allows: found, miss: { rule: best, why: rules[best]!.finding.why } };
}

function matchRule(raw: unknown, at: string, peerCtx: PeerCtx, ctx: RuleCtx): { finding: Finding; peer: number | 'all'; score: number } {
  if (!isRecord(raw)) return { finding: unknown(`${at}: ${show(raw)} is not a rule`), peer: 'all', score: 0 };
  const key = ctx.dir === 'ingress' ? 'from' : 'to';
  const peersRaw = raw[key];
  let peers: Finding & { index?: number };
  if (isEmpty(peersRaw)) peers = yes(`the rule allows every ${peerCtx.role}`);
  else if (!Array.isArray(peersRaw)) peers = unknown(`${at}.${key}: ${show(peersRaw)} is not a list`);
  else peers = anyPeer(peersRaw as unknown[], `${at}.${key}`, key, peerCtx);
  const ports = matchPorts(raw.ports, `${at}.ports`, ctx.port, ctx.owner);
  const score = (peers.truth === 'yes' ? 1 : 0) + (ports.truth === 'yes' ? 1 : 0);
  const finding = allOf([peers, ports]);
  if (peers.truth === 'no' && ports.truth === 'no') finding.why = `${peers.why}, and ${ports.why}`;
  return { finding, peer: peers.index ?? 'all', score };
}

/** Peers are ORed. A miss of several peers lists each by index. */
function anyPeer(raw: unknown[], at: string, key: string, peerCtx: PeerCtx): Finding & { index?: number } {
  const each = raw.map((p, i) => matchPeer(p, `${at}[${i}]`, peerCtx));
  const found = anyOf(each);
  if (found.truth !== 'no' || raw.length === 1) return found;
  return no(`no ${key} peer matches (${each.map((p, i) => `${key}[${i}]: ${p.why}`).join('; ')})`);
}
