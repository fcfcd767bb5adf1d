/**
 * Pods' network namespaces as a containerd node prints them through `ip -all netns exec`: one
 * namespace per pod with its own network (`cni-<uuid>` under /var/run/netns, as containerd names
 * them), walked in tmpfs directory order (newest first), each preceded by a blank line and
 * `netns: NAME`. `pod-netns-addresses` prints each one's `ip -j addr` (lo and the pod's eth0),
 * `pod-netns-sockets` what its app listens on (PodSpec.listens).
 */
import { selects } from './endpoint-slices.js';
import { podsWithVeth, ipAddrJson, type Iface } from './host.js';
import { hex, macAddress, parseCidr } from './net.js';
import { ssText, type Socket } from './ss.js';
import { podIP6Of, type ClusterSpec, type ListenSpec, type NodeSpec, type PodSpec } from './spec.js';

/** containerd's name for the pod's namespace: `cni-` and a UUID (stable per pod here). */
export function netnsName(pod: PodSpec): string {
  const h = hex(`netns/${pod.namespace}/${pod.name}`, 32);
  return `cni-${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Where the pod's app listens: PodSpec.listens, else its declared ports, else its Services' numeric targetPorts. */
export function podListens(spec: ClusterSpec, pod: PodSpec): ListenSpec[] {
  if (pod.listens !== undefined) return pod.listens;
  if (pod.crashLoop === true) return [];
  const declared = pod.containers.flatMap((c) => c.ports ?? []);
  if (declared.length > 0) {
    return declared.flatMap((cp) => (cp.protocol === 'SCTP' ? [] : [{ port: cp.containerPort, protocol: cp.protocol ?? 'TCP' }]));
  }
  return spec.services.filter((svc) => selects(svc, pod)).flatMap((svc) => svc.ports.flatMap((p): ListenSpec[] =>
    typeof (p.targetPort ?? p.port) === 'number' && p.protocol !== 'SCTP' ? [{ port: Number(p.targetPort ?? p.port), protocol: p.protocol ?? 'TCP' }] : []));
}

/** The pods of this node that have their own namespace, in the order `ip -all netns` walks them. */
const walked = (spec: ClusterSpec, node: NodeSpec): PodSpec[] => [...podsWithVeth(spec, node)].reverse();

const section = (pod: PodSpec, output: string): string => `\nnetns: ${netnsName(pod)}\n${output}`;

/** `ip -all netns exec ip -j addr`. */
export function podNetnsAddresses(spec: ClusterSpec, node: NodeSpec): string {
  const podBits = spec.cni === 'bridge' ? parseCidr(node.podCIDR).bits : 32;
  const hostSide = podsWithVeth(spec, node);
  return walked(spec, node).map((pod) => {
    const lo: Iface = { ifindex: 1, name: 'lo', kind: 'loopback', mac: '00:00:00:00:00:00', mtu: 65536, addrs: [{ ip: '127.0.0.1', prefix: 8 }], addrs6: [] };
    const ip6 = podIP6Of(spec, pod);
    const eth0: Iface = {
      ifindex: 2, name: 'eth0', kind: 'ether', mac: macAddress(`${pod.namespace}/${pod.name}/eth0`), mtu: spec.cni === 'bridge' ? 1500 : 1480,
      addrs: [{ ip: pod.ip ?? '', prefix: podBits }], addrs6: ip6 === null ? [] : [{ ip: ip6, prefix: Number(node.podCIDR6?.split('/')[1] ?? 64) }], netnsid: 0,
    };
    // The peer is the host end of the veth: its ifindex on the node (host.ts numbers them from 4), in the node's namespace (id 0).
    const links = [ipAddrJson(lo, false), { ifindex: 2, link_index: 4 + hostSide.indexOf(pod), ...ipAddrJson(eth0, false) }];
    return section(pod, `${JSON.stringify(links)}\n`);
  }).join('');
}

/** `ip -all netns exec ss -H -l -n -t -u -p`. */
export function podNetnsSockets(spec: ClusterSpec, node: NodeSpec): string {
  return walked(spec, node).map((pod) => {
    const process = (pod.containers[0]?.name ?? pod.name).slice(0, 15);
    // A pod with an IPv6 address listens on both families by default (one `*` socket).
    const wildcard = podIP6Of(spec, pod) === null ? '0.0.0.0' : '*';
    const socks = podListens(spec, pod).map((l, i): Socket => ({
      proto: l.protocol === 'UDP' ? 'udp' : 'tcp',
      host: l.address === undefined ? wildcard : l.address.includes(':') ? `[${l.address}]` : l.address,
      port: l.port,
      process,
      fd: 3 + i,
    }));
    return section(pod, ssText(netnsName(pod), socks));
  }).join('');
}

/**
 * Either command where setns is refused (iproute2 6.1, measured): exit 0, each namespace's header
 * with nothing under it, and the error on stderr.
 */
export function podNetnsDenied(spec: ClusterSpec, node: NodeSpec): { stdout: string; stderr: string; exitCode: number } {
  const pods = walked(spec, node);
  return {
    stdout: pods.map((pod) => section(pod, '')).join(''),
    stderr: pods.map((pod) => `setting the network namespace "${netnsName(pod)}" failed: Operation not permitted\n`).join(''),
    exitCode: 0,
  };
}
