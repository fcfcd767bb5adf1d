/**
 * A bridge CNI (cni0, docker0, cbr0) with pods behind it, on a node whose bridged traffic skips
 * iptables: br_netfilter is not loaded (no net.bridge.* sysctls) or bridge-nf-call-iptables is 0.
 * Frames switched between two pods on the bridge then never meet conntrack or kube-proxy's NAT:
 * a pod that reaches the Service (ClusterIP or NodePort) and is sent to a backend on the same
 * bridge gets the reply straight from the backend's address, which it drops; hairpin traffic
 * breaks the same way. kubeadm refuses to install without it for this reason. IPv6 traffic is
 * handed to ip6tables by its own switch, net.bridge.bridge-nf-call-ip6tables.
 */
import { defineCheck, inCidr, sh, type Evidence, type FindingInput, type IpLink } from '../src/check-kit/index.js';
import { nodesOnPaths } from './lib/path-nodes.js';

const SYSCTL = { 4: 'net.bridge.bridge-nf-call-iptables', 6: 'net.bridge.bridge-nf-call-ip6tables' } as const;
const BRIDGES = new Set(['cni0', 'docker0', 'cbr0']);

/** The node's bridge devices with their subnets of one family (`inet` or `inet6`). */
function bridges(links: readonly IpLink[], family: 'inet' | 'inet6'): { name: string; cidr: string; address: string }[] {
  return links.filter((l) => BRIDGES.has(l.name)).flatMap((l) => l.addresses
    .filter((a) => a.family === family && a.prefix !== null)
    .map((a) => ({ name: l.name, cidr: `${a.local}/${a.prefix}`, address: a.local })));
}

const MESSAGES = {
  notLoaded:
    '{{node}} has pods behind the bridge {{bridge}} ({{cidr}}: {{pods}}), but the br_netfilter module is not loaded ({{sysctl}} does not exist), so traffic bridged between those pods bypasses iptables: conntrack and kube-proxy\'s Service NAT never see it, and a pod on {{node}} that reaches this Service and lands on a backend on the same bridge (or on itself) gets replies from the backend\'s own address, which it drops.',
  disabled:
    '{{node}} has pods behind the bridge {{bridge}} ({{cidr}}: {{pods}}), but {{sysctl}} is 0, so traffic bridged between those pods bypasses iptables: conntrack and kube-proxy\'s Service NAT never see it, and a pod on {{node}} that reaches this Service and lands on a backend on the same bridge (or on itself) gets replies from the backend\'s own address, which it drops.',
} as const;

export default defineCheck({
  id: 'br-netfilter-off',
  title: 'Bridged pod traffic bypasses iptables (br_netfilter)',
  description: 'A node has pods behind a bridge (cni0, docker0, cbr0) but br_netfilter is not loaded or net.bridge.bridge-nf-call-iptables is 0.',
  severity: 'error',
  stage: 'node',
  requires: ['nodeState', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const sysctl = SYSCTL[ctx.question.family];
    const inet = ctx.question.family === 4 ? 'inet' : 'inet6';
    for (const node of nodesOnPaths(ctx)) {
      const data = ctx.nodeState(node);
      const links = data.links;
      const sysctls = data.command('sysctls');
      // Both must have run: a key absent from a sysctl run that did not happen proves nothing.
      if (links === null || sysctls?.exitCode !== 0) continue;
      const value = data.sysctl(sysctl);
      if (value !== undefined && value !== '0') continue;
      for (const br of bridges(links, inet)) {
        const pods = ctx.pods.all.filter((p) => p.nodeName === node && !p.hostNetwork && p.ips.some((ip) => inCidr(ip, br.cidr)));
        if (pods.length === 0) continue;
        const names = pods.map((p) => `${p.namespace}/${p.name}`);
        const evidence: Evidence[] = [
          { kind: 'sysctl', node, name: sysctl, value: value ?? null },
          { kind: 'output', node, command: 'ip -j addr', excerpt: `${br.name}: ${inet} ${br.cidr}` },
          ...pods.slice(0, 5).map((p): Evidence => ({ kind: 'object', ref: `Pod ${p.namespace}/${p.name}`, field: 'status.podIP', value: p.ips[0] })),
        ];
        findings.push({
          messageId: value === undefined ? 'notLoaded' : 'disabled',
          node,
          data: { node, bridge: br.name, cidr: br.cidr, pods: names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', '), sysctl },
          evidence,
          remediation: {
            summary: `Load br_netfilter on ${node} and make bridged traffic go through iptables, now and at boot.`,
            commands: [
              sh`modprobe br_netfilter`,
              sh`echo br_netfilter | tee /etc/modules-load.d/k8s.conf`,
              sh`sysctl -w ${sysctl}=1`,
              sh`printf ${`${SYSCTL[4]} = 1\\n${SYSCTL[6]} = 1\\n`} | tee /etc/sysctl.d/99-kubernetes-br-netfilter.conf`,
              sh`sysctl --system`,
            ],
          },
        });
        break;
      }
    }
    return findings;
  },
});
