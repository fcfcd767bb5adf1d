/**
 * externalTrafficPolicy: Local keeps the client's address by serving a NodePort only from endpoints
 * on the node that was hit. A node without one drops the connection on purpose, with kube-proxy's
 * `"<svc> has no local endpoints"` rule. The proof is that rule in the node's replayed walk; the
 * API says which nodes would answer instead.
 */
import { defineCheck, hopRule, hostPort, ingressOutcomes, sh, type Evidence, type FindingInput, type Hop } from '../src/check-kit/index.js';
import { commentOf } from './lib/iptables-rule.js';
import { NO_ENDPOINT_NODEPORTS, nodePortElement, noEndpointHop, verdictOf } from './lib/kube-proxy-nft.js';
import { NO_LOCAL, noLocalEndpointRules, servicePortName } from './lib/kube-proxy-rules.js';
import { listText, nodeIp, nodeLabel } from './lib/text.js';

const MESSAGES = {
  dropped: 'Node {{node}} drops connections to {{target}}/{{protocol}}: Service {{service}} has externalTrafficPolicy: Local and no ready endpoint runs on {{node}}, so kube-proxy\'s rule "{{comment}}" in {{table}}/{{chain}} (line {{line}}) drops them and the client times out. Nodes that would answer (they run a ready endpoint): {{working}}.',
  droppedNft: 'Node {{node}} drops connections to {{target}}/{{protocol}}: Service {{service}} has externalTrafficPolicy: Local and no ready endpoint runs on {{node}}, so kube-proxy (nftables mode) lists {{key}} ("{{comment}}") in its map no-endpoint-nodeports with verdict drop; {{family}} {{table}}/{{chain}} (handle {{line}}) drops them and the client times out. Nodes that would answer (they run a ready endpoint): {{working}}.',
} as const;

export default defineCheck({
  id: 'etp-local-no-local-endpoint',
  title: 'externalTrafficPolicy Local with no local endpoint',
  description: 'A node drops the NodePort on purpose: the Service has externalTrafficPolicy Local and no ready endpoint runs on that node.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'paths', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    if (svc.externalTrafficPolicy !== 'Local') return [];
    const name = servicePortName(svc, port);
    const all = ctx.endpointSlices.of(svc, port).filter((e) => e.port !== null);

    // Nodes kube-proxy would serve from: a local endpoint per the API, and (when the node was
    // gathered) no "no local endpoints" rule of its own. A node whose rules say otherwise has the
    // node-name mismatch, which kube-proxy-node-name-mismatch reports; it would not answer either.
    const candidates = [...new Set(all.map((e) => e.nodeName).filter((n): n is string => n !== null))]
      .filter((n) => ctx.endpointSlices.local(svc, port, n).length > 0)
      .sort();
    const working = candidates.filter((n) => {
      const gathered = ctx.nodeState(n);
      if ((gathered.rulesets ?? []).some((rs) => noLocalEndpointRules(rs, name, nodePort).length > 0)) return false;
      const table = gathered.kubeProxyTable;
      const e = table === null ? null : nodePortElement(table, NO_ENDPOINT_NODEPORTS, port.protocol.toLowerCase(), nodePort);
      return e === null || verdictOf(e) !== 'drop';
    });

    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const p of ctx.paths) {
      if (p.unavailable !== null) continue;
      const drop = ingressOutcomes(p).map((o) => ({ o, hop: noLocalHop(o.hops) ?? nftNoLocalHop(o.hops) })).find((x) => x.o.verdict === 'DROP' && x.hop !== null);
      if (drop === undefined || drop.hop === null) continue;
      // A node that does run a local endpoint drops only because kube-proxy does not know it:
      // that is kube-proxy-node-name-mismatch, not the policy working as designed.
      if (ctx.endpointSlices.local(svc, port, p.node).length > 0) continue;
      // No node would answer: either no ready endpoint at all (the endpoints checks) or every
      // node with one has the mismatch (kube-proxy-node-name-mismatch). Nothing to point to.
      const [firstWorking] = working;
      if (firstWorking === undefined) continue;

      const hop = drop.hop;
      const last = drop.o.hops[drop.o.hops.length - 1];
      const evidence: Evidence[] = [ctx.hopEvidence(p.node, hop)];
      // Old kube-proxy only marks the packet (KUBE-MARK-DROP); the DROP itself is kubelet's KUBE-FIREWALL rule.
      if (last !== undefined && last !== hop) evidence.push(ctx.hopEvidence(p.node, last));
      evidence.push({ kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: 'spec.externalTrafficPolicy', value: 'Local' });
      for (const [slice, eps] of groupBy(all, (e) => e.slice)) {
        evidence.push({
          kind: 'object', ref: `EndpointSlice ${svc.namespace}/${slice}`, field: 'endpoints[].nodeName',
          value: eps.map((e) => `${e.address} on ${e.nodeName ?? '(no nodeName)'}${e.ready ? '' : e.serving && e.terminating ? ' (terminating)' : ' (not ready)'}`).join(', '),
        });
      }

      const first = nodeIp(ctx.nodes, firstWorking, ctx.question.family);
      const selector = svc.selector === null ? null : Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const { element } = hop;
      const rule = hopRule(hop);
      const data = {
        node: p.node, target: hostPort(p.address, nodePort), protocol: p.protocol.toUpperCase(), service: `${svc.namespace}/${svc.name}`,
        table: hop.table, chain: hop.chain, line: hop.line, working: listText(working.map((n) => nodeLabel(ctx.nodes, n, ctx.question.family))),
      };
      findings.push({
        ...(element !== undefined
          ? { messageId: 'droppedNft', data: { ...data, comment: element.comment ?? name, family: hop.family ?? '', key: element.key } }
          : { messageId: 'dropped', data: { ...data, comment: (rule === null ? null : commentOf(rule)) ?? `${name} ${NO_LOCAL}` } }),
        node: p.node,
        workingNodes: working,
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
