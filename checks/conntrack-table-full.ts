/**
 * The conntrack table of a node NodePort traffic goes through is (nearly) full. Every NodePort
 * connection needs an entry for its DNAT; when nf_conntrack_count reaches nf_conntrack_max the
 * kernel drops new connections ("nf_conntrack: table full, dropping packet"), so clients time
 * out intermittently. Error from 95 %, warning from 80 %.
 */
import { defineCheck, sh, type FindingInput } from '../src/check-kit/index.js';
import { nodesOnPaths } from './lib/path-nodes.js';

const COUNT = 'net.netfilter.nf_conntrack_count';
const MAX = 'net.netfilter.nf_conntrack_max';

const MESSAGES = {
  full:
    '{{node}}\'s conntrack table is {{percent}}% full ({{count}} of {{max}} entries): every NodePort {{port}} connection through it needs an entry, and once the table is full the kernel drops new connections ("nf_conntrack: table full, dropping packet"), so clients time out at random.',
  nearlyFull:
    '{{node}}\'s conntrack table is {{percent}}% full ({{count}} of {{max}} entries): a burst of connections will fill it, and the kernel then drops new NodePort {{port}} connections through it ("nf_conntrack: table full, dropping packet").',
} as const;

export default defineCheck({
  id: 'conntrack-table-full',
  title: 'conntrack table full or nearly full',
  description: 'nf_conntrack_count is at least 80 % (warning) or 95 % (error) of nf_conntrack_max on a node NodePort traffic goes through.',
  severity: 'error',
  stage: 'node',
  requires: ['nodeState', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const cm = ctx.kubeProxy.configMap?.metadata.name ?? 'kube-proxy';
    for (const node of nodesOnPaths(ctx)) {
      const data = ctx.nodeState(node);
      const count = Number(data.sysctl(COUNT));
      const max = Number(data.sysctl(MAX));
      if (!Number.isFinite(count) || !Number.isFinite(max) || max <= 0) continue;
      const ratio = count / max;
      if (ratio < 0.8) continue;
      const full = ratio >= 0.95;
      const bigger = 2 ** Math.ceil(Math.log2(max * 2));
      findings.push({
        messageId: full ? 'full' : 'nearlyFull',
        node,
        severity: full ? 'error' : 'warning',
        data: { node, percent: Math.floor(ratio * 100), count, max, port: ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0 },
        evidence: [
          { kind: 'sysctl', node, name: COUNT, value: String(count) },
          { kind: 'sysctl', node, name: MAX, value: String(max) },
        ],
        remediation: {
          summary: `Find what holds ${node}'s connections (conntrack -S shows drops; many short-lived or UDP flows are typical), and raise the limit. kube-proxy sets nf_conntrack_max at start from conntrack.maxPerCore × CPUs (at least conntrack.min), so raise those in ConfigMap kube-system/${cm} (conntrack.maxPerCore / conntrack.min) or a sysctl change is undone when kube-proxy restarts.`,
          commands: [
            sh`conntrack -S`,
            sh`sysctl -w ${MAX}=${bigger}`,
            sh`kubectl -n kube-system edit configmap ${cm}`,
          ],
        },
      });
    }
    return findings;
  },
});
