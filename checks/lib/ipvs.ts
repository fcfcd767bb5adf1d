/**
 * Reads for kube-proxy in IPVS mode. kube-proxy makes one virtual service per node address and
 * NodePort (`-A -t <nodeIP>:<nodePort> -s rr`) whose real servers are the Service's endpoints
 * (`-a … -r <podIP>:<port> -m -w 1`).
 */
import type { Evidence, IpvsService, IpvsState } from '../../src/check-kit/index.js';

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
