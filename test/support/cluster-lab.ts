/**
 * A whole small cluster for gathering tests, made of real parts except the API server:
 *
 *   - two nodes as network namespaces (the kernel lab's topology: LAN bridge, Calico-style pods),
 *     each with kube-proxy's rules for shop/frontend (eTP Cluster, one pod per node) loaded with
 *     the real iptables-restore;
 *   - a veth from the namespace the tests run in onto the LAN bridge (192.168.49.254), so the test
 *     process reaches the nodes at their InternalIPs, as np-doctor on an engineer's laptop would;
 *   - Debian's OpenSSH server in each node namespace, with a generated user key and known_hosts;
 *   - the fake kube-apiserver serving the matching objects (test/support/cluster-fixture.ts), whose
 *     exec runs debug-pod commands in the node's namespace.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../kernel/lab/exec.js';
import { cleanupOwn, cleanupStale } from '../kernel/lab/netns.js';
import { loadRules } from '../kernel/lab/rules.js';
import type { Scenario } from '../kernel/lab/scenario.js';
import { buildTopology } from '../kernel/lab/topology.js';
import * as A from '../kernel/lab/addressing.js';
import { etpClusterRules } from '../kernel/scenarios/etp-cluster.js';
import { kubeRules } from '../kernel/scenarios/kube.js';
import { buildClusterFixture, TWO_NODE_CLUSTER, type ClusterFixtureOptions } from './cluster-fixture.js';
import { netnsExecHandler, startFakeApiserver, type FakeApiserver } from './fake-apiserver/index.js';
import { generateKey, startSshd, type KeyPair, type Sshd } from './sshd.js';

export interface LabNode {
  name: string;
  ns: string;
  ip: string;
}

export interface ClusterLab {
  nodes: LabNode[];
  apiserver: FakeApiserver;
  kubeconfig: string;
  /** Temp dir: the user key, known_hosts, and an empty HOME for the CLI. */
  dir: string;
  home: string;
  userKey: KeyPair;
  knownHosts: string;
  close(): Promise<void>;
}

export const HOST_IP = '192.168.49.254';

/** kube-proxy's rules for shop/frontend: NodePort 30080, eTP Cluster, one endpoint on each node. */
const frontendRules = (clusterIp: string): string =>
  etpClusterRules({
    svc: 'shop/frontend:http',
    clusterIp,
    chains: ['KUBE-SVC-FRONTENDAAAAAAAAA', 'KUBE-EXT-FRONTENDAAAAAAAAA', 'KUBE-SEP-FRONTENDA1AAAAAAA', 'KUBE-SEP-FRONTENDB1AAAAAAA'],
    noTrace: true,
  });

/**
 * kube-proxy's rules for shop/frontend with externalTrafficPolicy Local and its only endpoint
 * (10.244.1.5) on node-b: node-b sends NodePort traffic to it unmasqueraded through KUBE-SVL;
 * node-a has no local endpoint, so KUBE-EXT has no final jump and filter KUBE-EXTERNAL-SERVICES
 * DROPs the port (reference kube-proxy-dataplane.md §1.5.2–1.5.3).
 */
function frontendLocalRules(clusterIp: string, hasLocal: boolean): string {
  const SVC = 'shop/frontend:http';
  const [svc, ext, svl, sep] = ['KUBE-SVC-FRONTENDAAAAAAAAA', 'KUBE-EXT-FRONTENDAAAAAAAAA', 'KUBE-SVL-FRONTENDAAAAAAAAA', 'KUBE-SEP-FRONTENDB1AAAAAAA'];
  return kubeRules({
    noTrace: true,
    natChains: [svc, ext, ...(hasLocal ? [svl] : []), sep],
    nat: [
      `-A KUBE-SERVICES -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d ${clusterIp} --dport 80 -j ${svc}`,
      `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30080 -j ${ext}`,
      `-A ${ext} -m comment --comment "pod traffic for ${SVC} external destinations" -s 10.244.0.0/16 -j ${svc}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
      ...(hasLocal ? [`-A ${ext} -j ${svl}`, `-A ${svl} -m comment --comment "${SVC} -> 10.244.1.5:8080" -j ${sep}`] : []),
      `-A ${svc} -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d ${clusterIp} --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "${SVC} -> 10.244.1.5:8080" -j ${sep}`,
      `-A ${sep} -m comment --comment ${SVC} -s 10.244.1.5 -j KUBE-MARK-MASQ`,
      `-A ${sep} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
    ],
    filter: hasLocal ? [] : [`-A KUBE-EXTERNAL-SERVICES -m comment --comment "${SVC} has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP`],
  });
}

/**
 * `etp-cluster` (default): shop/frontend eTP Cluster with a pod on each node.
 * `etp-local`: eTP Local with its only pod on node-b, so node-a drops the NodePort.
 */
export type LabService = 'etp-cluster' | 'etp-local';

export async function startClusterLab(service: LabService = 'etp-cluster'): Promise<ClusterLab> {
  const fixture: ClusterFixtureOptions = service === 'etp-cluster' ? TWO_NODE_CLUSTER
    : { ...TWO_NODE_CLUSTER, frontendPods: TWO_NODE_CLUSTER.frontendPods.filter((p) => p.node === 'node-b'), frontend: { externalTrafficPolicy: 'Local' } };
  const objects = buildClusterFixture(fixture);
  const frontend = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'frontend');
  const clusterIp = (frontend?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  if (clusterIp === undefined) throw new Error('cluster fixture has no shop/frontend Service');

  const scenario: Scenario = {
    name: 'gather-lab',
    about: 'two nodes running shop/frontend',
    nodes: [{}, {}],
    pods: [
      { name: 'fa', node: 0, ip: '10.244.0.5', ports: [8080] },
      { name: 'fb', node: 1, ip: '10.244.1.5', ports: [8080] },
    ],
    probes: [],
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // A crashed earlier run may have left namespaces, and its host veth would shadow ours.
    await cleanupStale();
    cleanups.push(() => cleanupOwn());
    const topo = await buildTopology(scenario);
    const nodes = TWO_NODE_CLUSTER.nodes.map((n, k): LabNode => ({ name: n.name, ns: topo.nodes[k]!, ip: A.nodeIp(k) }));
    for (const n of nodes) {
      if (n.ip !== TWO_NODE_CLUSTER.nodes.find((f) => f.name === n.name)?.internalIP) throw new Error(`lab and fixture disagree on ${n.name}'s address`);
      await loadRules(n.ns, 'nft', service === 'etp-cluster' ? frontendRules(clusterIp) : frontendLocalRules(clusterIp, n.name === 'node-b'));
    }

    // The test process's own leg on the LAN. A veth dies with its peer's namespace, so deleting the
    // lab namespaces removes it too; the explicit delete covers a lab that failed halfway.
    const hostIf = `np${process.pid}h`.slice(0, 15);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'p-host', 'netns', topo.lan]);
    cleanups.push(() => run('ip', ['link', 'del', hostIf], { allowFail: true }));
    await run('ip', ['-n', topo.lan, 'link', 'set', 'p-host', 'master', 'br0', 'up']);
    await run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);

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
      objects,
      execHandler: netnsExecHandler(new Map(nodes.map((n) => [n.name, n.ns]))),
      // The debug pods must be allowed where np-doctor puts them (the context's namespace, default).
      podSecurity: true,
    });
    cleanups.push(() => apiserver.stop());
    const kubeconfig = await apiserver.writeKubeconfig({ context: 'lab', path: join(dir, 'kubeconfig') });
    return { nodes, apiserver, kubeconfig, dir, home, userKey, knownHosts, close };
  } catch (e) {
    await close();
    throw e;
  }
}

