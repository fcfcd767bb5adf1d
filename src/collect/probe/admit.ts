/**
 * Which planned probes are sent. A connect proves TCP only; a probe over the count bound is not sent
 * either. Every planned probe still gets a line in the snapshot, saying why it was not run.
 */
import { MAX_PROBES, NOT_A_CONNECT, OVER_BOUND, probeTarget, type Probe, type ProbeTarget } from '../../snapshot/probe.js';
import type { PlannedProbe } from './plan.js';

export interface Admitted {
  /** The index of the planned probe: results keep the plan's order. */
  index: number;
  probe: PlannedProbe;
  target: ProbeTarget;
}

export function admitProbes(planned: readonly PlannedProbe[], at: string): { send: Admitted[]; notRun: Map<number, Probe> } {
  const send: Admitted[] = [];
  const notRun = new Map<number, Probe>();
  const skip = (index: number, p: PlannedProbe, detail: string) => notRun.set(index, { ...p, result: 'not-run', ms: null, at, detail });
  planned.forEach((p, index) => {
    if (p.protocol !== 'TCP') return skip(index, p, p.protocol === 'UDP' ? NOT_A_CONNECT : `${p.protocol}: np-doctor probes TCP only`);
    if (send.length >= MAX_PROBES) return skip(index, p, OVER_BOUND);
    // The planner plans addresses only; probeTarget throws for anything else, so nothing else is ever sent.
    send.push({ index, probe: p, target: probeTarget(p.ip, p.port) });
  });
  return { send, notRun };
}
