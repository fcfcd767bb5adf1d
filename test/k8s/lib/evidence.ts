/**
 * Evidence np-doctor cites must be what the node really has: a rule it names is looked up in the
 * node's own live listing (iptables-save, or `nft -a list table` for nftables, by handle), a pod's
 * sockets in what `ss` prints in the pod's namespace. Packet counters are left out of the
 * comparison, since traffic moves them between the two readings.
 */
import assert from 'node:assert/strict';
import type { ReportFinding } from '../../../src/report/model.js';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import type { LabPod } from '../../support/k8s-lab/pods.js';

type Evidence = ReportFinding['evidence'][number];
export type RuleEvidence = Extract<Evidence, { kind: 'rule' }>;
export type ObjectEvidence = Extract<Evidence, { kind: 'object' }>;
export type OutputEvidence = Extract<Evidence, { kind: 'output' }>;
export type ProbeEvidence = Extract<Evidence, { kind: 'probe' }>;

/**
 * Rules as a node's tools print them, without what traffic and time change: nft's rule counters,
 * iptables-save's chain counters (`:INPUT ACCEPT [12:345]`) and its dated comment lines.
 */
export const withoutCounters = (s: string): string =>
  s.replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/ \[\d+:\d+\]$/gm, '').replace(/^#.*$/gm, '');

const noCounters = (s: string) => withoutCounters(s).trim();

export function ruleEvidence(f: ReportFinding, match: (e: RuleEvidence) => boolean = () => true): RuleEvidence {
  const e = f.evidence.find((x): x is RuleEvidence => x.kind === 'rule' && match(x));
  assert.ok(e, `${f.id}: no such rule evidence in ${JSON.stringify(f.evidence)}`);
  return e;
}

export function objectEvidence(f: ReportFinding, ref: string, field: string): ObjectEvidence {
  const e = f.evidence.find((x): x is ObjectEvidence => x.kind === 'object' && x.ref === ref && x.field === field);
  assert.ok(e, `${f.id}: no evidence ${ref} ${field} in ${JSON.stringify(f.evidence)}`);
  return e;
}

/** The finding's --probe evidence of `probe` kind to `target` (`ip:port/PROTO`). */
export function probeEvidence(f: ReportFinding, probe: ProbeEvidence['probe'], target: string): ProbeEvidence {
  const e = f.evidence.find((x): x is ProbeEvidence => x.kind === 'probe' && x.probe === probe && x.target === target);
  assert.ok(e, `${f.id}: no ${probe} probe evidence to ${target} in ${JSON.stringify(f.evidence)}`);
  return e;
}

const words = (s: string) => s.trim().split(/\s+/).join(' ');

/**
 * The finding shows the pod's sockets as the pod's own network namespace lists them now: output
 * evidence from that pod's node, naming the namespace, with every line `ss` prints there.
 */
export async function assertPodSocketsShown(c: RealCluster, f: ReportFinding, pod: LabPod): Promise<OutputEvidence> {
  const node = c.nodes[pod.node]!.name;
  const e = f.evidence.find((x): x is OutputEvidence => x.kind === 'output' && x.node === node && x.command.includes(pod.ns));
  assert.ok(e, `${f.id}: no sockets of ${pod.ns} on ${node} in ${JSON.stringify(f.evidence)}`);
  const real = (await c.inNode(pod.node, 'ip', ['netns', 'exec', pod.ns, 'ss', '-H', '-l', '-n', '-t', '-u', '-p'])).stdout.split('\n').filter((l) => l.trim() !== '');
  assert.ok(real.length > 0, `${pod.ns} listens on nothing`);
  const shown = e.excerpt.split('\n').map(words);
  for (const line of real) assert.ok(shown.includes(words(line)), `${f.id}: the sockets shown lack "${line}":\n${e.excerpt}`);
  return e;
}

/** The rule (or chain policy) the evidence names exists on that node now, as np-doctor printed it. */
export async function assertRuleOnNode(c: RealCluster, e: RuleEvidence): Promise<void> {
  const k = c.nodes.findIndex((n) => n.name === e.node);
  assert.ok(k >= 0, `evidence names an unknown node ${e.node}`);
  if (e.family !== undefined) {
    const listing = (await c.inNode(k, 'nft', ['-a', 'list', 'table', e.family, e.table])).stdout.split('\n').map(noCounters);
    const want = `${noCounters(e.rule ?? '')} # handle ${e.handle}`;
    assert.ok(listing.includes(want), `${e.node}: no rule "${want}" in ${e.family} ${e.table}:\n${listing.join('\n')}`);
    return;
  }
  const dump = (await c.inNode(k, 'iptables-save', ['-t', e.table])).stdout.split('\n');
  if (e.rule === null) {
    assert.ok(dump.some((l) => l.startsWith(`:${e.chain} ${e.action ?? ''}`)), `${e.node}: ${e.table}/${e.chain} has no policy ${e.action}:\n${dump.join('\n')}`);
    return;
  }
  assert.ok(dump.includes(e.rule), `${e.node}: no rule "${e.rule}" in ${e.table}:\n${dump.join('\n')}`);
}
