/**
 * Node addresses that cannot be right: two Nodes report the same InternalIP (Vagrant's NAT address
 * 10.0.2.15 on every VM, cloned images), or a node reports an InternalIP it does not have. The
 * overlay (flannel public-ip, Calico IPv4Address), kube-proxy and other nodes then send one node's
 * traffic to another node or to nowhere: NodePort works only on the node that runs the pod.
 */
import { defineCheck, renderCommand, sh, type Command, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { linksOf } from './lib/ip-addr.js';

interface Addr { iface: string; ip: string }

const ipv4 = (l: Addr[]) => l.filter((a) => !a.ip.includes(':')).map((a) => `${a.iface} ${a.ip}`).join(', ');

/** Interfaces that carry no node address worth using (loopback, bridges, tunnels, veths). */
const VIRTUAL = /^(lo|docker\d*|cni\d*|cbr\d*|flannel\.\d+|flannel-wg|cali|vxlan|tunl\d*|veth|kube-ipvs\d*|kube-bridge|cilium_|lxc|weave|datapath|nodelocaldns|virbr|br-)/;

const MESSAGES = {
  duplicate: 'Nodes {{nodes}} all report InternalIP {{address}}. Whatever addresses a node by its InternalIP (the overlay\'s tunnel endpoints, NodePort connections forwarded to another node\'s pod, the API server reaching kubelet) cannot tell them apart and reaches whichever machine answers, often the sender itself: the typical symptom is a NodePort that works only on the node running the pod. {{hint}}',
  notLocal: 'Node {{node}} reports InternalIP {{address}}, but that address is not configured on {{node}} (it has {{local}}): kubelet\'s --node-ip is stale or wrong, so other nodes and the overlay send {{node}}\'s traffic to an address it does not own.',
} as const;

export default defineCheck({
  id: 'duplicate-node-address',
  title: 'Duplicate or wrong node address',
  description: 'Two Nodes share an InternalIP (e.g. Vagrant 10.0.2.15), or a node reports an InternalIP it does not have.',
  severity: 'error',
  stage: 'node',
  requires: ['nodes'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    // The node's addresses with their interface; null when `ip -j addr` was not read or is unreadable.
    const addressesOf = (name: string): Addr[] | null => linksOf(ctx, name)?.flatMap((l) => l.addresses.map((ip) => ({ iface: l.name, ip }))) ?? null;
    const usable = (name: string, bad: string) => (addressesOf(name) ?? [])
      .filter((a) => !a.ip.includes(':') && a.ip !== bad && !a.ip.startsWith('127.') && !a.ip.startsWith('169.254.') && !VIRTUAL.test(a.iface));

    const byIp = new Map<string, string[]>();
    for (const n of ctx.nodes.all) for (const ip of new Set(n.internalIPs)) byIp.set(ip, [...(byIp.get(ip) ?? []), n.name]);
    for (const [ip, names] of byIp) {
      if (names.length < 2) continue;
      const suggestions = names.map((n) => ({ node: n, use: usable(n, ip)[0] }));
      const known = suggestions.filter((s): s is { node: string; use: Addr } => s.use !== undefined);
      const absent = names.filter((n) => { const l = addressesOf(n); return l !== null && !l.some((a) => a.ip === ip); });
      const hint = (absent.length > 0 ? `${ip} is not even configured on ${absent.join(', ')}. ` : '') + (known.length > 0
        ? `Their other addresses: ${known.map((s) => `${s.node} ${s.use.ip} (${s.use.iface})`).join(', ')}; start each kubelet with --node-ip set to the address of the network the nodes share.`
        : 'Start each kubelet with --node-ip set to the node\'s own address on the network the nodes share.');
      findings.push({
        messageId: 'duplicate',
        data: { nodes: names.join(', '), address: ip, hint },
        evidence: [
          ...names.map((n): Evidence => ({ kind: 'object', ref: `Node ${n}`, field: 'status.addresses[InternalIP]', value: ip })),
          ...names.flatMap((n): Evidence[] => {
            const l = addressesOf(n);
            return l === null ? [] : [{ kind: 'output', node: n, command: 'ip -j addr', excerpt: ipv4(l) }];
          }),
        ],
        remediation: {
          summary: 'Give every kubelet its own node IP (--node-ip, in /etc/default/kubelet or /etc/sysconfig/kubelet), restart it, then restart the CNI pods so the overlay picks the new addresses up (flannel: --iface / public-ip annotation).',
          commands: [
            sh`kubectl get nodes -o wide`,
            ...known.flatMap((s) => setNodeIp(s.use.ip)),
            ...(known.length > 0 ? [sh`kubectl -n kube-system rollout restart daemonset kube-proxy`, sh`kubectl get nodes -o wide`] : []),
          ],
        },
      });
    }

    for (const n of ctx.nodes.all) {
      const local = addressesOf(n.name);
      if (local === null) continue;
      for (const ip of n.internalIPs) {
        // A shared address is the duplicate finding's; a node that lacks it is said there.
        if (local.some((a) => a.ip === ip) || (byIp.get(ip)?.length ?? 0) > 1) continue;
        const own = usable(n.name, ip);
        findings.push({
          messageId: 'notLocal',
          node: n.name,
          data: { node: n.name, address: ip, local: own.length > 0 ? own.map((a) => `${a.ip} on ${a.iface}`).join(', ') : 'no other usable IPv4 address' },
          evidence: [
            { kind: 'object', ref: `Node ${n.name}`, field: 'status.addresses[InternalIP]', value: ip },
            { kind: 'output', node: n.name, command: 'ip -j addr', excerpt: ipv4(local) },
          ],
          remediation: {
            summary: `Start ${n.name}'s kubelet with --node-ip set to an address it really has${own[0] ? ` (${own[0].ip})` : ''}, and restart it.`,
            commands: [
              sh`kubectl get node ${n.name} -o ${'jsonpath={.status.addresses}'}`,
              ...(own[0] ? setNodeIp(own[0].ip) : []),
            ],
          },
        });
      }
    }
    return findings;
  },
});

/** Over ssh to `ip`: make kubelet use it as its node IP, and restart kubelet. */
function setNodeIp(ip: string): Command[] {
  // ssh hands what follows the host to the node's shell, which parses it again: the remote
  // command goes as one word, already quoted for that second reading.
  const write = sh`echo ${`KUBELET_EXTRA_ARGS=--node-ip=${ip}`} | sudo tee /etc/default/kubelet`;
  return [sh`ssh ${ip} ${renderCommand(write)}`, sh`ssh ${ip} sudo systemctl restart kubelet`];
}
