/**
 * externalTrafficPolicy: Local keeps the client's address by serving a NodePort only from endpoints
 * on the node that was hit. A node without one drops the connection on purpose, with kube-proxy's
 * `"<svc> has no local endpoints"` rule. The proof is that rule in the node's replayed walk; the
 * API says which nodes would answer instead.
 */
import type { Hop } from '../src/engine/packet/contract.js';
import { defineCheck, type Evidence, type FindingInput } from '../src/run/check.js';
import { sh } from '../src/run/command.js';
import {
  NO_LOCAL, commentOf, hopEvidence, hopRule, ingressOutcomes, listText, localEndpoints, noLocalEndpointRules,
  nodeLabel, rulesetsOf, servicePortName,
} from './lib/kube-proxy.js';
import { kubeProxyTable, NO_ENDPOINT_NODEPORTS, nodePortElement, noEndpointHop, verdictOf } from './lib/kube-proxy-nft.js';

export default defineCheck({
  id: 'etp-local-no-local-endpoint',
  title: 'externalTrafficPolicy Local with no local endpoint',
  description: 'A node drops the NodePort on purpose: the Service has externalTrafficPolicy Local and no ready endpoint runs on that node.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'paths'],
  messages: {
    dropped: 'Node {{node}} drops connections to {{address}}:{{nodePort}}/{{protocol}}: Service {{service}} has externalTrafficPolicy: Local and no ready endpoint runs on {{node}}, so kube-proxy\'s rule "{{comment}}" in {{table}}/{{chain}} (line {{line}}) drops them and the client times out. Nodes that would answer (they run a ready endpoint): {{working}}.',
    droppedNft: 'Node {{node}} drops connections to {{address}}:{{nodePort}}/{{protocol}}: Service {{service}} has externalTrafficPolicy: Local and no ready endpoint runs on {{node}}, so kube-proxy (nftables mode) lists {{key}} ("{{comment}}") in its map no-endpoint-nodeports with verdict drop; {{family}} {{table}}/{{chain}} (handle {{line}}) drops them and the client times out. Nodes that would answer (they run a ready endpoint): {{working}}.',
  },
  run(ctx) {
    const svc = ctx.service!;
    const port = ctx.question.port!;
    const nodePort = port.nodePort!;
    if (svc.externalTrafficPolicy !== 'Local') return [];
    const name = servicePortName(svc, port);
    const all = ctx.cluster.endpoints(svc, port).filter((e) => e.port !== null);

    // Nodes kube-proxy would serve from: a local endpoint per the API, and (when the node was
    // gathered) no "no local endpoints" rule of its own. A node whose rules say otherwise has the
    // node-name mismatch, which kube-proxy-node-name-mismatch reports; it would not answer either.
    const candidates = [...new Set(all.map((e) => e.nodeName).filter((n): n is string => n !== null))]
      .filter((n) => localEndpoints(ctx, svc, port, n).length > 0)
      .sort();
    const working = candidates.filter((n) => {
      if ((rulesetsOf(ctx, n) ?? []).some((rs) => noLocalEndpointRules(rs, name, nodePort).length > 0)) return false;
      const table = kubeProxyTable(ctx, n);
      const e = table === null ? null : nodePortElement(table, NO_ENDPOINT_NODEPORTS, port.protocol.toLowerCase(), nodePort);
      return e === null || verdictOf(e) !== 'drop';
    });

    const findings: FindingInput[] = [];
    for (const p of ctx.paths) {
      if (p.unavailable !== null) continue;
      const drop = ingressOutcomes(p).map((o) => ({ o, hop: noLocalHop(o.hops) ?? nftNoLocalHop(o.hops) })).find((x) => x.o.verdict === 'DROP' && x.hop !== null);
      if (drop === undefined || drop.hop === null) continue;
      // A node that does run a local endpoint drops only because kube-proxy does not know it:
      // that is kube-proxy-node-name-mismatch, not the policy working as designed.
      if (localEndpoints(ctx, svc, port, p.node).length > 0) continue;
      // No node would answer: either no ready endpoint at all (the endpoints checks) or every
      // node with one has the mismatch (kube-proxy-node-name-mismatch). Nothing to point to.
      if (working.length === 0) continue;

      const hop = drop.hop;
      const last = drop.o.hops[drop.o.hops.length - 1];
      const evidence: Evidence[] = [hopEvidence(ctx, p.node, hop)];
      // Old kube-proxy only marks the packet (KUBE-MARK-DROP); the DROP itself is kubelet's KUBE-FIREWALL rule.
      if (last !== undefined && last !== hop) evidence.push(hopEvidence(ctx, p.node, last));
      evidence.push({ kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: 'spec.externalTrafficPolicy', value: 'Local' });
      for (const [slice, eps] of groupBy(all, (e) => e.slice)) {
        evidence.push({
          kind: 'object', ref: `EndpointSlice ${svc.namespace}/${slice}`, field: 'endpoints[].nodeName',
          value: eps.map((e) => `${e.address} on ${e.nodeName ?? '(no nodeName)'}${e.ready ? '' : e.serving && e.terminating ? ' (terminating)' : ' (not ready)'}`).join(', '),
        });
      }

      const first = ctx.cluster.node(working[0]!)?.internalIPs[0];
      const selector = svc.selector === null ? null : Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const nft = hop.element !== undefined;
      findings.push({
        messageId: nft ? 'droppedNft' : 'dropped',
        node: p.node,
        data: {
          node: p.node, address: p.address, nodePort, protocol: p.protocol.toUpperCase(), service: `${svc.namespace}/${svc.name}`,
          comment: nft ? hop.element!.comment ?? name : commentOf(hopRule(hop)!) ?? `${name} ${NO_LOCAL}`,
          table: hop.table, chain: hop.chain, line: hop.line, family: hop.family ?? '', key: hop.element?.key ?? '',
          working: listText(working.map((n) => nodeLabel(ctx, n))),
        },
        evidence,
        remediation: {
          summary: `Connect to a node that runs a ready endpoint (${listText(working)}). Or set externalTrafficPolicy: Cluster, so every node forwards to any endpoint (the pod then sees the ingress node's address, not the client's). Or run a pod on every node (for example as a DaemonSet), so every node has a local endpoint.`,
          commands: [
            ...(first !== undefined ? [p.protocol === 'udp' ? sh`nc -vzu ${first} ${nodePort}` : sh`nc -vz ${first} ${nodePort}`] : []),
            sh`kubectl -n ${svc.namespace} patch svc ${svc.name} -p ${JSON.stringify({ spec: { externalTrafficPolicy: 'Cluster' } })}`,
            ...(selector !== null ? [sh`kubectl -n ${svc.namespace} get pods -l ${selector} -o wide`] : []),
          ],
        },
      });
    }
    return findings;
  },
});

/** The hop of kube-proxy's "… has no local endpoints" rule, if the walk went through one. */
function noLocalHop(hops: Hop[]): Hop | null {
  for (const h of hops) {
    if (h.rule === null || !h.rule.includes(NO_LOCAL)) continue;
    const r = hopRule(h);
    if (r !== null && commentOf(r)?.endsWith(` ${NO_LOCAL}`)) return h;
  }
  return null;
}

/** The hop of kube-proxy's nftables no-endpoint-nodeports lookup, when its verdict was drop. */
function nftNoLocalHop(hops: Hop[]): Hop | null {
  const h = noEndpointHop(hops);
  return h !== null && h.action === 'DROP' ? h : null;
}

function groupBy<T>(items: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
