/**
 * No kube-proxy on a node of the path: no kube-proxy pod there and none of its chains in any of
 * the node's rules, so nothing translates a NodePort on that node. A dataplane that replaces
 * kube-proxy (Cilium, OVN-Kubernetes, kube-router's proxy: nodeState().proxyReplacement) keeps the
 * check quiet (kube-proxy-replaced says so); so does kube-proxy in nftables mode (its `kube-proxy`
 * nft table).
 */
import { defineCheck, iptablesDumpIds, sh, type Evidence, type FindingInput, type IptablesDumpId, type Ruleset } from '../src/check-kit/index.js';
import { hasKubeProxyRules } from './lib/kube-proxy-rules.js';


const MESSAGES = {
  absent: 'kube-proxy does not run on {{node}}: there is no kube-proxy pod on it{{daemonSet}}, and its iptables rules have no KUBE-SERVICES or KUBE-NODEPORTS chain ({{dumps}}). Nothing on {{node}} translates NodePorts, so {{node}}:{{nodePort}} is refused or reaches whatever listens there.',
  noRules: 'kube-proxy pod {{pod}} runs on {{node}} and is Ready, but the node has none of its rules: no KUBE-SERVICES or KUBE-NODEPORTS chain ({{dumps}}). kube-proxy is failing to write them (its log shows why: an iptables-restore error, a missing kernel module, or an iptables backend other than the one read here), so {{node}}:{{nodePort}} is not translated.',
} as const;

export default defineCheck({
  id: 'kube-proxy-missing',
  title: 'kube-proxy is not running on the node',
  description: 'An ingress node has no kube-proxy pod and none of its rules (no KUBE-SERVICES / KUBE-NODEPORTS), so no NodePort works there.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['kubeProxy', 'nodeState'],
  messages: MESSAGES,
  run(ctx) {
    const kp = ctx.kubeProxy;
    const mode = kp.config?.mode ?? '';
    const nodePort = ctx.port?.nodePort ?? '<nodePort>';
    const findings: FindingInput<typeof MESSAGES>[] = [];

    // Ingress nodes: a NodePort needs kube-proxy on the node that was dialled (the backend's node
    // receives the packet already translated).
    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      const data = ctx.nodeState(node);
      if (data.unavailable !== null) continue;
      // Only dumps that ran count: an empty successful dump says "no rules", a missing one says nothing.
      const read: { id: IptablesDumpId; rs: Ruleset | null; argv: string }[] = [];
      // The question's family: ip6tables-save for IPv6, where a dual-stack kube-proxy writes its other proxier's rules.
      const [nftDump, legacyDump, plain] = iptablesDumpIds(ctx.question.family);
      for (const id of [nftDump, legacyDump, plain]) {
        const dump = data.iptablesDump(id);
        if (dump !== null) read.push({ id, rs: dump.ruleset, argv: dump.argv });
      }
      // The unsuffixed iptables-save is one of the two backends again: keep it only when neither ran.
      if (read.some((r) => r.id !== plain)) read.splice(0, read.length, ...read.filter((r) => r.id !== plain));
      if (read.length === 0) continue;
      if (read.some((r) => r.rs !== null && hasKubeProxyRules(r.rs))) continue;
      const nft = data.command('nft-ruleset');
      // kube-proxy in nftables mode keeps its rules in `table ip kube-proxy`, not in iptables.
      if (nft?.exitCode === 0 && /"name":\s*"kube-proxy"/.test(nft.stdout)) continue;
      // In nftables mode a missing table is nft-kube-proxy-table-missing's finding.
      if (mode === 'nftables') continue;
      if (data.proxyReplacement !== null) continue;

      const dumps = read.map((r) => r.rs === null ? `${r.id}: empty` : `${r.id}: ${[...r.rs.tables.keys()].join(', ') || 'no tables'}`).join('; ');
      const evidence: Evidence[] = read.map((r) => ({
        kind: 'output', node, command: r.argv,
        excerpt: r.rs === null ? '(no tables)' : `nat chains: ${[...(r.rs.tables.get('nat')?.chains.keys() ?? [])].join(', ') || '(no nat table)'}`,
      }));
      const pods = kp.podsOn(node);
      const ready = pods.find((p) => p.phase === 'Running' && p.ready === true);

      if (pods.length === 0) {
        evidence.push({ kind: 'object', ref: 'Pod kube-system/*', field: `k8s-app=kube-proxy, spec.nodeName=${node}`, value: 'none' });
        const ds = kp.daemonSet;
        const status = (ds?.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
        evidence.push(ds === null
          ? { kind: 'object', ref: 'DaemonSet kube-system/kube-proxy', value: 'not found' }
          : { kind: 'object', ref: `DaemonSet kube-system/${ds.metadata.name}`, field: 'status', value: `desired ${status.desiredNumberScheduled ?? '?'}, ready ${status.numberReady ?? '?'}` });
        const others = kp.pods.flatMap((p) => (p.nodeName === null ? [] : [p.nodeName]));
        findings.push({
          messageId: 'absent',
          node,
          data: {
            node, nodePort, dumps,
            daemonSet: ds === null ? ' and no kube-proxy DaemonSet in kube-system' : others.length > 0 ? ` (DaemonSet kube-system/${ds.metadata.name} runs on ${[...new Set(others)].sort().join(', ')} only)` : ` (DaemonSet kube-system/${ds.metadata.name} has no pods)`,
          },
          evidence,
          remediation: ds === null
            ? {
              summary: 'Install kube-proxy (on kubeadm clusters the kube-proxy addon), or, if a CNI is meant to replace kube-proxy, enable its kube-proxy replacement (for Cilium: kubeProxyReplacement=true).',
              commands: [
                sh`kubectl -n kube-system get daemonsets,pods -l k8s-app=kube-proxy -o wide`,
                sh`kubeadm init phase addon kube-proxy --kubeconfig /etc/kubernetes/admin.conf`,
              ],
            }
            : {
              summary: `Find out why the kube-proxy DaemonSet has no pod on ${node}: a nodeSelector or affinity that excludes it, a taint it does not tolerate, or a pod that cannot be created there.`,
              commands: [
                sh`kubectl -n kube-system describe daemonset ${ds.metadata.name}`,
                sh`kubectl describe node ${node} | grep -iA3 taints`,
                sh`kubectl -n kube-system get events --field-selector involvedObject.name=${ds.metadata.name}`,
              ],
            },
        });
      } else if (ready !== undefined) {
        evidence.push({ kind: 'object', ref: `Pod kube-system/${ready.name}`, field: 'status', value: `Running, Ready, on ${node}` });
        findings.push({
          messageId: 'noRules',
          node,
          data: { node, nodePort, dumps, pod: ready.name },
          evidence,
          remediation: {
            summary: `Read kube-proxy's log on ${node} for the sync error and fix it (kernel modules, iptables backend, nfacct support), then restart the pod.`,
            commands: [
              sh`kubectl -n kube-system logs ${ready.name} | grep -iE ${'error|fail'} | tail -20`,
              sh`kubectl -n kube-system delete pod ${ready.name}`,
            ],
          },
        });
      }
      // A kube-proxy pod that is there but not ready is kube-proxy-crashlooping's finding.
    }
    return findings;
  },
});
