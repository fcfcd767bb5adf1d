/**
 * conntrack marks an out-of-window TCP packet (a late retransmit, a window probe on a large
 * transfer) INVALID. Such a packet is not un-DNATed; forwarded to the host it makes the kernel
 * answer with a RST and the NodePort connection dies with "connection reset by peer"
 * (kubernetes/kubernetes#74839). kube-proxy guards against it in one of two ways: the
 * `KUBE-FORWARD … --ctstate INVALID -j DROP` rule, written whenever it reads
 * nf_conntrack_tcp_be_liberal=0 at start (the default), or, with be_liberal=1 (kube-proxy ≥ 1.29,
 * conntrack.tcpBeLiberal), no rule because conntrack then accepts such packets. A node with
 * neither — be_liberal 0 and no INVALID drop (the sysctl was reset after kube-proxy started, or an
 * old or modified kube-proxy) — resets long or large flows. The healthy default (rule present,
 * be_liberal 0) is not reported.
 */
import { defineCheck, rulesOf, sh, type Evidence, type FindingInput, type Rule } from '../src/check-kit/index.js';
import { chainOf } from './lib/iptables-rule.js';
import { nodesOnPaths } from './lib/path-nodes.js';

const SYSCTL = 'net.netfilter.nf_conntrack_tcp_be_liberal';

const isInvalidDrop = (r: Rule) =>
  r.target?.name === 'DROP' && r.matches.some((m) => m.module === 'conntrack' && m.options.some((o) => o.name === '--ctstate' && !o.negated && (o.values[0] ?? '').split(',').includes('INVALID')));

const MESSAGES = {
  notDropped:
    '{{node}} forwards NodePort {{port}} connections, but its KUBE-FORWARD chain has no `-m conntrack --ctstate INVALID -j DROP` rule while {{sysctl}} is 0: an out-of-window packet of a long or large transfer is marked INVALID, is not translated back, and makes the node answer with a TCP reset, so such connections break with "connection reset by peer".',
} as const;

export default defineCheck({
  id: 'conntrack-invalid-drop',
  title: 'Out-of-window TCP packets are neither dropped nor accepted',
  description: 'KUBE-FORWARD lacks the conntrack INVALID drop while nf_conntrack_tcp_be_liberal is 0, so long or large NodePort transfers can be reset.',
  severity: 'warning',
  stage: 'node',
  requires: ['nodeState', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    if (ctx.port !== null && ctx.port.protocol !== 'TCP') return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const node of nodesOnPaths(ctx)) {
      const data = ctx.nodeState(node);
      const rulesets = data.rulesets;
      const liberal = data.sysctl(SYSCTL);
      if (rulesets === null || liberal !== '0') continue;
      const rs = rulesets.find((r) => chainOf(r, 'filter', 'KUBE-FORWARD') !== undefined);
      const chain = rs && chainOf(rs, 'filter', 'KUBE-FORWARD');
      // No KUBE-FORWARD at all means kube-proxy is not running here: other checks say so.
      // IPVS mode never writes the INVALID drop (kube-proxy's ipvs proxier has no such rule).
      if (rs === undefined || chain === undefined || rs.tables.get('nat')?.chains.has('KUBE-NODE-PORT')) continue;
      const kf = rulesOf(rs, chain);
      if (kf.some(isInvalidDrop)) continue;
      const evidence: Evidence[] = [
        { kind: 'sysctl', node, name: SYSCTL, value: liberal },
        ...kf.map((r): Evidence => ({ kind: 'rule', node, source: rs.source, table: r.table, chain: r.chain, line: r.line, rule: r.text })),
      ];
      const proxyPod = ctx.kubeProxy.podsOn(node)[0]?.name;
      findings.push({
        messageId: 'notDropped',
        node,
        data: { node, port: ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0, sysctl: SYSCTL },
        evidence,
        remediation: {
          summary: `On ${node}, let conntrack accept out-of-window packets (be_liberal=1, what kube-proxy ≥ 1.29 sets with conntrack.tcpBeLiberal: true), persistently; or restart kube-proxy so it writes the INVALID drop again.`,
          commands: [
            sh`sysctl -w ${SYSCTL}=1`,
            sh`echo ${`${SYSCTL}=1`} | tee /etc/sysctl.d/99-kubernetes-conntrack.conf`,
            proxyPod ? sh`kubectl -n kube-system delete pod ${proxyPod}` : sh`kubectl -n kube-system rollout restart daemonset/kube-proxy`,
          ],
        },
      });
    }
    return findings;
  },
});
