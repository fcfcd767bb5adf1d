/**
 * Kernel differential tests (DESIGN.md §4): every scenario is built from network namespaces, its
 * rules are loaded with the real iptables-restore, real connections are made, and what the kernel
 * did is compared with walk() on the dumps the kernel printed. When they disagree, the kernel is
 * right. Root only; see test/kernel/README.md.
 *
 * Per probe there are six tests: the scenario's intent against the kernel alone, the four
 * comparisons (a)–(d) of compare.ts, and that the walk's outcome probabilities sum to 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import { walk } from '../../src/engine/walk/walk.js';
import type { WalkResult } from '../../src/engine/packet/contract.js';
import { scenarios } from './scenarios/index.js';
import { runScenario, type NodeFacts, type ProbeRun, type ScenarioRun } from './lab/run.js';
import { cleanupOwn, cleanupStale } from './lab/netns.js';
import { labGate, missingPrerequisites } from './lab/prereq.js';
import type { Probe, Scenario } from './lab/scenario.js';
import { checkIntended, compareEndpoints, compareMasquerade, comparePath, compareVerdict, normIp, type CompareContext } from './compare.js';
import { nftRulesetOf, nodeContextOf, packetOf, planeFor, rulesetsFor } from './walk-input.js';
import { KNOWN_DISAGREEMENTS, knownDisagreement, type Comparison } from './scenarios/known-disagreements.js';
import { iptablesView } from './lab/nft-trace.js';

/** Normalised IP → who answers there: pods by their addresses, host servers by their node's. */
function namesOf(s: Scenario, nodes: NodeFacts[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of s.pods) {
    m.set(normIp(p.ip), p.name);
    if (p.ip6 !== undefined) m.set(normIp(p.ip6), p.name);
  }
  s.nodes.forEach((spec, k) => {
    const host = spec.hostServers?.[0];
    if (host === undefined) return;
    for (const ip of Object.keys(nodes[k]?.addresses ?? {})) m.set(normIp(ip), host.name);
  });
  return m;
}

function contextOf(s: Scenario, run: ScenarioRun, p: Probe): CompareContext {
  return {
    names: namesOf(s, run.nodes),
    nodeListeners: new Set((s.nodes[p.node]?.hostServers ?? []).flatMap((h) => h.ports)),
    affinity: p.intended.sticky === true,
  };
}

function walkFor(node: NodeFacts, packet: ProbeRun['packet'], returningClient = false): WalkResult {
  const family = packet.dst.includes(':') ? 6 : 4;
  // Nodes without native nftables rules keep the plain-array call (iptables dumps only).
  const plane = node.nftables !== undefined ? planeFor(node, family) : rulesetsFor(node, family);
  return walk(plane, nodeContextOf(node, family), { ...packetOf({ packet }), ...(returningClient ? { returningClient: true } : {}) });
}

/**
 * Session affinity: the first try is a new client's first connection (the walk's default); every
 * later try is the same client again, a returning client (--returning-client). Each part of the
 * kernel's tries is compared with its own walk.
 */
function stickyParts(pr: ProbeRun, first: WalkResult, returning: WalkResult | undefined): [ProbeRun, WalkResult][] {
  if (returning === undefined) return [[pr, first]];
  return [[{ ...pr, tries: pr.tries.slice(0, 1) }, first], [{ ...pr, tries: pr.tries.slice(1) }, returning]];
}

const prereqProblem = missingPrerequisites();

if (labGate('kernel differential tests', prereqProblem, 'root and iptables(-legacy), ip6tables, xtables-monitor, nft, conntrack, ip')) {
  before(async () => {
    const stale = await cleanupStale();
    if (stale.length > 0) console.error(`kernel lab: removed stale namespaces ${stale.join(', ')}`);
  });
  after(async () => {
    await cleanupOwn();
  });

  // A stale entry (renamed scenario or probe) would silently stop meaning anything.
  test('known disagreements name existing scenarios and probes', () => {
    const stale = KNOWN_DISAGREEMENTS.filter((d) => !scenarios.some((s) => s.name === d.scenario && s.probes.some((p) => p.name === d.probe)));
    assert.deepEqual(stale, []);
  });

  for (const s of scenarios) {
    describe(`${s.name}: ${s.about}`, () => {
      let run: ScenarioRun | undefined;
      let runError: unknown = null;
      const walks = new Map<string, WalkResult | Error>();
      /** Sticky probes: the walk of a returning client, for the tries after the first. */
      const returningWalks = new Map<string, WalkResult>();

      before(async () => {
        try {
          run = await runScenario(s, {
            // The walk runs first, on the dumps just captured: its DNAT destinations tell the client
            // which endpoints it must see before it may stop trying (see compare.ts (b)).
            expect(p, node, packet) {
              let w: WalkResult;
              try {
                w = walkFor(node, packet);
              } catch (e) {
                walks.set(p.name, e instanceof Error ? e : new Error(String(e)));
                return { want: [], pmin: 1 };
              }
              walks.set(p.name, w);
              // With session affinity later tries repeat the first pod: waiting for all would only burn tries.
              if (p.intended.sticky === true) {
                returningWalks.set(p.name, walkFor(node, packet, true));
                return { want: [], pmin: 1 };
              }
              const names = namesOf(s, [node]);
              s.pods.forEach((pod) => names.set(normIp(pod.ip), pod.name));
              const prob = new Map<string, number>();
              for (const o of w.outcomes) {
                if (o.probability <= 0 || o.dnat === null || o.verdict !== 'ACCEPT') continue;
                const n = names.get(normIp(o.dnat.ip));
                if (n !== undefined) prob.set(n, (prob.get(n) ?? 0) + o.probability);
              }
              return { want: [...prob.keys()], pmin: prob.size > 0 ? Math.min(...prob.values()) : 1 };
            },
          });
          const dir = process.env.NP_DOCTOR_KERNEL_DUMP;
          if (dir !== undefined && dir !== '') {
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, `${s.name}.json`), JSON.stringify({ run, walks: Object.fromEntries([...walks].map(([k, v]) => [k, v instanceof Error ? String(v) : v])) }, null, 2));
          }
        } catch (e) {
          runError = e;
        }
      });

      // The engine must know which backend and family each real dump came from: the walk labels its
      // hops with it, and a legacy/nft split is only diagnosable if the two are told apart.
      test('dumps: parsed backend and family are those of the tool that printed them', () => {
        if (run === undefined) throw runError instanceof Error ? runError : new Error(String(runError));
        const wrong: string[] = [];
        for (const node of run.nodes)
          for (const b of node.runOrder) {
            const rs = parseIptablesSave(node.dumps[b] ?? '', { source: `${node.ns}:${b}` });
            const want = { backend: b === 'legacy' ? 'legacy' : 'nft', family: b === 'nft6' ? 6 : 4 };
            if (rs.backend !== want.backend || rs.family !== want.family)
              wrong.push(
                `${node.ns} ${b} dump, header ${JSON.stringify(node.dumps[b]?.split('\n')[0])}: ` +
                  `parsed backend=${rs.backend} family=${rs.family}, the dump came from ${want.backend} (IPv${want.family})`,
              );
          }
        if (wrong.length > 0) assert.fail(wrong.join('\n'));
      });

      // The nft dump holds iptables-nft's tables too: the engine must flag exactly those (they are
      // walked from the iptables dump) and walk every other table natively.
      if (s.nodes.some((n) => n.rules?.nftables !== undefined))
        test('nft dump: the tables iptables-nft made are flagged, native tables are not', () => {
          if (run === undefined) throw runError instanceof Error ? runError : new Error(String(runError));
          const wrong: string[] = [];
          for (const node of run.nodes) {
            const rs = nftRulesetOf(node);
            if (rs === null) continue;
            const ipt = {
              ip: node.dumps.nft !== undefined ? iptablesView(node.dumps.nft).tables : new Set<string>(),
              ip6: node.dumps.nft6 !== undefined ? iptablesView(node.dumps.nft6).tables : new Set<string>(),
            };
            if (rs.tables.length === 0) wrong.push(`${node.ns}: no tables parsed from the nft dump`);
            for (const t of rs.tables) {
              const made = (t.family === 'ip' || t.family === 'ip6') && ipt[t.family].has(t.name);
              if (t.iptablesNft !== made)
                wrong.push(`${node.ns}: table ${t.family} ${t.name} parsed iptablesNft=${t.iptablesNft}, but ${made ? 'iptables-restore made it' : 'it is native (nft -f)'}`);
            }
          }
          if (wrong.length > 0) assert.fail(wrong.join('\n'));
        });

      // The issue's acceptance, through the binary a user runs: `np-doctor trace` on node A's saved
      // dump prints two 0.5 branches, DNATed to each pod and masqueraded, with the hops the kernel
      // took (the same hops (d) compares with the kernel's trace).
      if (s.name === 'etp-cluster') {
        test('np-doctor trace on the lab dump: two 0.5 branches, DNAT to each pod, masqueraded, kernel hops', () => {
          if (run === undefined) throw runError instanceof Error ? runError : new Error(String(runError));
          const pr = run.probes.find((x) => x.probe.name === 'client-to-nodeA');
          const node = run.nodes[0];
          if (!pr || !node) throw new Error('probe client-to-nodeA did not run');
          const dir = mkdtempSync(join(tmpdir(), 'npd-cli-'));
          const file = join(dir, 'node-a.rules');
          writeFileSync(file, node.dumps.nft ?? '');
          const ctx = nodeContextOf(node);
          const pk = pr.packet;
          const args = [
            'dist/src/cli.js', 'trace', '--iptables', file, '-o', 'json',
            '--to', `${pk.dst}:${pk.dport}`, '--from', `${pk.src}:${pk.sport}`, '--in-iface', pk.inIface ?? '',
            ...Object.entries(ctx.interfaceOf ?? {}).flatMap(([ip, dev]) => ['--local-ip', `${ip}@${dev}`]),
            ...(ctx.routes ?? []).flatMap((r) => ['--route', `${r.dst}=${r.dev}`]),
            '--sysctl', `net.ipv4.ip_forward=${node.ipForward ? 1 : 0}`,
          ];
          let out: WalkResult;
          try {
            out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as WalkResult;
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          assert.deepEqual(out.outcomes.map((o) => [o.probability, o.verdict, o.dnat, o.snat?.type]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
            [0.5, 'ACCEPT', { ip: '10.244.0.5', port: 8080 }, 'MASQUERADE'],
            [0.5, 'ACCEPT', { ip: '10.244.1.5', port: 8080 }, 'MASQUERADE'],
          ]);
          const walkedHops = walks.get('client-to-nodeA');
          if (!walkedHops || walkedHops instanceof Error) throw walkedHops ?? new Error('no walk');
          assert.deepEqual(out.outcomes.map((o) => o.hops), walkedHops.outcomes.map((o) => o.hops), 'the CLI prints the hops (d) checked against the kernel');
        });
      }

      for (const p of s.probes) {
        const probeRun = (): ProbeRun => {
          if (run === undefined) throw runError instanceof Error ? runError : new Error(`scenario did not run: ${String(runError)}`);
          const pr = run.probes.find((x) => x.probe.name === p.name);
          if (pr === undefined) throw new Error(`probe ${p.name} did not run`);
          return pr;
        };
        const walked = (): WalkResult => {
          const w = walks.get(p.name);
          if (w === undefined) throw new Error('the walk was not run');
          if (w instanceof Error) throw w;
          return w;
        };
        const check = (failures: string[]) => {
          if (failures.length > 0) assert.fail(`${s.name} / ${p.name}\n${failures.join('\n\n')}`);
        };
        // A comparison listed in scenarios/known-disagreements.ts runs as a TODO (reported, not failing).
        const opts = (c: Comparison) => {
          const todo = knownDisagreement(s.name, p.name, c);
          return todo !== undefined ? { todo } : {};
        };

        describe(p.name, () => {
          test('kernel does what the scenario intends', () => {
            const pr = probeRun();
            check(checkIntended(pr));
          });
          const compared = (c: (pr: ProbeRun, w: WalkResult, ctx: CompareContext) => string[]) =>
            check(stickyParts(probeRun(), walked(), returningWalks.get(p.name)).flatMap(([pr, w]) => c(pr, w, contextOf(s, run!, p))));
          test('(a) verdict', opts('(a) verdict'), () => compared(compareVerdict));
          test('(b) endpoints', opts('(b) endpoints'), () => compared(compareEndpoints));
          test('(c) masquerade', opts('(c) masquerade'), () => compared(compareMasquerade));
          test('(d) per-rule path', opts('(d) per-rule path'), () => compared(comparePath));
          // The walk's outcomes are shares of all first packets: they add up to 1.
          test('outcome probabilities sum to 1', () => {
            for (const w of [walked(), ...[returningWalks.get(p.name)].filter((x) => x !== undefined)]) {
              const total = w.outcomes.reduce((sum, o) => sum + o.probability, 0);
              assert.ok(Math.abs(total - 1) <= 1e-9, `the outcomes sum to ${total}:\n${w.outcomes.map((o) => `  ${o.probability} ${o.verdict} ${o.dnat?.ip ?? '-'}`).join('\n')}`);
            }
          });
        });
      }
    });
  }
}
