/**
 * kube-proxy in IPVS mode masquerades a NodePort (externalTrafficPolicy Cluster) in two steps:
 * nat KUBE-NODE-PORT marks packets whose port is in the ipset KUBE-NODE-PORT-TCP (or -UDP) with
 * KUBE-MARK-MASQ, and KUBE-POSTROUTING masquerades marked packets after IPVS rewrote the
 * destination. That last step needs net.ipv4.vs.conntrack=1: without it IPVS traffic skips
 * conntrack and nat POSTROUTING never sees it. Missing either, a pod on another node answers the
 * client from its own address, the client drops the reply, and the connection times out.
 */
import { defineCheck, hostPort, ingressOutcomes, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';

const MESSAGES = {
  notMasqueraded: '{{node}} forwards {{target}}/{{protocol}} through IPVS to {{backend}} without masquerade: {{cause}} The pod answers {{client}} from its own address, the client drops the reply, and the connection times out.',
} as const;

export default defineCheck({
  id: 'ipvs-nodeport-masquerade-missing',
  title: 'IPVS NodePort traffic is not masqueraded',
  description: 'In IPVS mode, a NodePort forwarded to another node\'s pod leaves without masquerade (ipset, KUBE-NODE-PORT rule, or net.ipv4.vs.conntrack), so the reply bypasses the node.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'paths'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port: { nodePort } } = ctx;
    // Local policy skips masquerade on purpose; ipvs-etp-local-fallback explains that case.
    if (svc.externalTrafficPolicy === 'Local') return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const p of ctx.paths) {
      const data = ctx.nodeState(p.node);
      if (data.ipvs === null) continue;
      const branch = p.branches.find((b) => b.failedAt === 'return' && b.stages[0]?.outcome?.hops.some((h) => h.table === 'ipvs'));
      if (branch === undefined) continue;
      const evidence: Evidence[] = [{ kind: 'path', node: p.node, summary: branch.why }];
      const causes: string[] = [];
      const conntrack = data.sysctl('net.ipv4.vs.conntrack');
      if (conntrack === '0') {
        causes.push('net.ipv4.vs.conntrack is 0, so IPVS traffic bypasses conntrack and KUBE-POSTROUTING\'s MASQUERADE never applies (kube-proxy sets it to 1; something reset it).');
        evidence.push({ kind: 'sysctl', node: p.node, name: 'net.ipv4.vs.conntrack', value: '0' });
      }
      const ipsetRead = data.hasIpset(`KUBE-NODE-PORT-${p.protocol.toUpperCase()}`);
      const o = ingressOutcomes(p).find((x) => x === branch.stages[0]?.outcome);
      const marked = o !== undefined && o.hops.some((h) => h.chain === 'KUBE-MARK-MASQ');
      if (!marked && conntrack !== '0') {
        causes.push(!ipsetRead
          ? `the packet was never marked for masquerade (no KUBE-MARK-MASQ on its path), and the ipset KUBE-NODE-PORT-${p.protocol.toUpperCase()} was not read.`
          : `the packet was never marked for masquerade: nat KUBE-NODE-PORT did not send it to KUBE-MARK-MASQ (is ${nodePort} in the ipset KUBE-NODE-PORT-${p.protocol.toUpperCase()}, and does the chain have its rule?).`);
      }
      if (causes.length === 0) causes.push('the packet was marked, yet no MASQUERADE applied in nat POSTROUTING (KUBE-POSTROUTING is missing its rule, or another rule accepted first).');
      for (const h of o?.hops ?? []) if (h.table === 'ipvs' || (h.table === 'nat' && h.chain.startsWith('KUBE-'))) evidence.push({ kind: 'rule', node: p.node, source: h.source ?? p.node, table: h.table, chain: h.chain, line: h.line, rule: h.rule, action: h.action });
      findings.push({
        messageId: 'notMasqueraded',
        node: p.node,
        data: {
          node: p.node, target: hostPort(p.address, nodePort), protocol: p.protocol.toUpperCase(), client: p.client.ip,
          backend: branch.backend ? `${branch.backend.pod ?? branch.backend.ip} (${hostPort(branch.backend.ip, branch.backend.port)}${branch.backend.node ? ` on ${branch.backend.node}` : ''})` : 'a pod',
          cause: causes.join(' '),
        },
        evidence,
        remediation: {
          summary: `Restore kube-proxy's IPVS masquerade on ${p.node}: set net.ipv4.vs.conntrack=1 and restart kube-proxy, which rewrites its ipsets and KUBE-NODE-PORT / KUBE-POSTROUTING rules.`,
          commands: [sh`sysctl -w net.ipv4.vs.conntrack=1`, sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${p.node}`, sh`ipset list KUBE-NODE-PORT-${p.protocol.toUpperCase()}`],
        },
      });
    }
    return findings;
  },
});
