/** --probe results as checks cite them. */
import { hostPort } from './engine.js';
import type { Probe } from '../snapshot/probe.js';
import type { Evidence } from './model.js';

/** `ip:port/PROTO`, with brackets around an IPv6 address. */
export function probeTargetText(p: Pick<Probe, 'ip' | 'port' | 'protocol'>): string {
  return `${hostPort(p.ip, p.port)}/${p.protocol}`;
}

export function probeEvidence(p: Probe): Evidence {
  return { kind: 'probe', probe: p.kind, from: p.from, target: probeTargetText(p), result: p.result, ms: p.ms, at: p.at };
}
