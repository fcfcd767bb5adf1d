/**
 * kube-proxy in nftables mode keeps every Service rule in `table ip kube-proxy`. A node whose
 * ruleset lacks that table has no NodePort translation. kube-proxy refuses nftables mode on kernels
 * older than 5.13 and without nft 1.0.1 (knftables checks both), and then exits, so the table is
 * never written; a node where kube-proxy runs with another configuration has other rules instead
 * (kube-proxy-mode-conflict).
 */
import { defineCheck, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';

/** `6.1.0-18-amd64` → [6, 1]; null when unreadable. */
function release(text: string | undefined): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(text?.trim() ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const older = (v: [number, number], min: [number, number]) => v[0] < min[0] || (v[0] === min[0] && v[1] < min[1]);

const MESSAGES = {
  missing: 'kube-proxy is configured for nftables mode ({{source}}), but {{node}} has no `table {{table}}` in its nft ruleset, so nothing on {{node}} translates NodePorts.{{why}}',
} as const;

export default defineCheck({
  id: 'nft-kube-proxy-table-missing',
  title: 'kube-proxy nftables mode without its nft table',
  description: "kube-proxy is configured for nftables mode, but the node has no `table ip kube-proxy`, so nothing translates NodePorts there.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['kubeProxy', 'nodeState'],
  messages: MESSAGES,
  run(ctx) {
    const configured = ctx.kubeProxy.configuredMode;
    if (configured?.mode !== 'nftables') return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    // A dual-stack kube-proxy keeps each family's rules in a table of that family.
    const table = `${ctx.question.family === 4 ? 'ip' : 'ip6'} kube-proxy`;
    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      const data = ctx.nodeState(node);
      const nft = data.command('nft-ruleset');
      if (data.unavailable !== null || nft === undefined) continue;
      // A kube-proxy replacement handles NodePorts here: kube-proxy-replaced says so.
      if (data.proxyReplacement !== null) continue;
      if (nft.exitCode === 0 && data.kubeProxyTable !== null) continue;
      const evidence: Evidence[] = [{ kind: 'object', ref: configured.source, field: 'mode', value: 'nftables' }];
      const reasons: string[] = [];
      if (nft.exitCode !== 0) {
        reasons.push(` \`nft -j list ruleset\` failed there (${nft.stderr.trim().split('\n')[0] || `exit ${nft.exitCode}`}): nft may be missing or too old.`);
        evidence.push({ kind: 'output', node, command: nft.argv.join(' '), excerpt: nft.stderr.trim() || `exit ${nft.exitCode}` });
      } else {
        evidence.push({ kind: 'output', node, command: 'nft -j list ruleset', excerpt: `no table ${table}` });
      }
      const kernel = data.command('kernel-release')?.stdout.trim();
      const k = release(kernel);
      if (kernel !== undefined && k !== null && older(k, [5, 13])) {
        reasons.push(` Its kernel is ${kernel}; kube-proxy's nftables mode needs 5.13 or later and refuses to start on older kernels.`);
        evidence.push({ kind: 'output', node, command: 'uname -r', excerpt: kernel });
      }
      const version = data.command('nft-version')?.stdout;
      const v = /v(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
      if (version !== undefined && v !== null && (Number(v[1]) < 1 || (Number(v[1]) === 1 && Number(v[2]) === 0 && Number(v[3]) < 1))) {
        reasons.push(` Its nft is ${v[0]}; kube-proxy needs nft 1.0.1 or later.`);
        evidence.push({ kind: 'output', node, command: 'nft --version', excerpt: version.trim() });
      }
      // kube-proxy running another mode there still serves NodePorts: kube-proxy-mode-conflict says so.
      if ((data.proxyModes ?? []).length > 0) continue;
      if (reasons.length === 0) reasons.push(' kube-proxy there is not running, or failed to write its rules: its log says why.');
      findings.push({
        messageId: 'missing',
        node,
        data: { node, table, source: configured.source, why: reasons.join('') },
        evidence,
        remediation: {
          summary: 'Read kube-proxy\'s log on the node. On a kernel older than 5.13 (or without nft 1.0.1) use mode: iptables, or upgrade the node.',
          commands: [sh`kubectl -n kube-system logs -l k8s-app=kube-proxy --tail 50`, sh`kubectl -n kube-system edit configmap kube-proxy`],
        },
      });
    }
    return findings;
  },
});
