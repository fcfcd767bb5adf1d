/**
 * A node the connection goes through (an ingress node) or a node that runs a backend reports
 * Ready=False or Unknown: its kubelet is down or cannot reach the API server, its network plugin is
 * not ready, or the machine is gone. Its kube-proxy rules may be stale, and its pods are soon
 * marked not ready and evicted.
 */
import { defineCheck, sh, type FindingInput } from '../src/check-kit/index.js';

interface Cond { type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string }

const MESSAGES = {
  ingress: 'Node {{node}} ({{address}}), which the client connects to, is not Ready (Ready={{status}}{{reason}} since {{since}}): {{message}} Its kubelet, network plugin or kube-proxy may not be working, so connections to {{address}}{{port}} may fail whatever its rules say.',
  backend: 'Node {{node}}, which runs backend pod(s) {{pods}}, is not Ready (Ready={{status}}{{reason}} since {{since}}): {{message}} Its pods are marked not ready and evicted after the toleration period, and traffic forwarded to them may be lost.',
} as const;

export default defineCheck({
  id: 'node-not-ready',
  title: 'Node not Ready',
  description: 'An ingress node (error) or a node running a backend pod (warning) has Ready=False/Unknown.',
  severity: 'error',
  stage: 'node',
  requires: ['nodes', 'endpointSlices', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const { question: q, service: svc, port } = ctx;
    const ingress = new Set(q.ingress.map((i) => i.node));
    // Nodes that run a backend: every endpoint (ready or not) and every selected pod.
    const backends = new Map<string, Set<string>>();
    const add = (node: string | null, pod: string) => {
      if (node === null) return;
      backends.set(node, (backends.get(node) ?? new Set()).add(pod));
    };
    if (svc !== null && port !== null) {
      for (const e of ctx.endpointSlices.of(svc, port)) add(e.nodeName, e.pod?.name ?? e.address);
      for (const p of ctx.pods.selectedBy(svc)) add(p.nodeName, p.name);
    }
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const n of ctx.nodes.all) {
      const isIngress = ingress.has(n.name);
      const pods = backends.get(n.name);
      if (!isIngress && pods === undefined) continue;
      const cond = (((n.object.status ?? {}) as { conditions?: Cond[] }).conditions ?? []).find((c) => c.type === 'Ready');
      if (cond === undefined || cond.status === 'True') continue;
      const address = q.ingress.find((i) => i.node === n.name)?.address ?? n.internalIPs[0] ?? n.name;
      const data = {
        node: n.name, address, status: cond.status ?? 'Unknown', reason: cond.reason ? `, ${cond.reason}` : '',
        since: cond.lastTransitionTime ?? 'an unknown time', message: cond.message ? `${cond.message.replace(/\.?$/, '.')}` : 'no message.',
        port: port?.nodePort ? `:${port.nodePort}` : '',
        pods: pods === undefined ? '' : [...pods].slice(0, 4).join(', ') + (pods.size > 4 ? ', …' : ''),
      };
      findings.push({
        messageId: isIngress ? 'ingress' : 'backend',
        node: n.name,
        ...(isIngress ? {} : { severity: 'warning' as const }),
        data,
        evidence: [{ kind: 'object', ref: `Node ${n.name}`, field: 'status.conditions[Ready]', value: cond }],
        remediation: {
          summary: isIngress
            ? `Bring ${n.name} back (kubelet, container runtime, CNI); until then have clients use a Ready node's address.`
            : `Bring ${n.name} back (kubelet, container runtime, CNI), or let its pods be rescheduled onto Ready nodes.`,
          commands: [
            sh`kubectl describe node ${n.name}`,
            sh`kubectl get pods -A -o wide --field-selector spec.nodeName=${n.name}`,
            // ssh hands the words after the host to the node's shell, which parses them again:
            // only literal words may follow it.
            sh`ssh ${n.internalIPs[0] ?? n.name} sudo systemctl status kubelet containerd`,
            sh`ssh ${n.internalIPs[0] ?? n.name} sudo journalctl -u kubelet -n 50 --no-pager`,
          ],
        },
      });
    }
    return findings;
  },
});
