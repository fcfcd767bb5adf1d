/**
 * kube-proxy in IPVS mode handles externalTrafficPolicy: Local differently from iptables and
 * nftables mode. A node with no local endpoint does not drop the NodePort: IPVS falls back to all
 * endpoints ("Allow access from local PODs even if no local endpoints exist", kubernetes PR
 * #97081), while the NodePort, listed in KUBE-NODE-PORT-LOCAL-TCP, RETURNs before KUBE-MARK-MASQ
 * and so is not masqueraded. The remote pod answers the client from its own address; the client
 * drops that reply and the connection times out.
 */
import { defineCheck, hostPort, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { serviceEvidence, virtualService } from './lib/ipvs.js';
import { listText, nodeLabel } from './lib/text.js';

const MESSAGES = {
  fallback: 'Node {{node}} runs no ready endpoint of {{service}} (externalTrafficPolicy: Local), so kube-proxy in IPVS mode falls back to every endpoint ({{reals}}) for {{target}}/{{protocol}}, but does not masquerade a Local NodePort: the pod answers {{client}} straight from its own address, the client drops the reply, and the connection times out. (iptables and nftables mode drop it on {{node}} instead.) Nodes that serve it: {{working}}.',
} as const;

export default defineCheck({
  id: 'ipvs-etp-local-fallback',
  title: 'IPVS forwards an externalTrafficPolicy Local NodePort without masquerade',
  description: 'In IPVS mode, a node with no local endpoint of a Local Service forwards the NodePort to other nodes\' pods without masquerade, so replies bypass it.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    if (svc.externalTrafficPolicy !== 'Local') return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const all = ctx.endpointSlices.of(svc, port).filter((e) => e.port !== null && e.ready);
    const working = [...new Set(all.map((e) => e.nodeName).filter((n): n is string => n !== null))].sort();
    for (const p of ctx.paths) {
      // A kube-proxy replacement handles NodePorts here: kube-proxy-replaced says so.
      if (ctx.nodeState(p.node).proxyReplacement !== null) continue;
      const state = ctx.nodeState(p.node).ipvs;
      if (state === null) continue;
      const vs = virtualService(state, p.protocol, p.address, nodePort);
      if (vs === null || ctx.endpointSlices.local(svc, port, p.node).length > 0) continue;
      const remote = vs.reals.filter((r) => r.weight > 0);
      if (remote.length === 0) continue;
      const evidence: Evidence[] = [...serviceEvidence(p.node, state, vs)];
      evidence.push({ kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: 'spec.externalTrafficPolicy', value: 'Local' });
      // A CNI that masquerades traffic into the pod network (flannel) hides the fallback: the
      // connection works, without the client's address (unexpected-snat's finding).
      const failed = p.branches.find((b) => b.failedAt === 'return');
      if (failed === undefined) continue;
      evidence.push({ kind: 'path', node: p.node, summary: failed.why });
      findings.push({
        messageId: 'fallback',
        node: p.node,
        ...(working.length > 0 ? { workingNodes: working } : {}),
        data: {
          node: p.node, service: `${svc.namespace}/${svc.name}`, target: hostPort(p.address, nodePort), protocol: p.protocol.toUpperCase(),
          client: p.client.ip, reals: listText(remote.map((r) => hostPort(r.address, r.port))),
          working: listText(working.map((n) => nodeLabel(ctx.nodes, n, ctx.question.family))) || 'none',
        },
        evidence,
        remediation: {
          summary: `Connect to a node that runs a ready endpoint${working.length ? ` (${listText(working)})` : ''}, or set externalTrafficPolicy: Cluster (the pod then sees the node's address), or run a pod on every node (a DaemonSet).`,
          commands: [sh`kubectl -n ${svc.namespace} patch svc ${svc.name} -p ${JSON.stringify({ spec: { externalTrafficPolicy: 'Cluster' } })}`],
        },
      });
    }
    return findings;
  },
});
