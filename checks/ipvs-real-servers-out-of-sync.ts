/**
 * kube-proxy in IPVS mode keeps a NodePort's virtual services in step with the EndpointSlices: one
 * real server per ready endpoint (for externalTrafficPolicy Local, the node's own endpoints, or all
 * of them when it has none). When kube-proxy stops syncing (crash loop, API watch broken, an ipvs
 * error in its log), the real servers go stale: new pods get no traffic, deleted pods keep getting
 * it and those connections time out.
 */
import { defineCheck, hostPort, sh, type Evidence, type FindingInput, type IpvsReal } from '../src/check-kit/index.js';
import { serviceEvidence, virtualService } from './lib/ipvs.js';
import { listText } from './lib/text.js';


const MESSAGES = {
  noService: 'kube-proxy (IPVS mode) on {{node}} has no virtual service for {{target}}/{{protocol}}, although Service {{service}} has that NodePort: the NodePort is not served on {{node}} (kube-proxy is not syncing, or {{address}} is not one of the addresses it serves NodePorts on).',
  outOfSync: 'kube-proxy (IPVS mode) on {{node}} sends {{target}}/{{protocol}} to {{reals}}, but the ready endpoints of {{service}} are {{endpoints}}.{{stale}}{{missing}} kube-proxy is not syncing IPVS on {{node}}.',
} as const;

export default defineCheck({
  id: 'ipvs-real-servers-out-of-sync',
  title: 'IPVS real servers out of sync with the EndpointSlices',
  description: "In IPVS mode, the NodePort's virtual service on a node lists other real servers than the Service's ready endpoints.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const p of ctx.paths) {
      // A kube-proxy replacement handles NodePorts here: kube-proxy-replaced says so.
      if (ctx.nodeState(p.node).proxyReplacement !== null) continue;
      const state = ctx.nodeState(p.node).ipvs;
      if (state === null || state.services.length === 0) continue;
      const vs = virtualService(state, p.protocol, p.address, nodePort);
      const data = { node: p.node, target: hostPort(p.address, nodePort), protocol: p.protocol.toUpperCase(), service: `${svc.namespace}/${svc.name}` };
      const restart = { summary: `Restart kube-proxy on ${p.node} and read its log for the sync error.`, commands: [sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${p.node}`, sh`kubectl -n kube-system logs -l k8s-app=kube-proxy --tail 100`] };
      if (vs === null) {
        // Only when kube-proxy serves NodePorts on this address at all: it does for other NodePorts.
        if (!state.services.some((s) => s.address === p.address)) continue;
        findings.push({
          messageId: 'noService', node: p.node, data: { ...data, address: p.address },
          evidence: [{ kind: 'output', node: p.node, command: 'ipvsadm-save -n', excerpt: `no -A -${p.protocol[0]} ${hostPort(p.address, nodePort)} among ${state.services.length} virtual services` }],
          remediation: restart,
        });
        continue;
      }
      const ready = ctx.endpointSlices.used(svc, port);
      let expected = ready;
      if (svc.externalTrafficPolicy === 'Local') {
        const local = ctx.endpointSlices.local(svc, port, p.node);
        // IPVS falls back to every endpoint when the node has none (kubernetes PR #97081).
        if (local.length > 0) expected = local;
      }
      const want = new Set(expected.map((e) => hostPort(e.address, e.port)));
      const have = new Set(vs.reals.filter((r: IpvsReal) => r.weight > 0).map((r) => hostPort(r.address, r.port)));
      const stale = [...have].filter((x) => !want.has(x)).sort();
      const missing = [...want].filter((x) => !have.has(x)).sort();
      if (stale.length === 0 && missing.length === 0) continue;
      const evidence: Evidence[] = [...serviceEvidence(p.node, state, vs)];
      evidence.push({ kind: 'object', ref: `EndpointSlice ${svc.namespace}/* (kubernetes.io/service-name=${svc.name})`, field: 'ready endpoints', value: [...want].sort().join(', ') || 'none' });
      findings.push({
        messageId: 'outOfSync', node: p.node,
        data: {
          ...data,
          reals: listText([...have].sort()) || 'no real server',
          endpoints: listText([...want].sort()) || 'none',
          stale: stale.length ? ` ${listText(stale)} ${stale.length === 1 ? 'is no longer a ready endpoint' : 'are no longer ready endpoints'}: connections sent there time out.` : '',
          missing: missing.length ? ` ${listText(missing)} ${missing.length === 1 ? 'gets' : 'get'} no traffic from ${p.node}.` : '',
        },
        evidence,
        remediation: restart,
      });
    }
    return findings;
  },
});
