import { anyOf, no, unknown, yes, type Finding } from './truth.js';
import type { PolicyPod, PolicyProtocol } from './types.js';

/**
 * NetworkPolicyPort: protocol defaults to TCP; no port means every port of that protocol; a numeric
 * port with endPort is the inclusive range port..endPort; a named port is resolved on the
 * destination pod (its containerPorts with that name and protocol). endPort is not allowed with a
 * named port or without a port.
 */

/** Where named ports resolve: the destination pod, or why there is none. */
export type PortOwner = { kind: 'pod'; pod: PolicyPod } | { kind: 'none' | 'unknown'; why: string };

export interface PortQuery {
  port: number;
  protocol: PolicyProtocol;
}

const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
/** IANA service name, as Kubernetes validates container port names: ≤15 chars, a letter, no `--`. */
const isPortName = (v: string): boolean => v.length <= 15 && /[a-z]/.test(v) && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(v);

interface Entry {
  /** `80/TCP`, `8000-8100/TCP`, `all/UDP`, `http/TCP (= 8080)`. */
  label: string;
  finding: Finding;
}

function entry(raw: unknown, at: string, q: PortQuery, owner: PortOwner): Entry {
  const bad = (problem: string): Entry => ({ label: '?', finding: unknown(`${at}${problem}`) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`: ${show(raw)} is not a port entry`);
  const { protocol = 'TCP', port, endPort } = raw as Record<string, unknown>;
  if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) return bad(`.protocol: ${show(protocol)} is not TCP, UDP or SCTP`);
  const sameProto = protocol === q.protocol;
  const result = (label: string, hit: boolean): Entry => ({ label, finding: hit ? yes(label) : no(label) });

  if (port === undefined || port === null) {
    if (endPort !== undefined && endPort !== null) return bad('.endPort: endPort needs a numeric port');
    return result(`all/${protocol}`, sameProto);
  }
  if (typeof port === 'number') {
    if (!isPort(port)) return bad(`.port: ${show(port)} is not a port number`);
    if (endPort === undefined || endPort === null) return result(`${port}/${protocol}`, sameProto && q.port === port);
    if (!isPort(endPort) || endPort < port) return bad(`.endPort: ${show(endPort)} is not a port number ≥ port ${port}`);
    return result(`${port}-${endPort}/${protocol}`, sameProto && q.port >= port && q.port <= endPort);
  }
  if (typeof port !== 'string' || !isPortName(port)) return bad(`.port: ${show(port)} is not a port number or name`);
  if (endPort !== undefined && endPort !== null) return bad('.endPort: endPort is not allowed with a named port');
  const named = `${port}/${protocol}`;
  if (!sameProto) return result(named, false);
  if (owner.kind !== 'pod') {
    if (owner.kind === 'unknown') return { label: named, finding: unknown(`named port ${named}: ${owner.why}`) };
    return { label: `${named} (${owner.why})`, finding: no(`${named} (${owner.why})`) };
  }
  const numbers = owner.pod.containerPorts.filter((c) => c.name === port && c.protocol === protocol).map((c) => c.port);
  const label = numbers.length ? `${named} (= ${numbers.join(', ')})` : `${named} (no such port on pod ${owner.pod.namespace}/${owner.pod.name})`;
  return result(label, numbers.includes(q.port));
}

/** Whether `q` is among a rule's ports. `raw` is the rule's `ports`; absent or empty means all ports. */
export function matchPorts(raw: unknown, at: string, q: PortQuery, owner: PortOwner): Finding {
  const wanted = `${q.port}/${q.protocol}`;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return yes('all ports');
  if (!Array.isArray(raw)) return unknown(`${at}: ${show(raw)} is not a list`);
  const entries = (raw as unknown[]).map((r, i) => entry(r, `${at}[${i}]`, q, owner));
  const found = anyOf(entries.map((e) => e.finding));
  const list = `[${entries.map((e) => e.label).join(', ')}]`;
  if (found.truth === 'yes') return yes(`port ${wanted} matches ${found.why}`);
  if (found.truth === 'no') return no(`port ${wanted} not in ${list}`);
  return found;
}
