/**
 * net.ipv4.ip_forward=0 on a node NodePort traffic is routed through: the ingress node, which
 * DNATs the connection to a pod and forwards it, or the backend's node, which forwards it into the
 * pod's veth. Hardening baselines, `service network restart` and sysctl drop-in ordering turn it
 * off; KubeSkoop marks it fatal. For IPv6 the switch is net.ipv6.conf.all.forwarding (ip6_forward
 * reads the `all` value), and forwarded packets are then dropped without an ICMP error.
 */
import { defineCheck, FORWARDING_SYSCTL, hostPort, sh, type CheckContext, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { percent } from './lib/text.js';

/** Node → why NodePort traffic is forwarded there. */
function forwardingNodes(ctx: CheckContext): Map<string, string> {
  const roles = new Map<string, string[]>();
  const add = (node: string, role: string) => {
    const list = roles.get(node) ?? [];
    if (!list.includes(role)) list.push(role);
    roles.set(node, list);
  };
  for (const p of ctx.paths) {
    // The ingress node forwards unless every translation it makes lands on one of its own addresses.
    const local = p.walk !== null && p.walk.outcomes.length > 0 && p.walk.outcomes.every((o) => o.delivery === 'local');
    if (!local) add(p.node, `it is the ingress node for ${hostPort(p.address, p.port)}`);
  }
  for (const i of ctx.question.ingress) if (!ctx.paths.some((p) => p.node === i.node)) add(i.node, `it is an ingress node (${i.address})`);
  for (const p of ctx.paths) {
    for (const b of p.branches) if (b.backend?.node && b.backend.pod !== null) add(b.backend.node, `it runs ${b.backend.pod}`);
  }
  return new Map([...roles].map(([n, r]) => [n, r.join(' and ')]));
}

const MESSAGES = {
  disabled:
    '{{node}} has {{sysctl}} = 0, so it does not forward packets, and {{role}}: NodePort {{port}} connections routed through it to a pod are dropped by the kernel. Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'ip-forward-disabled',
  title: 'IP forwarding is off on a node NodePort traffic goes through',
  description: 'net.ipv4.ip_forward (IPv6: net.ipv6.conf.all.forwarding) is 0 on an ingress or backend node, so the kernel does not route NodePort traffic to the pods.',
  severity: 'error',
  stage: 'node',
  requires: ['nodeState'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const port = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    const SYSCTL = FORWARDING_SYSCTL[ctx.question.family];
    for (const [node, role] of forwardingNodes(ctx)) {
      const value = ctx.nodeState(node).sysctl(SYSCTL);
      if (value !== '0') continue;
      const evidence: Evidence[] = [{ kind: 'sysctl', node, name: SYSCTL, value }];
      const affected: string[] = [];
      for (const p of ctx.paths) {
        const failing = p.branches.filter((b) => b.stages.some((s) => s.ok === false && (s.node ?? p.node) === node && s.summary.includes(SYSCTL)));
        const share = failing.reduce((s, b) => s + b.probability, 0);
        const [first] = failing;
        if (share === 0 || first === undefined) continue;
        evidence.push({ kind: 'path', node: p.node, summary: `${percent(share)} of connections to ${hostPort(p.address, p.port)}: ${first.why}` });
        affected.push(`${percent(share)} of the connections that enter through ${p.node} (${p.address})`);
      }
      findings.push({
        messageId: 'disabled',
        node,
        data: { node, sysctl: SYSCTL, role, port, affected: affected.join(', ') || 'every connection forwarded through it' },
        evidence,
        remediation: {
          summary: `Turn IP forwarding on for ${node} now and at boot (a drop-in late in /etc/sysctl.d so no other file turns it off again).${ctx.question.family === 6
            ? ' With IPv6 forwarding on, the kernel ignores router advertisements on an interface whose accept_ra is 1: set accept_ra=2 there if the node takes its default route from them.'
            : ''}`,
          commands: [
            sh`sysctl -w ${SYSCTL}=1`,
            sh`echo ${`${SYSCTL}=1`} | tee /etc/sysctl.d/99-kubernetes-ip-forward.conf`,
            sh`sysctl --system`,
            sh`grep -rn ${ctx.question.family === 4 ? 'ip_forward' : 'forwarding'} /etc/sysctl.conf /etc/sysctl.d/ /usr/lib/sysctl.d/ /run/sysctl.d/`,
          ],
        },
      });
    }
    return findings;
  },
});
