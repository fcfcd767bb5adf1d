/**
 * The scenario kit's cluster made of real parts except the API server, for gathering tests:
 *
 *   - every kit node as a network namespace of the kernel lab's topology (LAN bridge, Calico-style
 *     routed pods), holding the node's own kit address on eth0 (192.168.1.101…) and a namespace
 *     per pod at its kit address, with the node's rules as the kit writes them (kubelet's,
 *     kube-proxy's in iptables mode) loaded by the real iptables-restore;
 *   - a veth from the namespace the tests run in onto the LAN bridge (the LAN's .254), so the test
 *     process reaches the nodes at their InternalIPs, as np-doctor on an engineer's laptop would;
 *   - Debian's OpenSSH server in each node namespace, with a generated user key and known_hosts;
 *   - the fake kube-apiserver serving the kit's objects for the same spec, whose exec runs
 *     debug-pod commands in the node's namespace.
 *
 * The LAN's /24 is the kit's: the machine's namespace must not route it already.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../kernel/lab/exec.js';
import { cleanupOwn, cleanupStale } from '../kernel/lab/netns.js';
import type { PodSpec as LabPodSpec, Scenario } from '../kernel/lab/scenario.js';
import { Servers, type Listen } from '../kernel/lab/servers.js';
import { buildTopology, type Topology } from '../kernel/lab/topology.js';
import * as A from '../kernel/lab/addressing.js';
import { apiCluster, apiClusterObjects } from './api-cluster.js';
import { netnsExecHandler, startFakeApiserver, type FakeApiserver } from './fake-apiserver/index.js';
import { addHostLeg, subnetInUse } from './k8s-lab/lan.js';
import { loadNodeRules, nodeLoadInput, updateService, type ClusterSpec } from './scenario-kit/index.js';
import { networkOf, nthAddress } from './scenario-kit/net.js';
import { podListens } from './scenario-kit/pod-netns.js';
import { routeLocalnet } from './scenario-kit/node-commands.js';
import { generateKey, startSshd, type KeyPair, type Sshd } from './sshd.js';

export interface LabNode {
  name: string;
  ns: string;
  ip: string;
}

export interface ClusterLab {
  /** The kit spec the lab was built from. */
  spec: ClusterSpec;
  nodes: LabNode[];
  apiserver: FakeApiserver;
  /** The pods' servers, listening where the kit says each app listens; their logs count connections. */
  servers: Servers;
  kubeconfig: string;
  /** Temp dir: the user key, known_hosts, and an empty HOME for the CLI. */
  dir: string;
  home: string;
  userKey: KeyPair;
  knownHosts: string;
  close(): Promise<void>;
}

/**
 * `etp-cluster` (default): the kit's cluster as it is, shop/frontend eTP Cluster with a pod on
 * node-2 and on node-3. `etp-local`: eTP Local with its only pod on node-2, so node-1 and node-3
 * drop the NodePort.
 */
export type LabService = 'etp-cluster' | 'etp-local';

/** The spec a lab runs: apiCluster() with Calico-style routing, as the lab's topology wires pods. */
export function labCluster(service: LabService): ClusterSpec {
  const spec = { ...apiCluster(), cni: 'calico' as const };
  if (service === 'etp-local') {
    updateService(spec, 'shop/frontend', { externalTrafficPolicy: 'Local' });
    spec.pods = spec.pods.filter((p) => !(p.namespace === 'shop' && p.labels.app === 'frontend' && p.node !== 'node-2'));
  }
  return spec;
}

/** The lab topology for the spec: node k at the kit node's address, one pod namespace per scheduled pod. */
function topologyOf(spec: ClusterSpec): Scenario {
  spec.nodes.forEach((n, k) => {
    // The topology routes node k's pods as 10.244.k.0/24; the kit's base cluster numbers them so.
    if (n.podCIDR !== A.podNet(k)) throw new Error(`${n.name}: podCIDR ${n.podCIDR} is not the lab's ${A.podNet(k)} for node ${k}`);
  });
  const pods = spec.pods.flatMap((p, i): LabPodSpec[] =>
    p.node === null || p.ip === null || p.hostNetwork === true ? [] : [{ name: `p${i}`, node: spec.nodes.findIndex((n) => n.name === p.node), ip: p.ip, ports: [] }]);
  return {
    name: 'gather-lab',
    about: 'the scenario kit\'s cluster',
    nodes: spec.nodes.map((n) => ({ routeLocalnet: routeLocalnet(spec, n) })),
    pods,
    probes: [],
  };
}

/**
 * A real server in each pod's namespace on the sockets the kit says its app listens on (as the
 * kit's `ss` output shows them), so what np-doctor reads from the pods is what the kernel does.
 */
async function startPodServers(spec: ClusterSpec, topo: Topology, servers: Servers): Promise<void> {
  for (const [i, p] of spec.pods.entries()) {
    const ns = topo.pods.get(`p${i}`);
    const sockets = podListens(spec, p).map((l): Listen => {
      if (l.address === '*') throw new Error(`${p.name}: the lab's servers bind one family per socket, not "*"`);
      return { proto: l.protocol === 'UDP' ? 'udp' : 'tcp', host: l.address ?? '0.0.0.0', port: l.port };
    });
    if (ns !== undefined && sockets.length > 0) await servers.start(ns, p.name, [], false, sockets);
  }
}

export async function startClusterLab(service: LabService = 'etp-cluster'): Promise<ClusterLab> {
  const spec = labCluster(service);
  const first = spec.nodes[0];
  if (first === undefined) throw new Error('the lab spec has no node');
  const net = networkOf(first.ip, first.prefix ?? 24);
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // A crashed earlier run may have left namespaces, and its host veth would shadow ours.
    await cleanupStale();
    if (await subnetInUse(net)) throw new Error(`this machine already routes ${net}, the scenario kit's node network: the lab would shadow it (or another lab runs)`);
    cleanups.push(() => cleanupOwn());
    const topo = await buildTopology(topologyOf(spec), { lan: { net, gw: nthAddress(net, 1), nodeIp: (k) => spec.nodes[k]!.ip } });
    const nodes = spec.nodes.map((n, k): LabNode => ({ name: n.name, ns: topo.nodes[k]!, ip: n.ip }));
    const servers = new Servers();
    cleanups.push(() => servers.stopAll());
    await startPodServers(spec, topo, servers);
    for (const [k, n] of spec.nodes.entries()) await loadNodeRules(topo.nodes[k]!, nodeLoadInput(spec, n));

    // The test process's own leg on the LAN; deleting the lab namespaces removes it too.
    const removeLeg = await addHostLeg(topo.lan, `np${process.pid}h`.slice(0, 15), nthAddress(net, 254));
    cleanups.push(() => Promise.resolve(removeLeg()));

    const dir = await mkdtemp(join(tmpdir(), 'npd-cluster-lab-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const home = join(dir, 'home');
    await run('mkdir', ['-p', home]);
    const userKey = await generateKey(dir, 'id_ed25519');
    const sshds: Sshd[] = [];
    for (const n of nodes) {
      const sshd = await startSshd({ ns: n.ns, address: n.ip, authorizedKeys: [userKey.publicLine] });
      sshds.push(sshd);
      cleanups.push(() => sshd.stop());
    }
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, nodes.map((n, k) => `${n.ip} ${sshds[k]!.hostKey}\n`).join(''));

    const apiserver = await startFakeApiserver({
      objects: apiClusterObjects(spec),
      execHandler: netnsExecHandler(new Map(nodes.map((n) => [n.name, n.ns]))),
      // The debug pods must be allowed where np-doctor puts them (the context's namespace, default).
      podSecurity: true,
    });
    cleanups.push(() => apiserver.stop());
    const kubeconfig = await apiserver.writeKubeconfig({ context: 'lab', path: join(dir, 'kubeconfig') });
    return { spec, nodes, apiserver, servers, kubeconfig, dir, home, userKey, knownHosts, close };
  } catch (e) {
    await close();
    throw e;
  }
}
