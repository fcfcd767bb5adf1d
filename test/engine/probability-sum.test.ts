/**
 * The outcomes of one walk add up to probability 1: statistic weights multiply, undecidable forks
 * split their share between the sides, merged branches add. Asserted for every walk the path
 * analysis makes for each scenario of the corpus (ingress and backend nodes), and for every probe
 * of the kernel lab, walked by the engine alone on the scenario's own rules: iptables restore input
 * is read as a dump; native nftables text is turned into `nft -j list ruleset` JSON by the real
 * nft in a throwaway network namespace (unprivileged where the kernel allows user namespaces).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import type { WalkResult } from '../../src/engine/packet/contract.js';
import { walk } from '../../src/engine/walk/walk.js';
import { buildContext } from '../../src/run/question.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import * as A from '../kernel/lab/addressing.js';
import { loadOrderOf, type NodeFacts, type ProbeRun } from '../kernel/lab/run.js';
import type { Probe, Scenario } from '../kernel/lab/scenario.js';
import { scenarios as kernelScenarios } from '../kernel/scenarios/index.js';
import { nodeContextOf, packetOf, planeFor } from '../kernel/walk-input.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';
import { fastTier } from '../support/tier.js';

const TOLERANCE = 1e-9;

function assertSumsToOne(w: WalkResult, what: string): void {
  const sum = w.outcomes.reduce((s, o) => s + o.probability, 0);
  assert.ok(w.outcomes.length > 0, `${what}: no outcome`);
  assert.ok(Math.abs(sum - 1) <= TOLERANCE, `${what}: the outcomes sum to ${sum}, not 1:\n${w.outcomes.map((o) => `  ${o.probability} ${o.verdict} ${o.dnat?.ip ?? '-'}`).join('\n')}`);
}

describe('every walk of the scenario corpus sums to 1', async () => {
  const corpus = await loadScenarios();
  for (const s of corpus) {
    test(s.name, async () => {
      const snapshot = await loadSnapshot(s.snapshotFile);
      const ask = { ...(s.scenario.target ?? DEFAULT_TARGET), ...s.scenario.ask };
      const ctx = buildContext(snapshot, ask);
      const walks = new Map<WalkResult, string>();
      for (const p of ctx.paths) {
        if (p.walk) walks.set(p.walk, `ingress ${p.node}`);
        for (const b of p.branches) for (const st of b.stages) if (st.walk) walks.set(st.walk, `backend node ${st.node ?? '?'} (from ${p.node})`);
      }
      for (const [w, what] of walks) assertSumsToOne(w, what);
      // A scenario that replays nothing (no such Service, not a NodePort) must say why, not pass silently.
      if (walks.size === 0) assert.ok(ctx.paths.length === 0 || ctx.paths.every((p) => p.unavailable !== null), `${s.name}: paths without walks`);
    });
  }

  test('the corpus replays walks at all', async () => {
    let n = 0;
    for (const s of corpus) {
      const ctx = buildContext(await loadSnapshot(s.snapshotFile), { ...(s.scenario.target ?? DEFAULT_TARGET), ...s.scenario.ask });
      n += ctx.paths.filter((p) => p.walk).length;
    }
    assert.ok(n >= corpus.length, `only ${n} ingress walks over ${corpus.length} scenarios`);
  });
});

/** `nft -f TEXT; nft -j list ruleset` in a fresh network namespace; null when none can be made here. */
function nftJson(text: string): string | null {
  if (fastTier()) return null;
  const args = ['-n', ...(process.getuid?.() === 0 ? [] : ['-r']), 'sh', '-c', 'nft -f - && nft -j list ruleset'];
  const r = spawnSync('unshare', args, { input: text.endsWith('\n') ? text : `${text}\n`, encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout : null;
}

/** What the lab's topology gives node k, as NodeFacts (lab/topology.ts builds the same). */
function factsOf(s: Scenario, k: number, nftables: string | undefined): NodeFacts {
  const spec = s.nodes[k]!;
  const v6 = s.ipv6 === true;
  const addresses: Record<string, string> = { '127.0.0.1': 'lo', [A.nodeIp(k)]: 'eth0' };
  for (const extra of spec.extraIps ?? []) addresses[extra] = 'eth0';
  if (v6) Object.assign(addresses, { '::1': 'lo', [A.nodeIp6(k)]: 'eth0' });
  const routes: NodeFacts['routes'] = [
    { dst: A.LAN_NET, dev: 'eth0', src: A.nodeIp(k), family: 4 },
    { dst: A.CLIENT_NET, dev: 'eth0', family: 4 },
    { dst: 'default', dev: 'eth0', family: 4 },
  ];
  if (v6) routes.push({ dst: A.LAN_NET6, dev: 'eth0', family: 6 }, { dst: A.CLIENT_NET6, dev: 'eth0', family: 6 });
  s.nodes.forEach((_, m) => {
    if (m === k) return;
    routes.push({ dst: A.podNet(m), dev: 'eth0', family: 4 });
    if (v6) routes.push({ dst: A.podNet6(m), dev: 'eth0', family: 6 });
  });
  for (const pod of s.pods.filter((p) => p.node === k)) {
    routes.push({ dst: `${pod.ip}/32`, dev: A.hostVeth(pod.name), family: 4 });
    if (v6 && pod.ip6 !== undefined) routes.push({ dst: `${pod.ip6}/128`, dev: A.hostVeth(pod.name), family: 6 });
  }
  const loadOrder = loadOrderOf(spec);
  const r = spec.rules ?? {};
  return {
    ns: `lab-n${k}`,
    addresses,
    // The lab's nodes have no bridges: no link is enslaved.
    masterOf: {},
    routes,
    ipForward: true,
    routeLocalnet: spec.routeLocalnet === true,
    dumps: { ...(r.nft ? { nft: r.nft } : {}), ...(r.legacy ? { legacy: r.legacy } : {}), ...(r.nft6 ? { nft6: r.nft6 } : {}) },
    ...(nftables !== undefined ? { nftables } : {}),
    runOrder: loadOrder.filter((b): b is 'nft' | 'legacy' | 'nft6' => b !== 'nftables').reverse(),
    loadOrder,
  };
}

/** The probe's first packet, as lab/run.ts sends it. */
function packetFor(s: Scenario, p: Probe): ProbeRun['packet'] {
  const v6 = p.to.ip.includes(':');
  const base = { dst: p.to.ip, proto: p.proto, sport: 20000, dport: p.to.port };
  if (p.from.kind === 'client') return { ...base, src: v6 ? A.CLIENT_IP6 : A.CLIENT_IP, inIface: 'eth0' };
  if (p.from.kind === 'node') return { ...base, src: p.from.srcIp, localProcess: true };
  const name = p.from.pod;
  const pod = s.pods.find((x) => x.name === name)!;
  return { ...base, src: (v6 ? pod.ip6 : pod.ip)!, inIface: A.hostVeth(pod.name) };
}

describe('every kernel-lab probe, walked by the engine alone, sums to 1', () => {
  for (const s of kernelScenarios) {
    const needsNft = s.nodes.some((n) => n.rules?.nftables !== undefined);
    test(s.name, (t) => {
      const json = s.nodes.map((n) => (n.rules?.nftables === undefined ? undefined : nftJson(n.rules.nftables)));
      if (needsNft && json.some((j, k) => j === null && s.nodes[k]?.rules?.nftables !== undefined)) {
        t.skip('nft cannot run in a network namespace here (needs root or user namespaces); the kernel lab asserts this case');
        return;
      }
      for (const p of s.probes) {
        const packet = packetFor(s, p);
        const node = factsOf(s, p.node, json[p.node] ?? undefined);
        const family = packet.dst.includes(':') ? 6 : 4;
        const w = walk(planeFor(node, family), nodeContextOf(node), packetOf({ packet }));
        assertSumsToOne(w, `${s.name} / ${p.name}`);
      }
    });
  }
});
