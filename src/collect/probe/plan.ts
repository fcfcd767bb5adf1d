/**
 * What --probe asks gathering to send. The plan is made above collect/ (src/run/probe-plan.ts knows
 * the question: ingress nodes, backends) and injected here as a function of what was gathered so
 * far, so collect/ never imports run/.
 */
import type { Probe } from '../../snapshot/probe.js';
import type { Snapshot } from '../../snapshot/schema.js';

/** One probe to send: a Probe before it ran. `from` is "here" or the node whose session sends it. */
export type PlannedProbe = Pick<Probe, 'kind' | 'from' | 'node' | 'pod' | 'ip' | 'port' | 'protocol'>;

export interface ProbePlan {
  /** Most important first: past MAX_PROBES the rest are recorded as not run. */
  probes: PlannedProbe[];
}

/**
 * Plans from the snapshot as it stands after the API reads: the cluster's objects, and the nodes
 * about to be read with their addresses but no command output yet.
 */
export type ProbePlanner = (gathered: Snapshot) => ProbePlan;

export interface ProbeRequest {
  plan: ProbePlanner;
  /** Each connect's limit (PROBE_TIMEOUT_MS unless --probe-timeout says otherwise). */
  timeoutMs: number;
}
