/**
 * The kernel round trip: a node's rules loaded with the real `nft -f` (native nftables tables:
 * a boot-time firewalld's first, kube-proxy's in nftables mode last), iptables-legacy-restore and
 * iptables-nft-restore, and in a dual-stack cluster ip6tables-legacy-restore and ip6tables-nft-restore (after `nfacct add` of the counters kube-proxy's nfacct matches name) into
 * a fresh network namespace and read back with the real save tools and
 * `nft -j list ruleset`, so a scenario's dumps are exactly what iptables v1.8.9 and nft 1.0.6 print.
 * Needs root. Every namespace is named npd-kit-<pid>-<n> and deleted in `finally`; all commands
 * run asynchronously through the kernel lab's execFile wrapper.
 */
import { run } from '../../kernel/lab/exec.js';
import type { Snapshot } from '../../../src/snapshot/schema.js';
import { buildScenarioSnapshot, type BuildOptions } from './build.js';
import type { NodeDumps } from './node-commands.js';
import { ipsetSaveText } from './kube-proxy-ipvs.js';
import { kubeProxyInput, nodeRulesets, restoreInputOf, slicesByService, type NodeRestoreInput } from './node-rules.js';
import type { Backend, ClusterSpec, NodeSpec } from './spec.js';

const RESTORE: Record<Backend, string> = { nft: 'iptables-nft-restore', legacy: 'iptables-legacy-restore' };
const SAVE: Record<Backend, string> = { nft: 'iptables-nft-save', legacy: 'iptables-legacy-save' };
const RESTORE6: Record<Backend, string> = { nft: 'ip6tables-nft-restore', legacy: 'ip6tables-legacy-restore' };
const SAVE6: Record<Backend, string> = { nft: 'ip6tables-nft-save', legacy: 'ip6tables-legacy-save' };

let counter = 0;
let staleRemoved: Promise<void> | undefined;

/** Deletes namespaces a crashed earlier run left behind (its pid is gone); never a live run's. */
async function removeStale(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const name of stdout.split('\n').map((l) => l.split(' ')[0] ?? '')) {
    const pid = /^npd-kit-(\d+)-\d+$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || alive(Number(pid))) continue;
    await run('ip', ['netns', 'del', name], { allowFail: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` with a fresh network namespace that is always deleted afterwards. */
export async function withNamespace<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  await (staleRemoved ??= removeStale());
  const ns = `npd-kit-${process.pid}-${++counter}`;
  await run('ip', ['netns', 'add', ns]);
  try {
    return await fn(ns);
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFail: true });
  }
}

/**
 * The nfacct objects the rules count into: kube-proxy creates them (over netlink) before its
 * restore, and the nfacct match refuses to load without them. `nfacct` (Debian package nfacct)
 * creates them here; they live in the namespace.
 */
async function ensureNfacct(ns: string, texts: string[]): Promise<void> {
  const names = new Set(texts.flatMap((t) => [...t.matchAll(/--nfacct-name\s+"?([^\s"]+)/g)].map((m) => m[1] ?? '')));
  for (const name of names) {
    try {
      await run('nfacct', ['add', name], { ns });
    } catch (e) {
      throw new Error(`creating nfacct object ${name} for kube-proxy's nfacct matches (install Debian's nfacct): ${(e as Error).message}`, { cause: e });
    }
  }
}

async function restore(ns: string, backend: Backend, text: string, family: 4 | 6 = 4): Promise<void> {
  // -w: wait for the xtables lock rather than fail when another restore holds it.
  if (text !== '') await run((family === 6 ? RESTORE6 : RESTORE)[backend], ['-w'], { ns, input: text });
}

/** iptables-restore input → what iptables-save prints for it (counters [0:0], today's date). */
export async function roundTrip(text: string, backend: Backend): Promise<string> {
  return withNamespace(async (ns) => {
    await ensureNfacct(ns, [text]);
    await restore(ns, backend, text);
    return (await run(SAVE[backend], [], { ns })).stdout;
  });
}

async function nftLoad(ns: string, text: string): Promise<void> {
  if (text !== '') await run('nft', ['-f', '-'], { ns, input: text });
}

/** One node's rules (and, in IPVS mode, kube-proxy's ipsets) as the kernel round trip loads them. */
export type NodeLoadInput = Record<Backend, string> & Partial<NodeRestoreInput> & { ipsets?: string };

/**
 * Everything of one node loaded into the network namespace `ns` in the order the node got it
 * (kube-proxy's ipsets, boot-time native tables, both iptables backends, kube-proxy's nft table).
 */
export async function loadNodeRules(ns: string, input: NodeLoadInput): Promise<void> {
  // IPVS mode: kube-proxy creates its ipsets before the rules that match them (-m set).
  if (input.ipsets) await run('ipset', ['restore'], { ns, input: input.ipsets });
  await nftLoad(ns, input.nftablesBoot ?? '');
  await ensureNfacct(ns, [input.legacy, input.nft, input.legacy6 ?? '', input.nft6 ?? '']);
  await restore(ns, 'legacy', input.legacy);
  await restore(ns, 'nft', input.nft);
  await restore(ns, 'legacy', input.legacy6 ?? '', 6);
  await restore(ns, 'nft', input.nft6 ?? '', 6);
  await nftLoad(ns, input.nftablesLate ?? '');
}

/** loadNodeRules into a fresh namespace, read back with the save tools and `nft -j list ruleset`. */
export async function roundTripNode(input: NodeLoadInput): Promise<NodeDumps> {
  return withNamespace(async (ns) => {
    await loadNodeRules(ns, input);
    return {
      nft: (await run(SAVE.nft, [], { ns })).stdout,
      legacy: (await run(SAVE.legacy, [], { ns })).stdout,
      nft6: (await run(SAVE6.nft, [], { ns })).stdout,
      legacy6: (await run(SAVE6.legacy, [], { ns })).stdout,
      nftRuleset: (await run('nft', ['-j', 'list', 'ruleset'], { ns })).stdout,
    };
  });
}

/** What loadNodeRules loads for one node of the spec: its rules, and kube-proxy's ipsets in IPVS mode. */
export function nodeLoadInput(spec: ClusterSpec, node: NodeSpec, slices = slicesByService(spec)): NodeLoadInput {
  const input = kubeProxyInput(spec, node, slices);
  const ipsets = input.settings.mode === 'ipvs' ? ipsetSaveText(input, input.localAddresses) : undefined;
  return { ...restoreInputOf(nodeRulesets(spec, node.name, slices)), ...(ipsets ? { ipsets } : {}) };
}

/** buildScenarioSnapshot with every reachable node's dumps printed by the real kernel and tools. */
export async function buildScenarioSnapshotFromKernel(spec: ClusterSpec, opts: Omit<BuildOptions, 'dumps'> = {}): Promise<Snapshot> {
  const slices = slicesByService(spec);
  const dumps: Record<string, NodeDumps> = {};
  for (const node of spec.nodes.filter((n) => n.access !== false)) dumps[node.name] = await roundTripNode(nodeLoadInput(spec, node, slices));
  return buildScenarioSnapshot(spec, { ...opts, dumps });
}
