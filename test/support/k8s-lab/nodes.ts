/**
 * Node objects for the lab's node namespaces, as a kubelet would register them: the name,
 * spec.podCIDR(s), and through /status the InternalIP and Hostname addresses and Ready=True.
 * No kubelet heartbeats follow, which is harmless because node-lifecycle-controller does not run
 * (control-plane.ts). kube-proxy needs its Node with an InternalIP before it starts, and newer
 * releases exit when the Node's addresses change, so they are written once, before it starts.
 */
import type { ControlPlane } from './control-plane.js';

export interface NodeObject {
  name: string;
  ip: string;
  podCIDR: string;
}

async function ok(what: string, p: Promise<{ status: number; body: unknown }>, want: number[]): Promise<unknown> {
  const r = await p;
  if (!want.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function registerNodes(cp: ControlPlane, nodes: NodeObject[]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const n of nodes) {
    await ok(`create Node ${n.name}`, cp.api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    }), [201]);
    await ok(`Node ${n.name} status`, cp.api('PATCH', `/api/v1/nodes/${n.name}/status`, {
      status: {
        addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'lab node', lastHeartbeatTime: now, lastTransitionTime: now }],
      },
    }, 'application/merge-patch+json'), [200]);
  }
}
