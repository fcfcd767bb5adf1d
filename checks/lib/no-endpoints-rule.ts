/**
 * Evidence shared by the endpoint checks: kube-proxy's "has no endpoints" REJECT each ingress walk
 * ended on (iptables mode), or the no-endpoint map element that sent it to reject-chain (nftables).
 */
import type { CheckContext, Evidence } from '../../src/run/check.js';
import { hopEvidence } from './kube-proxy.js';
import { noEndpointHop } from './kube-proxy-nft.js';

export function noEndpointsRules(ctx: CheckContext): Evidence[] {
  const out: Evidence[] = [];
  for (const p of ctx.paths) {
    for (const b of p.branches) {
      const hops = b.stages.find((s) => s.stage === 'ingress')?.outcome?.hops ?? [];
      const h = hops[hops.length - 1];
      const nft = noEndpointHop(hops);
      if (nft !== null && h?.action.startsWith('REJECT')) {
        out.push(hopEvidence(ctx, p.node, nft), hopEvidence(ctx, p.node, h));
        break;
      }
      if (h === undefined || !h.action.startsWith('REJECT') || !(h.rule ?? '').includes('has no endpoints')) continue;
      const r = ctx.cluster.nodeDataOf(p.node).rulesFor(4);
      const source = h.source ?? (r.ok ? r.rulesets[0]?.source : undefined) ?? p.node;
      out.push({ kind: 'rule', node: p.node, source, table: h.table, chain: h.chain, line: h.line, rule: h.rule, action: h.action });
      break;
    }
  }
  return out;
}
