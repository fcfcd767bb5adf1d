/**
 * Evidence shared by the endpoint checks: the REJECT each ingress walk ended on because kube-proxy
 * believes the Service has no endpoints: its "has no endpoints" rule (iptables mode), or the
 * no-endpoint map element that sent the packet to reject-chain and the reject (nftables mode).
 */
import type { CheckContext, Evidence } from '../../src/check-kit/index.js';
import { noEndpointHop } from './kube-proxy-nft.js';

export function noEndpointsRejectEvidence(ctx: CheckContext): Evidence[] {
  const out: Evidence[] = [];
  for (const p of ctx.paths) {
    for (const b of p.branches) {
      const hops = b.stages.find((s) => s.stage === 'ingress')?.outcome?.hops ?? [];
      const h = hops[hops.length - 1];
      const nft = noEndpointHop(hops);
      if (nft !== null && h?.action.startsWith('REJECT')) {
        out.push(ctx.hopEvidence(p.node, nft), ctx.hopEvidence(p.node, h));
        break;
      }
      if (h === undefined || !h.action.startsWith('REJECT') || !(h.rule ?? '').includes('has no endpoints')) continue;
      out.push(ctx.hopEvidence(p.node, h));
      break;
    }
  }
  return out;
}
