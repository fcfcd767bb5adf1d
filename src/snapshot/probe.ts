/**
 * Active probes (--probe): what one TCP connect saw, as a snapshot stores it, and the one command a
 * node runs for it. A probe only connects and closes; nothing else is ever sent.
 *
 * On a node the connect is bash's /dev/tcp under coreutils' timeout, both on nearly every node
 * image. The script is a constant: the address and the port reach it as positional arguments
 * ($1, $2), after they were validated here, so no text from the cluster is ever read by a shell.
 */
import { z } from 'zod';
import { parseAddr } from '../engine/address.js';

/**
 * client-to-node: from where np-doctor runs to an ingress node's nodePort;
 * node-to-self:   on an ingress node, to its own address and nodePort;
 * node-to-pod:    on an ingress node, to a backend pod's IP and targetPort.
 */
export const PROBE_KINDS = ['client-to-node', 'node-to-self', 'node-to-pod'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/**
 * connected: the handshake completed; refused: a reset (nothing listens, or a REJECT);
 * timed-out: no answer within the limit (a drop somewhere); unreachable: an ICMP error said so;
 * error: the probe could not run (the tool is missing, the session failed); not-run: not sent
 * (UDP, or over the bound), with the reason in `detail`.
 */
export const PROBE_RESULTS = ['connected', 'refused', 'timed-out', 'unreachable', 'error', 'not-run'] as const;
export type ProbeResult = (typeof PROBE_RESULTS)[number];

/** `from` of a probe sent from where np-doctor ran. */
export const HERE = 'here';

export const ProbeSchema = z.object({
  kind: z.enum(PROBE_KINDS),
  // Names are judged with the rest of the snapshot's identifiers when a file is loaded (identifiers.ts).
  from: z.string().describe('"here" (where np-doctor ran) or the name of the node the probe ran on'),
  fromAddress: z.string().refine((v) => parseAddr(v) !== null, 'not an IP address').nullable().optional()
    .describe('client-to-node: the source address this machine\'s routing picks for the target, when known'),
  node: z.string().describe('the ingress node whose nodePort is dialled, or the node the pod runs on ("" when unknown)'),
  pod: z.object({
    namespace: z.string(),
    name: z.string(),
  }).optional().describe('node-to-pod: the backend pod'),
  ip: z.string().refine((v) => parseAddr(v) !== null, 'not an IP address'),
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']),
  result: z.enum(PROBE_RESULTS),
  ms: z.number().nonnegative().nullable()
    .describe('how long the connect took as np-doctor saw it (a node probe includes starting the command there); null when not run'),
  at: z.string().describe('RFC 3339 time the probe started'),
  detail: z.string().optional().describe('why, in words: the error, or the reason it was not run'),
});
export type Probe = z.infer<typeof ProbeSchema>;

/** The connect timeout a probe gets by default, and the most any probe may wait. */
export const PROBE_TIMEOUT_MS = 3000;
export const PROBE_TIMEOUT_MAX_MS = 30_000;
/** At most this many probes per run, whatever the cluster's size (ingress nodes × backends). */
export const MAX_PROBES = 64;

/** Why a UDP probe is not sent. */
export const NOT_A_CONNECT = 'UDP cannot be proven by a connect: a UDP socket "connects" without sending anything, and a server may stay silent either way';
/** Why a probe past MAX_PROBES is not sent. */
export const OVER_BOUND = `over the bound of ${MAX_PROBES} probes per run`;

export class ProbeTargetError extends Error {
  override readonly name = 'ProbeTargetError';
}

/** A validated probe target: a canonical IP address and a port number, nothing else. */
export interface ProbeTarget {
  ip: string;
  port: number;
}

export function probeTarget(ip: string, port: number): ProbeTarget {
  const addr = parseAddr(ip);
  if (addr === null) throw new ProbeTargetError(`not an IP address: ${JSON.stringify(ip.slice(0, 64))}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ProbeTargetError(`not a port number: ${String(port)}`);
  return { ip: addr.text, port };
}

/** The constant script: open a TCP connection to $1 port $2 on fd 3; bash closes it on exit. */
const CONNECT_SCRIPT = 'exec 3<>"/dev/tcp/$1/$2"';

/** timeout's exit status when the limit passed (124), or when it had to KILL after the grace second (137). */
const TIMED_OUT = new Set([124, 137]);

/** The argv a node runs to probe `target` (not as root). */
export function probeArgv(target: ProbeTarget, timeoutMs: number): string[] {
  const checked = probeTarget(target.ip, target.port);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > PROBE_TIMEOUT_MAX_MS) {
    throw new ProbeTargetError(`probe timeout out of range: ${String(timeoutMs)} ms`);
  }
  return ['timeout', '-k', '1', (timeoutMs / 1000).toFixed(1), 'bash', '-c', CONNECT_SCRIPT, 'np-doctor-probe', checked.ip, String(checked.port)];
}

/** What a node's probe command said, as a result (and, unless it connected, why in words). */
export function probeOutcome(out: { exitCode: number | null; stderr: string }): { result: ProbeResult; detail?: string } {
  const said = out.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  if (out.exitCode === 0) return { result: 'connected' };
  if (out.exitCode !== null && TIMED_OUT.has(out.exitCode)) return { result: 'timed-out' };
  if (/Connection refused/i.test(said)) return { result: 'refused' };
  if (/No route to host|Network is unreachable|Host is unreachable/i.test(said)) return { result: 'unreachable', detail: said };
  if (/Connection timed out/i.test(said)) return { result: 'timed-out' };
  if (out.exitCode === 126 || out.exitCode === 127) return { result: 'error', detail: `timeout or bash is missing on the node: ${said}` };
  if (out.exitCode === null) return { result: 'error', detail: 'the probe command did not finish' };
  return { result: 'error', detail: `exit ${out.exitCode}${said ? `: ${said}` : ''}` };
}
