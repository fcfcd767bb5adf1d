/**
 * Pods without a kubelet: for each, a network namespace wired to its node as Calico would
 * (test/kernel/lab/topology.ts addPod) with a real server listening (test/kernel/lab/servers.ts,
 * it answers `pod=<name> peer=<ip>:<port>`), and the scenario kit's Pod object (one container
 * `app` with the declared ports, on its node, with its IP) created as kit-to-api.ts creates the
 * kit's pods: with spec.nodeName, then the status a kubelet would write (phase Running, podIP(s),
 * hostIP, Ready) through /status. The EndpointSlice controller does the rest; the lab never writes
 * a slice. Pods are deleted with gracePeriodSeconds 0: a graceful delete waits for a kubelet that
 * never comes (the pod would stay Terminating). Each pod's namespace shows in its own node's
 * /run/netns only (node-netns.ts), as a container runtime's would.
 */
import { addNamespace, addPod, podNamespace, type Topology } from '../../kernel/lab/topology.js';
import { deleteNamespace } from '../../kernel/lab/netns.js';
import { Servers, type Listen } from '../../kernel/lab/servers.js';
import { pod as kitPod, workloadPod, type NodeSpec } from '../scenario-kit/index.js';
import type { ControlPlane } from './control-plane.js';
import { createPod } from './kit-to-api.js';
import type { NodeNetns } from './node-netns.js';

export interface PodInput {
  namespace: string;
  name: string;
  /** Index of the node it runs on. */
  node: number;
  labels: Record<string, string>;
  /** The container's declared ports (name optional, TCP). */
  ports: { name?: string; containerPort: number }[];
  /**
   * Exactly where the server really listens (another port, 127.0.0.1 only, UDP only); default
   * every declared containerPort, TCP and UDP, on every address.
   */
  listen?: Listen[];
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

async function ok(what: string, p: Promise<{ status: number; body: unknown }>, want: number[]): Promise<void> {
  const r = await p;
  if (!want.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

export class LabPods {
  private readonly servers = new Servers();
  private readonly next = new Map<number, number>();
  private count = 0;
  readonly all: LabPod[] = [];

  constructor(
    private readonly cp: ControlPlane,
    private readonly topo: Topology,
    /** The lab's nodes, as the kit sees them (name, InternalIP). */
    private readonly nodes: NodeSpec[],
    private readonly netns: NodeNetns,
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
    await this.netns.add(p.node, ns);
    await this.servers.start(ns, p.name, p.listen === undefined ? p.ports.map((x) => x.containerPort) : [], false, p.listen ?? []);
    const pod: LabPod = { namespace: p.namespace, name: p.name, node: p.node, ip, ns };
    this.all.push(pod);

    const spec = kitPod(p.namespace, p.name, {
      node: this.nodes[p.node]!.name, ip, labels: p.labels, ready: p.ready,
      containers: [{ name: 'app', image: 'registry.example/lab-server:1', ports: p.ports }],
    });
    await createPod(this.cp, workloadPod({ nodes: this.nodes }, spec, 0));
    return pod;
  }

  /** Deletes the Pod at once (gracePeriodSeconds 0) and its namespace (which ends its server). */
  async delete(pod: LabPod): Promise<void> {
    // DeleteOptions as a query parameter: Node sends a DELETE body without framing (no chunking
    // by default for DELETE), which kube-apiserver does not read.
    await ok(`delete Pod ${pod.namespace}/${pod.name}`, this.cp.api('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}?gracePeriodSeconds=0`), [200, 404]);
    await this.netns.remove(pod.node, pod.ns);
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
