/**
 * --returning-client on every command that replays a connection, against the corpus's healthy
 * ClientIP Services (iptables and nftables mode): diagnose and scan stay determinate and exit 0
 * either way, the paths list both pods and say which client they replayed; trace carries the flag
 * in its JSON packet and leaves no undecided fork.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WalkResult } from '../../src/engine/packet/contract.js';
import type { Report } from '../../src/report/model.js';
import { runMain } from '../support/run-main.js';

const SNAPSHOTS = {
  iptables: 'test/scenarios/healthy-session-affinity/snapshot.json',
  nftables: 'test/scenarios/healthy-session-affinity-nftables/snapshot.json',
} as const;

const NEW = /^a new client: kube-proxy's session-affinity (lists|sets) /;
const BACK = /^a returning client: kube-proxy's session-affinity (lists|sets) /;

for (const [mode, file] of Object.entries(SNAPSHOTS)) {
  describe(`--returning-client, ${mode} mode`, () => {
    for (const returning of [false, true]) {
      test(`diagnose ${returning ? 'a returning' : 'a new'} client: exit 0, every node half to each pod, the assumption listed`, async () => {
        const { code, out, err } = await runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', file, '-o', 'json', ...(returning ? ['--returning-client'] : [])]);
        assert.equal(code, 0, err);
        const r = JSON.parse(out) as Report;
        assert.ok(r.verdict.nodes.length === 3 && r.verdict.nodes.every((n) => n.result === 'delivered'), r.verdict.summary);
        for (const p of r.paths) {
          const pods = new Map<string, number>();
          for (const b of p.branches) pods.set(b.backend?.pod ?? '?', (pods.get(b.backend?.pod ?? '?') ?? 0) + b.probability);
          assert.deepEqual([...pods.values()].map((x) => Math.round(x * 1e6) / 1e6), [0.5, 0.5], `${p.node}: ${JSON.stringify([...pods])}`);
          assert.ok(p.assumptions.some((a) => (returning ? BACK : NEW).test(a)), p.assumptions.join('\n'));
          assert.ok(!p.assumptions.some((a) => (returning ? NEW : BACK).test(a)), p.assumptions.join('\n'));
        }
      });
    }

    test('scan --returning-client: the Service healthy, exit 0', async () => {
      const { code, out, err } = await runMain(['scan', '-n', 'shop', '--snapshot', file, '--returning-client', '-o', 'json']);
      assert.equal(code, 0, err);
      const doc = JSON.parse(out) as { reports: Report[] };
      const frontend = doc.reports.find((r) => r.target.service === 'frontend');
      assert.ok(frontend?.paths.every((p) => p.assumptions.some((a) => BACK.test(a))), JSON.stringify(frontend?.paths.map((p) => p.assumptions)));
    });

    test('trace --returning-client: the packet says so, the endpoints come from the affinity rules, nothing undecided', async () => {
      const args = ['trace', '--snapshot', file, '--node', 'node-1', '--to', '192.168.1.101:30080', '-o', 'json'];
      const first = JSON.parse((await runMain(args)).out) as WalkResult;
      const back = JSON.parse((await runMain([...args, '--returning-client'])).out) as WalkResult;
      assert.equal(first.packet.returningClient, undefined);
      assert.equal(back.packet.returningClient, true);
      for (const [w, affinityHop] of [[first, false], [back, true]] as const) {
        assert.deepEqual(w.outcomes.map((o) => [o.probability, o.indeterminate]), [[0.5, null], [0.5, null]]);
        const viaAffinity = w.outcomes.map((o) => o.hops.some((h) => / --rcheck |^ip saddr @affinity-/.test(h.rule ?? '')));
        assert.deepEqual(viaAffinity, [affinityHop, affinityHop], JSON.stringify(w.outcomes.map((o) => o.hops.map((h) => h.rule))));
      }
    });
  });
}
