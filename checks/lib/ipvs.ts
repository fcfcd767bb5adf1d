/**
 * Shared reads for kube-proxy in IPVS mode: the node's virtual services and ipsets. kube-proxy
 * makes one virtual service per node address and NodePort (`-A -t <nodeIP>:<nodePort> -s rr`)
 * whose real servers are the Service's endpoints (`-a … -r <podIP>:<port> -m -w 1`).
 */
import type { IpvsService, IpvsState } from '../../src/engine/ipvs/index.js';
import type { CheckContext, Evidence } from '../../src/run/check.js';

export function ipvsOf(ctx: CheckContext, node: string): IpvsState | null {
  const r = ctx.cluster.nodeDataOf(node).rulesFor(4);
  return r.ok ? r.plane.ipvs ?? null : null;
}

/** The virtual service for `address:port` of a protocol. */
export function virtualService(state: IpvsState, protocol: string, address: string, port: number): IpvsService | null {
  const proto = protocol.toLowerCase();
  return state.services.find((s) => s.proto === proto && s.address === address && s.port === port) ?? null;
}

export function serviceEvidence(node: string, state: IpvsState, s: IpvsService): Evidence[] {
  return [
    { kind: 'rule', node, source: state.source, table: 'ipvs', chain: 'virtual-service', line: s.line, rule: s.text },
    ...s.reals.map((r): Evidence => ({ kind: 'rule', node, source: state.source, table: 'ipvs', chain: 'virtual-service', line: r.line, rule: r.text })),
  ];
}

/** Whether the node runs kube-proxy's IPVS mode (virtual services or ipvsadm output present). */
export function inIpvsMode(ctx: CheckContext, node: string): boolean {
  return (ipvsOf(ctx, node)?.services.length ?? 0) > 0;
}
