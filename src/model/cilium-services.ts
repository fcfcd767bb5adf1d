/**
 * Cilium's own service table, as the agent on a node printed it (`cilium-dbg service list -o json`,
 * gathered with --exec-agent): an array of Service{spec, status} (Cilium's API ServiceSpec) with
 * `frontend-address` {ip, port, protocol, scope}, `backend-addresses` [{ip, port, state, nodeName}]
 * and `flags` {type, name, namespace, …}. A NodePort appears as 0.0.0.0:NP plus one frontend per
 * node address, each of type NodePort. The text form changed between releases; the JSON did not.
 * Untrusted and bounded: what does not fit the schema is refused with the field that broke it.
 */
import { z } from 'zod';
import { AGENT_COMMANDS } from '../snapshot/agent-commands.js';
import type { AgentOutput } from '../snapshot/schema.js';

/** More services or backends than this is not a table np-doctor reads (a 10k-Service cluster has ~30k frontends). */
const MAX_ENTRIES = 200_000;
const MAX_BACKENDS = 10_000;

const text = (max: number) => z.string().max(max);
const Address = z.looseObject({
  ip: text(64).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  protocol: text(16).optional(),
  scope: text(16).optional(),
});
const Entry = z.looseObject({
  spec: z.looseObject({
    id: z.number().int().optional(),
    'frontend-address': Address,
    'backend-addresses': z.array(Address.extend({ state: text(32).optional(), nodeName: text(253).optional() })).max(MAX_BACKENDS).nullish(),
    flags: z.looseObject({ type: text(32).optional(), name: text(253).optional(), namespace: text(63).optional() }).nullish(),
  }),
});
const Table = z.array(Entry).max(MAX_ENTRIES);

export interface CiliumBackend {
  ip: string;
  port: number;
  /** active, terminating, quarantined, maintenance (older agents print none: active). */
  state: string;
}

export interface CiliumService {
  frontend: { ip: string; port: number; protocol: string };
  /** ClusterIP, NodePort, ExternalIPs, HostPort, LoadBalancer, LocalRedirect ('' when not printed). */
  type: string;
  /** The Kubernetes Service it stands for, when the agent names it. */
  service: { namespace: string; name: string } | null;
  backends: CiliumBackend[];
}

/** The table on one node, or why it cannot be read. */
export type CiliumTable =
  | { state: 'read'; services: CiliumService[]; pod: string; command: string }
  | { state: 'unknown'; why: string; /** The agent was asked (--exec-agent) and did not answer with a table. */ asked: boolean };

const CILIUM_SERVICE_LIST_ARGV = AGENT_COMMANDS['cilium-service-list'].argv;

export function ciliumTableOn(outputs: readonly AgentOutput[] | undefined, node: string): CiliumTable {
  const out = outputs?.find((o) => o.node === node && o.argv.join(' ') === CILIUM_SERVICE_LIST_ARGV.join(' '));
  if (out === undefined) {
    return outputs === undefined
      ? { state: 'unknown', why: 'the agent was not asked (gather with --exec-agent)', asked: false }
      : { state: 'unknown', why: `no Cilium agent answered for ${node} (no running agent pod there, or the exec was refused)`, asked: true };
  }
  const command = `kubectl -n kube-system exec ${out.pod} -c ${out.container} -- ${out.argv.join(' ')}`;
  if (out.truncated !== undefined) return { state: 'unknown', why: `\`${command}\` printed more than ${out.truncated.limitBytes} bytes and was cut`, asked: true };
  if (out.exitCode !== 0) return { state: 'unknown', why: `\`${command}\` failed (exit ${out.exitCode ?? 'none'}): ${out.stderr.trim().slice(0, 300) || 'no message'}`, asked: true };
  let json: unknown;
  try {
    json = JSON.parse(out.stdout);
  } catch (e) {
    return { state: 'unknown', why: `\`${command}\` did not print JSON: ${(e as Error).message.slice(0, 200)}`, asked: true };
  }
  const parsed = Table.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { state: 'unknown', why: `\`${command}\` printed an unexpected table: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || '(top)'}: ${issue.message}`}`, asked: true };
  }
  const services = parsed.data.map((e): CiliumService => {
    const f = e.spec['frontend-address'];
    const flags = e.spec.flags;
    return {
      frontend: { ip: f.ip ?? '', port: f.port ?? 0, protocol: (f.protocol ?? 'any').toLowerCase() },
      type: flags?.type ?? '',
      service: flags?.name !== undefined && flags.namespace !== undefined ? { namespace: flags.namespace, name: flags.name } : null,
      backends: (e.spec['backend-addresses'] ?? []).map((b) => ({ ip: b.ip ?? '', port: b.port ?? 0, state: (b.state ?? 'active').toLowerCase() })),
    };
  });
  return { state: 'read', services, pod: out.pod, command };
}
