/**
 * A real-cluster lab's network: the kernel lab's topology (LAN bridge, client, nodes with
 * Calico-style routed pods; test/kernel/lab/topology.ts) on a LAN of its own (lan.ts), with a leg
 * from the machine's namespace onto the LAN. Each node carries its InternalIP and a second address
 * (a VIP) on eth0. Namespaces are named `npd<pid>-k<id>-…`, so one test process can run several labs
 * and the kernel lab's stale clean-up still recognises them.
 *
 * The wire has two faults a test can switch on, both outside every node's rules: the cloud firewall
 * (firewall.ts: the host leg and the client reach the LAN through it) and the broken overlay (pod
 * traffic between two nodes' LAN ports dropped on the LAN bridge; nodes route each other's pod
 * /24s unencapsulated, so a packet to or from a pod address on the LAN is pod traffic).
 *
 *   [machine: host leg] ─┐
 *   [client] ────────────┴─ br0 in [fw] ── uplink ── br0 in [lan] ─┬─ [node0]
 *                                                                  └─ [node1] …
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { NS_PREFIX, cleanupStale, deleteNamespace, listNamespaces } from '../../kernel/lab/netns.js';
import { buildTopology, type Topology } from '../../kernel/lab/topology.js';
import { bridgeFilter, type LabSwitch } from './bridge-filter.js';
import { addFirewallHop } from './firewall.js';
import { addHostLeg, claimLan, type LanClaim } from './lan.js';
import { nodeNetnsViews, type NodeNetns } from './node-netns.js';

export interface LabNetwork {
  topo: Topology;
  lan: LanClaim;
  /** Node k's InternalIP and its second address. */
  nodeIps: string[];
  extraIps: string[];
  /** Drops the NodePort range from outside (the machine, the client) to the nodes: the cloud firewall. */
  firewall: LabSwitch;
  /** Drops pod traffic between nodes on the LAN: the broken overlay. */
  overlay: LabSwitch;
  /** Each node's own /run/netns (node-netns.ts). */
  netns: NodeNetns;
  close(): Promise<void>;
  /** The same, synchronously (Ctrl-C). */
  closeSync(): void;
}

let labs = 0;

/** Deletes this lab's namespaces without waiting on the event loop (the kernel kills their processes). */
function deleteNamespacesSync(prefix: string): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
      for (const p of pids.split('\n').filter((x) => /^\d+$/.test(x))) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          // gone
        }
      }
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
}

/** `podCidr`: every pod address in the lab (the overlay drop's match). */
export async function buildNetwork(nodes: number, podCidr: string): Promise<LabNetwork> {
  // A crashed earlier run may have left namespaces (their veths would keep routes here).
  await cleanupStale();
  const id = labs++;
  const prefix = `${NS_PREFIX}k${id}-`;
  const lan = await claimLan();
  let removeLeg = () => {};
  let netns: NodeNetns | undefined;
  const closeSync = () => {
    removeLeg();
    netns?.closeSync();
    deleteNamespacesSync(prefix);
    lan.release();
  };
  try {
    const nodeIps = Array.from({ length: nodes }, (_, k) => lan.plan.nodeIp(k));
    const extraIps = Array.from({ length: nodes }, (_, k) => lan.extraIp(k));
    const topo = await buildTopology(
      { name: `k8s-lab-${id}`, about: 'a real-cluster lab', nodes: extraIps.map((ip) => ({ extraIps: [ip] })), pods: [], probes: [] },
      { prefix, lan: lan.plan },
    );
    const firewall = await addFirewallHop(topo.lan, `${prefix}fw`);
    // Interface names are at most 15 bytes: np + pid (≤ 7 digits) + k + lab id.
    removeLeg = await addHostLeg(`${prefix}fw`, `np${process.pid}k${id}`, lan.hostIp);
    const overlay = bridgeFilter(topo.lan, 'npd-overlay', ['saddr', 'daddr'].map((dir) => `iifname "p-n*" oifname "p-n*" ip ${dir} ${podCidr} drop`));
    const views = await nodeNetnsViews(prefix, nodes);
    netns = views;
    const close = async () => {
      removeLeg();
      views.closeSync();
      for (const name of await listNamespaces()) if (name.startsWith(prefix)) await deleteNamespace(name);
      lan.release();
    };
    return { topo, lan, nodeIps, extraIps, firewall, overlay, netns: views, close, closeSync };
  } catch (e) {
    closeSync();
    throw e;
  }
}
