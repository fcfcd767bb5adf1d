/**
 * `ss -H -l -n -t -u -p` as a node prints it (its own daemons, kube-proxy, the control plane,
 * hostNetwork pods), and the same table for any set of sockets (a pod's network namespace).
 */
import { sha256 } from './net.js';
import { internalIPOf, type ClusterSpec, type NodeSpec } from './spec.js';

export interface Socket {
  proto: 'tcp' | 'udp';
  host: string;
  port: number;
  process: string;
  fd: number;
  /** listen(2) backlog, ss's Send-Q for a listening socket. Default 4096 (Go's and most daemons'). */
  backlog?: number;
}

/** A stable pid per process and scope (a node, or a pod's namespace). */
const pidOf = (scope: string, process: string): number => 400 + (sha256(`pid/${scope}/${process}`).readUInt16BE(0) % 30000);

/** The node's own `ss -H -l -n -t -u -p`: system daemons, kube-proxy, the control plane, hostNetwork pods. */
export function nodeSockets(spec: ClusterSpec, node: NodeSpec): string {
  const ip = internalIPOf(node);
  const socks: Socket[] = [
    { proto: 'udp', host: '127.0.0.1', port: 323, process: 'chronyd', fd: 5 },
    { proto: 'udp', host: '[::1]', port: 323, process: 'chronyd', fd: 6 },
    { proto: 'tcp', host: '0.0.0.0', port: 22, process: 'sshd', fd: 3, backlog: 128 },
    { proto: 'tcp', host: '[::]', port: 22, process: 'sshd', fd: 4, backlog: 128 },
    { proto: 'tcp', host: '127.0.0.1', port: 10248, process: 'kubelet', fd: 21 },
    { proto: 'tcp', host: '*', port: 10250, process: 'kubelet', fd: 24 },
    { proto: 'tcp', host: '127.0.0.1', port: 37529 + (sha256(node.name).readUInt16BE(0) % 2000), process: 'containerd', fd: 12 },
  ];
  if (node.kubeProxy?.running !== false && node.kubeProxy?.crashLooping !== true) {
    socks.push({ proto: 'tcp', host: '127.0.0.1', port: 10249, process: 'kube-proxy', fd: 10 }, { proto: 'tcp', host: '*', port: 10256, process: 'kube-proxy', fd: 11 });
  }
  if (node.controlPlane === true) {
    socks.push(
      { proto: 'tcp', host: '*', port: 6443, process: 'kube-apiserver', fd: 3 },
      { proto: 'tcp', host: '127.0.0.1', port: 2379, process: 'etcd', fd: 9 },
      { proto: 'tcp', host: ip, port: 2379, process: 'etcd', fd: 8 },
      { proto: 'tcp', host: ip, port: 2380, process: 'etcd', fd: 7 },
      { proto: 'tcp', host: '127.0.0.1', port: 2381, process: 'etcd', fd: 14 },
      { proto: 'tcp', host: '127.0.0.1', port: 10257, process: 'kube-controller', fd: 3 },
      { proto: 'tcp', host: '127.0.0.1', port: 10259, process: 'kube-scheduler', fd: 3 },
    );
  }
  if (spec.cni === 'calico') {
    socks.push({ proto: 'tcp', host: '0.0.0.0', port: 179, process: 'bird', fd: 7 }, { proto: 'tcp', host: '127.0.0.1', port: 9099, process: 'calico-node', fd: 8 });
  }
  for (const pod of spec.pods.filter((p) => p.node === node.name && p.hostNetwork === true && p.listening !== false)) {
    for (const c of pod.containers) {
      for (const cp of c.ports ?? []) {
        socks.push({ proto: cp.protocol === 'UDP' ? 'udp' : 'tcp', host: pod.listening === 'loopback' ? '127.0.0.1' : '0.0.0.0', port: cp.containerPort, process: c.name.slice(0, 15), fd: 7 });
      }
    }
  }
  return ssText(node.name, socks);
}

/** Sockets as ss prints them (pids stable per `scope`). */
export function ssText(scope: string, socks: Socket[]): string {
  // ss prints UDP before TCP; the local address is right-aligned, ":port" follows it.
  const sorted = [...socks.filter((s) => s.proto === 'udp'), ...socks.filter((s) => s.proto === 'tcp')];
  const hostWidth = Math.max(...sorted.map((s) => s.host.length));
  return sorted.map((s) => {
    const local = `${s.host.padStart(hostWidth)}:${String(s.port).padEnd(5)}`;
    const peer = s.host.startsWith('[') ? '[::]:*' : s.host === '*' ? '*:*' : '0.0.0.0:*';
    return `${s.proto.padEnd(5)} ${(s.proto === 'tcp' ? 'LISTEN' : 'UNCONN').padEnd(6)} 0      ${String(s.proto === 'tcp' ? s.backlog ?? 4096 : 0).padEnd(6)} ${local} ${peer.padStart(9)}    users:(("${s.process}",pid=${pidOf(scope, s.process)},fd=${s.fd}))\n`;
  }).join('');
}
