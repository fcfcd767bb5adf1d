/**
 * A dataplane replaces kube-proxy on an ingress node: Cilium's kube-proxy replacement (eBPF),
 * kube-router's service proxy (IPVS with its own rules) or OVN-Kubernetes (OVN load balancers).
 * NodePorts are handled there outside the netfilter rules np-doctor replays, so the replay of
 * that node is left undecided, and no check advises installing kube-proxy. This finding says so
 * first (stage kube-proxy, before the node and path findings it explains), with the evidence and
 * the command that shows the replacement's own service table.
 */
import { defineCheck, sh, type Evidence, type FindingInput, type ProxyReplacement } from '../src/check-kit/index.js';
import { nodePortFrontends, tableExcerpt } from './lib/cilium-table.js';
import { listText } from './lib/text.js';

const MESSAGES = {
  replaced: '{{name}} replaces kube-proxy on {{nodes}} ({{evidence}}): {{datapath}}. A replay of the netfilter rules proves nothing there, so np-doctor leaves {{target}} undecided; `{{command}}` shows how {{name}} handles it{{table}}.',
} as const;

export default defineCheck({
  id: 'kube-proxy-replaced',
  title: 'A kube-proxy replacement handles NodePorts on the node',
  description: 'Cilium, kube-router or OVN-Kubernetes does kube-proxy\'s job on an ingress node, outside the rules np-doctor replays: the replay there is undecided.',
  severity: 'warning',
  stage: 'kube-proxy',
  // Nothing: a node that was not reached is judged by the API (cilium-config, the agent pods).
  requires: [],
  messages: MESSAGES,
  run(ctx) {
    const nodePort = ctx.port?.nodePort ?? null;
    // One finding per replacement, naming every ingress node it handles.
    const byName = new Map<string, { r: ProxyReplacement; nodes: string[] }>();
    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      const r = ctx.nodeState(node).proxyReplacement;
      if (r === null) continue;
      const seen = byName.get(r.name);
      if (seen === undefined) byName.set(r.name, { r, nodes: [node] });
      else seen.nodes.push(node);
    }
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const { r, nodes } of byName.values()) {
      const evidence: Evidence[] = nodes.flatMap((node): Evidence[] => {
        const state = ctx.nodeState(node);
        const own = state.proxyReplacement ?? r;
        const table = state.ciliumServices;
        // The replacement's own table, where it was read: what it does with this nodePort.
        const frontends = table.state === 'read' && ctx.port?.nodePort != null ? nodePortFrontends(table.services, ctx.port.nodePort, ctx.port.protocol) : null;
        return [
          { kind: 'output', node, command: own.command, excerpt: own.evidence.join(', ') },
          ...(table.state === 'read' && frontends !== null
            ? [{ kind: 'output' as const, node, command: table.command, excerpt: frontends.length === 0 ? `no NodePort frontend for ${ctx.port?.nodePort}` : tableExcerpt(frontends) }]
            : []),
        ];
      });
      const tables = nodes.map((n) => ctx.nodeState(n).ciliumServices);
      const read = tables.filter((t) => t.state === 'read').length;
      const failed = tables.find((t) => t.state === 'unknown' && t.asked);
      const first = nodes[0] ?? '';
      findings.push({
        messageId: 'replaced',
        // Several nodes: the finding is about all of them (data.nodes), not the first.
        ...(nodes.length === 1 ? { node: first } : {}),
        data: {
          name: r.name,
          nodes: listText(nodes),
          evidence: r.evidence.join(', '),
          datapath: r.datapath,
          target: nodePort === null ? 'the Service' : `nodePort ${nodePort}`,
          command: r.command,
          table: r.name !== 'Cilium' ? ''
            : read > 0 ? ` (np-doctor read it on ${read} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} and compares it with the Service: cilium-service-table)`
              : failed?.state === 'unknown' ? ` (np-doctor could not read it: ${failed.why})`
                : ' (np-doctor reads it with --exec-agent, which needs create and get on pods/exec in kube-system)',
        },
        evidence,
        remediation: {
          summary: `Ask ${r.name} how it handles the Service: its own service table on ${first}, and its status. Do not install kube-proxy beside it.`,
          commands: r.name === 'Cilium'
            ? [
              r.agentPod !== null
                ? sh`kubectl -n kube-system exec ${r.agentPod} -c cilium-agent -- cilium-dbg service list`
                : sh`kubectl -n kube-system get pods -l k8s-app=cilium -o wide --field-selector ${`spec.nodeName=${first}`}`,
              r.agentPod !== null
                ? sh`kubectl -n kube-system exec ${r.agentPod} -c cilium-agent -- cilium-dbg status --verbose`
                : sh`kubectl -n kube-system get configmap cilium-config -o jsonpath=${'{.data.kube-proxy-replacement}'}`,
            ]
            : r.name === 'kube-router'
              ? [sh`ipvsadm -Ln`, sh`kubectl -n kube-system get pods -l k8s-app=kube-router -o wide`]
              : [sh`kubectl get pods -A -l app=ovnkube-node -o wide`, sh`ovn-nbctl lb-list`],
        },
      });
    }
    return findings;
  },
});
