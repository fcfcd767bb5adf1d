/**
 * A small real Kubernetes cluster in network namespaces, for tests that need the real thing:
 *
 *   - the lab network (network.ts): client, nodes and Calico-style routed pods on a LAN of this
 *     lab's own, with a leg from the machine's namespace, where the apiserver listens;
 *   - the real control plane of `version` (control-plane.ts; etcd stays on loopback);
 *   - a Node object per node namespace (nodes.ts) and the real kube-proxy inside each (kube-proxy.ts,
 *     iptables or nftables mode), shown to the API as kubeadm shows it (kube-system.ts);
 *   - real sshd in each node namespace, with a user key and known_hosts (ssh.ts);
 *   - pods on demand (pods.ts), EndpointSlices from the real controller;
 *   - faults outside every node's rules, switched on and off: the cloud firewall, the broken
 *     overlay (network.ts), and rules that change right after np-doctor read them (late-drop.ts).
 *
 * One cluster per version × mode is meant to carry many scenarios, each in its own Kubernetes
 * namespace, undoing what it changed on the nodes. close() stops everything and removes every
 * network namespace; so does Ctrl-C (interrupt.ts).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_IP } from '../../kernel/lab/addressing.js';
import { probe, reserveSports, type TryResult } from '../../kernel/lab/client.js';
import { run, type RunResult } from '../../kernel/lab/exec.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { onInterrupt } from './interrupt.js';
import type { LabSwitch } from './bridge-filter.js';
import { dropNodePortAfterRead } from './late-drop.js';
import { startKubeProxy, waitForRules, type KubeProxy, type KubeProxyOptions, type ProxyMode } from './kube-proxy.js';
import { publishKubeProxy, updateKubeProxyConfig } from './kube-system.js';
import { buildNetwork, type LabNetwork } from './network.js';
import { registerNodes } from './nodes.js';
import { LabPods } from './pods.js';
import { waitFor } from './processes.js';
import { startNodeSsh, type NodeSsh } from './ssh.js';

export const CLUSTER_CIDR = '10.244.0.0/16';
export const NODE_NAMES = ['node-a', 'node-b', 'node-c', 'node-d'];

export interface RealClusterOptions {
  version: string;
  mode: ProxyMode;
  /** Default 2 (at most NODE_NAMES.length). */
  nodes?: number;
}

export interface RealNode {
  name: string;
  /** Its network namespace. */
  ns: string;
  /** InternalIP. */
  ip: string;
  /** A second address on the same interface (a VIP). */
  extraIp: string;
  podCIDR: string;
  /** The kube-proxy running there now (restartKubeProxies replaces it). */
  proxy: KubeProxy;
}

export interface RealCluster {
  version: string;
  mode: ProxyMode;
  cp: ControlPlane;
  nodes: RealNode[];
  /** The client's namespace and address (np-doctor's default --from address). */
  client: { ns: string; ip: string };
  /** The admin kubeconfig. */
  kubeconfig: string;
  ssh: NodeSsh;
  pods: LabPods;
  /** Drops the NodePort range between the outside (this machine, the client) and the nodes. */
  firewall: LabSwitch;
  /** Drops pod traffic between nodes, outside every node's rules. */
  overlay: LabSwitch;
  /** Node k drops `nodePort` right after np-doctor's next read of its rules; the function returned undoes it. */
  dropAfterRead(k: number, nodePort: number): Promise<() => Promise<void>>;
  /** A scratch directory, removed by close(); `home` in it is an empty HOME for the CLI. */
  dir: string;
  home: string;
  /** Creates a Kubernetes namespace and waits for its `default` ServiceAccount (Pods need it). */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** POSTs an object to `path` as the admin; resolves with the created object. */
  create<T = Record<string, unknown>>(path: string, obj: unknown): Promise<T>;
  /** Waits until every node's kube-proxy rules satisfy `synced`. */
  waitForSync(what: string, synced: (rules: string, node: RealNode) => boolean): Promise<void>;
  /** Restarts every kube-proxy with `change` applied to its configuration and rewrites the ConfigMap to match. */
  restartKubeProxies(change: Pick<KubeProxyOptions, 'nodePortAddresses'>): Promise<void>;
  /** Real TCP connections from the client namespace. */
  connect(ip: string, port: number, opts?: { tries?: number; want?: string[]; timeoutMs?: number }): Promise<TryResult[]>;
  /** Runs a command inside node k's namespace. */
  inNode(k: number, cmd: string, args: string[], opts?: { input?: string; allowFail?: boolean }): Promise<RunResult>;
  close(): Promise<void>;
}

/** Both modes print each Service port as `namespace/name:port` somewhere once they serve it. */
const servesApiserver = (rules: string) => rules.includes('default/kubernetes');

export async function startRealCluster(o: RealClusterOptions): Promise<RealCluster> {
  const count = o.nodes ?? 2;
  if (count > NODE_NAMES.length) throw new Error(`at most ${NODE_NAMES.length} nodes`);
  const net: LabNetwork = await buildNetwork(count, CLUSTER_CIDR);
  const cleanups: (() => Promise<unknown>)[] = [() => net.close()];
  /** Temp directories to remove if the run is interrupted (close() removes them in order). */
  const dirs: string[] = [];
  const unregister = onInterrupt(() => {
    net.closeSync();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(`lab clean-up: ${(e as Error).message}`));
    cleanups.length = 0;
    unregister();
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), `npd-real-${o.version}-${o.mode}-`));
    dirs.push(dir);
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const home = join(dir, 'home');
    await mkdir(home);

    const cp = await startControlPlane({ version: o.version, bindAddress: net.lan.hostIp });
    dirs.push(cp.dir);
    cleanups.push(() => cp.stop());

    const base = Array.from({ length: count }, (_, k) => ({
      name: NODE_NAMES[k]!, ns: net.topo.nodes[k]!, ip: net.nodeIps[k]!, extraIp: net.extraIps[k]!, podCIDR: `10.244.${k}.0/24`,
    }));
    await registerNodes(cp, base);
    const proxyOptions = (n: (typeof base)[number], change: Pick<KubeProxyOptions, 'nodePortAddresses'> = {}): KubeProxyOptions => ({
      node: n.name, ns: n.ns, mode: o.mode, clusterCIDR: CLUSTER_CIDR, ...change,
    });
    const nodes: RealNode[] = [];
    for (const n of base) nodes.push({ ...n, proxy: await startKubeProxy(cp, proxyOptions(n)) });
    await publishKubeProxy(cp, nodes[0]!.proxy.config, nodes);

    const waitForSync: RealCluster['waitForSync'] = async (what, synced) => {
      await Promise.all(nodes.map((n) => waitForRules(n.proxy, what, (rules) => synced(rules, n))));
    };
    await waitForSync('serve default/kubernetes', servesApiserver);

    const ssh = await startNodeSsh(dir, nodes.map((n, k) => ({ ns: n.ns, ip: n.ip, netnsDir: net.netns.dir(k) })));
    dirs.push(...ssh.dirs);
    cleanups.push(() => ssh.stop());
    const pods = new LabPods(cp, net.topo, nodes, net.netns);
    cleanups.push(() => pods.stopAll());

    const create = async <T>(path: string, obj: unknown): Promise<T> => {
      const r = await cp.api('POST', path, obj);
      if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    };
    return {
      version: o.version, mode: o.mode, cp, nodes, kubeconfig: cp.admin, ssh, pods, dir, home,
      firewall: net.firewall, overlay: net.overlay,
      dropAfterRead: (k, nodePort) => dropNodePortAfterRead({ ns: nodes[k]!.ns, pathDir: ssh.pathDirs[k]! }, nodePort, dir),
      client: { ns: net.topo.client, ip: CLIENT_IP },
      create,
      async createNamespace(name, labels = {}) {
        await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
        await waitFor(`the default ServiceAccount of ${name}`, async () => (await cp.api('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200, { timeoutMs: 30_000 });
      },
      waitForSync,
      async restartKubeProxies(change) {
        for (const n of nodes) {
          await cp.processes.stop(n.proxy.process);
          n.proxy = await startKubeProxy(cp, proxyOptions(n, change));
        }
        await updateKubeProxyConfig(cp, nodes[0]!.proxy.config);
      },
      async connect(ip, port, c = {}) {
        const tries = c.tries ?? 2;
        // Random balancing needs more tries to see every wanted pod: it stops once all are seen, and
        // 16 a pod makes missing one of two (2 × 2^-32) negligible; 4 a pod missed one run in ~16.
        const maxTries = Math.max(tries, 16 * (c.want?.length ?? 0));
        return probe({
          ns: net.topo.client, proto: 'tcp', ip, port, minTries: tries, maxTries, want: c.want ?? [],
          sportBase: reserveSports(maxTries), timeoutMs: c.timeoutMs ?? 1000,
        });
      },
      inNode: (k, cmd, args, opts = {}) => run(cmd, args, { ns: nodes[k]!.ns, ...opts }),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
