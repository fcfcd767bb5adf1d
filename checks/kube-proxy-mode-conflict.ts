/**
 * The mode in kube-proxy's configuration must be what the node runs, and only one dataplane may
 * own Services. Three conflicts break NodePorts quietly:
 * - the node holds another mode's rules than the ConfigMap asks for (kube-proxy runs with other
 *   flags there, or fell back);
 * - it holds the rules of two modes: after a mode switch the old mode's rules stay until
 *   `kube-proxy --cleanup`, and its stale nat rules still translate (every nat chain runs at the
 *   NAT hook, whichever mode wrote it);
 * - Cilium runs beside kube-proxy in IPVS mode, which Cilium does not support (its socket LB and
 *   IPVS's kube-ipvs0 addresses both claim Service addresses).
 */
import { defineCheck, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { linksOf, type Link } from './lib/ip-addr.js';
import { listText } from './lib/text.js';

const MESSAGES = {
  mismatch: 'kube-proxy is configured for {{configured}} mode ({{source}}), but {{node}} runs {{observed}} mode ({{evidence}}): kube-proxy there does not use this configuration. Diagnoses of {{node}} follow what the node has.',
  twoModes: '{{node}} holds the rules of two kube-proxy modes: {{evidence}}. After a mode switch the old rules stay until `kube-proxy --cleanup`; their stale nat rules still translate connections ({{configured}} is configured).',
  cilium: '{{node}} runs Cilium ({{cilium}}) beside kube-proxy in IPVS mode, which Cilium does not support: both claim Service addresses, and NodePort traffic may be handled by either.',
} as const;

export default defineCheck({
  id: 'kube-proxy-mode-conflict',
  title: 'kube-proxy mode differs from its configuration, or conflicts',
  description: "The node runs another kube-proxy mode than configured, holds two modes' rules, or runs Cilium beside kube-proxy in IPVS mode.",
  severity: 'warning',
  stage: 'kube-proxy',
  requires: ['kubeProxy', 'nodeState'],
  messages: MESSAGES,
  run(ctx) {
    const configured = ctx.kubeProxy.configuredMode;
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      // kube-router's IPVS is not kube-proxy's, and OVN-Kubernetes' chains are its own: kube-proxy-replaced
      // says who handles NodePorts. Cilium beside kube-proxy's own rules is this check's `cilium` case.
      const replacement = ctx.nodeState(node).proxyReplacement;
      if (replacement !== null && replacement.name !== 'Cilium') continue;
      const observed = ctx.nodeState(node).proxyModes;
      const [only, ...more] = observed ?? [];
      if (observed === null || only === undefined) continue;
      const base: Evidence[] = configured ? [{ kind: 'object', ref: configured.source, field: 'mode', value: configured.mode }] : [];
      const evidence: Evidence[] = [...base, ...observed.map((m): Evidence => ({ kind: 'output', node, command: m.mode === 'ipvs' ? 'ipvsadm-save -n' : m.mode === 'nftables' ? 'nft -j list ruleset' : 'iptables-save', excerpt: m.evidence }))];
      const text = listText(observed.map((m) => `${m.mode} (${m.evidence})`));
      if (more.length > 0) {
        findings.push({ messageId: 'twoModes', node, severity: 'error', data: { node, evidence: text, configured: configured?.mode ?? 'no mode' }, evidence,
          remediation: { summary: `Remove the rules of the mode not in use: run \`kube-proxy --cleanup\` on ${node} (then restart kube-proxy), or delete the stale table/chains.`, commands: observed.some((m) => m.mode === 'nftables') && configured?.mode !== 'nftables' ? [sh`nft delete table ip kube-proxy`] : [sh`kube-proxy --cleanup`] } });
      } else if (configured !== null && only.mode !== configured.mode) {
        findings.push({ messageId: 'mismatch', node, data: { node, configured: configured.mode, source: configured.source, observed: only.mode, evidence: only.evidence }, evidence,
          remediation: { summary: `Check the kube-proxy DaemonSet's command line and the pod on ${node} (flags override the ConfigMap), then restart it.`, commands: [sh`kubectl -n kube-system get pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node} -o yaml`] } });
      }
      const cilium = ciliumOn(linksOf(ctx, node) ?? []);
      if (cilium !== null && observed.some((m) => m.mode === 'ipvs')) {
        findings.push({ messageId: 'cilium', node, data: { node, cilium }, evidence: [...evidence, { kind: 'output', node, command: 'ip -j addr', excerpt: cilium }],
          remediation: { summary: 'Run kube-proxy in iptables or nftables mode beside Cilium, or let Cilium replace kube-proxy (kubeProxyReplacement) and remove kube-proxy.', commands: [sh`kubectl -n kube-system edit configmap kube-proxy`] } });
      }
    }
    return findings;
  },
});

/** Cilium's devices (`cilium_host`, `cilium_vxlan`…) among the node's, or null. */
function ciliumOn(links: readonly Link[]): string | null {
  const names = links.map((l) => l.name).filter((n) => n.startsWith('cilium_'));
  return names.length ? `interfaces ${[...new Set(names)].join(', ')}` : null;
}
