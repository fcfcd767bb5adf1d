/**
 * --probe and --probe-timeout (diagnose; the interactive session's key uses the same request):
 * the only way np-doctor sends a packet to a Service. Off by default, live only.
 */
import type { ProbeRequest } from '../collect/probe/plan.js';
import type { Ask } from '../run/question.js';
import { planProbes, POD_PROBES_PER_NODE } from '../run/probe-plan.js';
import { MAX_PROBES, PROBE_TIMEOUT_MAX_MS, PROBE_TIMEOUT_MS } from '../snapshot/probe.js';
import { parseDuration } from './gather-flags.js';
import { UsageError } from './io.js';

export const PROBE_FLAGS = {
  probe: { type: 'boolean' },
  'probe-timeout': { type: 'string' },
} as const;

export const PROBE_HELP = `Probes (off by default: without --probe np-doctor sends nothing to the Service):
      --probe               also test the wire, live only: from here, a TCP connect to each ingress
                            node's nodePort; on each ingress node (over SSH without sudo, in its
                            debug pod, or locally), a connect to its own nodePort and to up to
                            ${POD_PROBES_PER_NODE} backend pods' IPs and targetPorts. Each connect is
                            closed at once and carries no data; at most ${MAX_PROBES} in all. UDP ports
                            are listed, not probed (a connect cannot prove UDP)
      --probe-timeout D     each connect's limit, e.g. 1s (default ${PROBE_TIMEOUT_MS / 1000}s, at most ${PROBE_TIMEOUT_MAX_MS / 1000}s)
`;

export interface ProbeFlagValues {
  probe?: boolean | undefined;
  'probe-timeout'?: string | undefined;
  snapshot?: string | undefined;
}

/** The connect timeout --probe-timeout asks for, within 100 ms and PROBE_TIMEOUT_MAX_MS. */
export function probeTimeoutMs(text: string | undefined): number {
  if (text === undefined) return PROBE_TIMEOUT_MS;
  const ms = parseDuration(text, '--probe-timeout');
  if (ms < 100 || ms > PROBE_TIMEOUT_MAX_MS) throw new UsageError(`--probe-timeout ${text}: use between 100ms and ${PROBE_TIMEOUT_MAX_MS / 1000}s`);
  return ms;
}

/** What to probe for a question; the namespace is the one gathered (the kubeconfig's, without -n). */
export function probeRequest(timeoutMs: number, service: string, ask: Omit<Ask, 'namespace' | 'service'>, namespace?: string): ProbeRequest {
  return {
    timeoutMs,
    plan: (gathered) => planProbes(gathered, { ...ask, namespace: namespace ?? gathered.target.namespace ?? 'default', service }),
  };
}

/** The flags checked: null without --probe. --probe with --snapshot is a usage error. */
export function probeFlags(values: ProbeFlagValues): { timeoutMs: number } | null {
  if (values.probe !== true) {
    if (values['probe-timeout'] !== undefined) throw new UsageError('--probe-timeout only applies with --probe');
    return null;
  }
  if (values.snapshot !== undefined) {
    throw new UsageError('--probe needs the live cluster: it connects to the nodes and pods now, while --snapshot FILE holds what was gathered then');
  }
  return { timeoutMs: probeTimeoutMs(values['probe-timeout']) };
}
