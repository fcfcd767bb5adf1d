/**
 * A finding's fingerprint: the same problem gets the same value in every run, so CI systems
 * (SARIF's partialFingerprints, a ticket bot) can tell a new finding from one they have seen. It
 * hashes what the problem is and where: the check, the Service and port, the family, the node, and
 * what each piece of evidence points at (a rule's table, chain and text; an object and field; a
 * sysctl's name). Never the message or values that move between runs: counts, shares, times, rule
 * line numbers (a rule inserted above shifts them), probe timings.
 */
import { createHash } from 'node:crypto';
import type { Evidence, Finding } from '../check-kit/model.js';

export interface FingerprintScope {
  namespace: string;
  service: string;
  /** The Service port's name and number, or null when the question has none. */
  port: { name: string; port: number; protocol: string } | null;
}

export function fingerprintOf(f: Pick<Finding, 'id' | 'node' | 'family' | 'evidence'>, scope: FingerprintScope): string {
  const identities = [...new Set(f.evidence.map(identityOf))].sort();
  const port = scope.port === null ? null : [scope.port.name, scope.port.port, scope.port.protocol];
  // JSON of a list: unambiguous however a cluster spells its names (no separator can be forged).
  const key = JSON.stringify(['np-doctor/fingerprint/v1', f.id, scope.namespace, scope.service, port, f.family ?? null, f.node ?? null, identities]);
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/**
 * A rule without what the kernel counts as packets pass: nft prints `counter packets 12 bytes 720`
 * and `quota over 1 mbytes used 40 kbytes` with live values (iptables-save prints counters only
 * with -c, which np-doctor does not pass, and only as a `[12:720]` prefix).
 */
export function withoutCounters(rule: string): string {
  return rule
    .replace(/\bcounter packets \d+ bytes \d+/g, 'counter')
    .replace(/ used \d+ [kmg]?bytes\b/g, '')
    .replace(/^\[\d+:\d+\] /, '');
}

function identityOf(e: Evidence): string {
  switch (e.kind) {
    case 'rule':
      return JSON.stringify([e.kind, e.node, e.family ?? null, e.table, e.chain, e.rule === null ? null : withoutCounters(e.rule)]);
    case 'object':
      return JSON.stringify([e.kind, e.ref, e.field ?? null]);
    case 'sysctl':
      return JSON.stringify([e.kind, e.node, e.name]);
    case 'path':
      return JSON.stringify([e.kind, e.node]);
    case 'output':
      return JSON.stringify([e.kind, e.node ?? null, e.command]);
    case 'probe':
      return JSON.stringify([e.kind, e.probe, e.from, e.target]);
  }
}
