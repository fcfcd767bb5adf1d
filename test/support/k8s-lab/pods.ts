/**
 * Pods without a kubelet: for each, a network namespace wired to its node as Calico would
 * (test/kernel/lab/topology.ts addPod) with a real server listening (test/kernel/lab/servers.ts,
 * it answers `pod=<name> peer=<ip>:<port>`), a Pod object with spec.nodeName and its containers'
 * ports, and then the status a kubelet would write (phase Running, podIP(s), hostIP, Ready),
 * patched through /status. The EndpointSlice controller does the rest; the lab never writes a
 * slice. Pods are deleted with gracePeriodSeconds 0: a graceful delete waits for a kubelet that
 * never comes (the pod would stay Terminating).
 */
import { addNamespace, addPod, podNamespace, type Topology } from '../../kernel/lab/topology.js';
import { deleteNamespace } from '../../kernel/lab/netns.js';
import { Servers } from '../../kernel/lab/servers.js';
import type { ControlPlane } from './control-plane.js';

export interface PodInput {
  namespace: string;
  name: string;
  /** Index of the node it runs on. */
  node: number;
  labels: Record<string, string>;
  /** The container's declared ports (name optional, TCP). */
  ports: { name?: string; containerPort: number }[];
  /** Where the server really listens; default every declared containerPort. */
  listen?: number[];
  /** The Ready condition; default true. */
  ready?: boolean;
}

export interface LabPod {
  namespace: string;
  name: string;
  node: number;
  ip: string;
  /** Its network namespace. */
  ns: string;
}

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function ok(what: string, p: Promise<{ status: number; body: unknown }>, want: number[]): Promise<void> {
  const r = await p;
  if (!want.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

function readyConditions(ready: boolean, now: string): Record<string, unknown>[] {
  const s = ready ? 'True' : 'False';
  const why = ready ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [app]' };
  return [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'ContainersReady', status: s, lastTransitionTime: now, ...why },
    { type: 'Ready', status: s, lastTransitionTime: now, ...why },
  ];
}

export class LabPods {
  private readonly servers = new Servers();
  private readonly next = new Map<number, number>();
  private count = 0;
  readonly all: LabPod[] = [];

  constructor(
    private readonly cp: ControlPlane,
    private readonly topo: Topology,
    private readonly nodeNames: string[],
    private readonly nodeIps: string[],
  ) {}

  /** Starts the pod's namespace and server, creates the Pod and patches it Running (Ready unless told). */
  async add(p: PodInput): Promise<LabPod> {
    const host = (this.next.get(p.node) ?? 10);
    this.next.set(p.node, host + 1);
    const ip = `10.244.${p.node}.${host}`;
    // The lab's own short key names the namespace and the node-side veth (15 bytes at most).
    const key = `p${this.count++}`;
    const ns = podNamespace(this.topo.prefix, key);
    this.topo.pods.set(key, ns);
    await addNamespace(ns);
    await addPod(this.topo, { name: key, node: p.node, ip, ports: [] }, false);
    await this.servers.start(ns, p.name, p.listen ?? p.ports.map((x) => x.containerPort), false);
    const pod: LabPod = { namespace: p.namespace, name: p.name, node: p.node, ip, ns };
    this.all.push(pod);

    const path = `/api/v1/namespaces/${p.namespace}/pods`;
    await ok(`create Pod ${p.namespace}/${p.name}`, this.cp.api('POST', path, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
      spec: {
        nodeName: this.nodeNames[p.node],
        containers: [{ name: 'app', image: 'registry.example/lab-server:1', ports: p.ports.map((x) => ({ ...x, protocol: 'TCP' })) }],
      },
    }), [201]);
    const now = stamp();
    const hostIp = this.nodeIps[p.node]!;
    await ok(`Pod ${p.namespace}/${p.name} status`, this.cp.api('PATCH', `${path}/${p.name}/status`, {
      status: {
        phase: 'Running', hostIP: hostIp, hostIPs: [{ ip: hostIp }], podIP: ip, podIPs: [{ ip }], startTime: now,
        conditions: readyConditions(p.ready ?? true, now),
        containerStatuses: [{ name: 'app', image: 'registry.example/lab-server:1', imageID: '', ready: p.ready ?? true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
      },
    }, 'application/merge-patch+json'), [200]);
    return pod;
  }

  /** Flips the Ready condition, as a kubelet does when the readiness probe starts or stops failing. */
  async setReady(pod: LabPod, ready: boolean): Promise<void> {
    const now = stamp();
    await ok(`Pod ${pod.namespace}/${pod.name} readiness`, this.cp.api('PATCH', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`, {
      status: {
        conditions: readyConditions(ready, now),
        containerStatuses: [{ name: 'app', image: 'registry.example/lab-server:1', imageID: '', ready, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
      },
    }, 'application/merge-patch+json'), [200]);
  }

  /** Deletes the Pod at once (gracePeriodSeconds 0) and its namespace (which ends its server). */
  async delete(pod: LabPod): Promise<void> {
    // DeleteOptions as a query parameter: Node sends a DELETE body without framing (no chunking
    // by default for DELETE), which kube-apiserver does not read.
    await ok(`delete Pod ${pod.namespace}/${pod.name}`, this.cp.api('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}?gracePeriodSeconds=0`), [200, 404]);
    await deleteNamespace(pod.ns);
    this.all.splice(this.all.indexOf(pod), 1);
  }

  /** Who connected to which pod: the servers' logs (peer address per client token). */
  get logs(): Servers['logs'] {
    return this.servers.logs;
  }

  async stopAll(): Promise<void> {
    await this.servers.stopAll();
  }
}
