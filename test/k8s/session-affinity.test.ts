/**
 * Issue 17's session affinity against the real kube-proxy, through the built CLI over SSH: a
 * healthy Service with sessionAffinity ClientIP gives a determinate verdict and exit 0 in both
 * modes, for a new client (the question's default: both pods, half each, the assumption listed)
 * and for a returning one (--returning-client: still both pods, the endpoint it had unknown).
 * Then the lab's client really connects, sticks to one pod, and in nftables mode the dump shows it
 * in that pod's affinity set: np-doctor says so and sends it only there; iptables-save cannot show
 * xt_recent lists, so iptables mode still answers for a new client. Both pinned releases: v1.34's
 * nft endpoint chains jump to mark-for-masquerade before the affinity update, v1.37's do not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Report } from '../../src/report/model.js';
import { realClusterSuites } from '../support/k8s-lab/suite.js';
import { diagnose, findingsText, type Diagnosis } from './lib/np-doctor.js';
import { waitServing } from './lib/sync.js';
import { deployWeb, type Web } from './lib/web.js';

const NEW_CLIENT = /^a new client: kube-proxy's session-affinity (lists \(-m recent\)|sets \(@affinity-…\)) hold only clients that connected before/;
const RETURNING = /^a returning client: kube-proxy's session-affinity (lists|sets) .*send it back to the endpoint it had/;

/** Exit 0, no finding, every node delivered: a determinate, healthy verdict. */
function healthy(d: Diagnosis): Report {
  assert.equal(d.code, 0, `exit code: ${d.stderr}\n${findingsText(d.report)}`);
  assert.deepEqual(d.report.findings, []);
  assert.ok(d.report.verdict.nodes.length > 0 && d.report.verdict.nodes.every((n) => n.result === 'delivered' && n.deliveredShare === 1), JSON.stringify(d.report.verdict));
  return d.report;
}

/** Per node: pod → its share of the branches (rounded to 1e-6). */
function shares(r: Report, node: string): Record<string, number> {
  const p = r.paths.find((x) => x.node === node);
  assert.ok(p !== undefined, `no path for ${node}`);
  const out: Record<string, number> = {};
  for (const b of p.branches) {
    assert.equal(b.result, 'delivered', b.why);
    const pod = b.backend?.pod ?? '?';
    out[pod] = Math.round(((out[pod] ?? 0) + b.probability) * 1e6) / 1e6;
  }
  return out;
}

const assumptionsOf = (r: Report, node: string): string[] => r.paths.find((x) => x.node === node)?.assumptions ?? [];

realClusterSuites('sessionAffinity ClientIP (issue 17)', (cluster, on) => {
  describe('a healthy ClientIP Service, pods on both nodes', { concurrency: 1 }, () => {
    let web: Web;
    const both = () => Object.fromEntries(web.pods.map((p) => [`${p.namespace}/${p.name}`, 0.5]));

    test('kube-proxy wrote its affinity rules; a new client: exit 0, half to each pod on every node, the assumption listed', async () => {
      const c = cluster();
      web = await deployWeb(c, { namespace: 'sticky', sessionAffinity: 'ClientIP', pods: [{ node: 0 }, { node: 1 }] });
      await waitServing(c, web);
      // Without this the test would pass on a Service kube-proxy never made sticky.
      await c.waitForSync('write the affinity rules', (rules) => (on.mode === 'nftables' ? /ip saddr @affinity-\S+ goto endpoint-/ : / --rcheck --seconds 10800 --reap --name KUBE-SEP-/).test(rules));
      const r = healthy(await diagnose(c, web.namespace, web.name));
      for (const n of c.nodes) {
        assert.deepEqual(shares(r, n.name), both(), n.name);
        assert.ok(assumptionsOf(r, n.name).some((a) => NEW_CLIENT.test(a)), assumptionsOf(r, n.name).join('\n'));
      }
    });

    test('--returning-client: still exit 0, every pod possible on every node', async () => {
      const c = cluster();
      const r = healthy(await diagnose(c, web.namespace, web.name, ['--returning-client']));
      for (const n of c.nodes) {
        assert.deepEqual(shares(r, n.name), both(), n.name);
        assert.ok(assumptionsOf(r, n.name).some((a) => RETURNING.test(a)), assumptionsOf(r, n.name).join('\n'));
      }
    });

    test('the client connects and sticks to one pod; what the dump can show of that, np-doctor says', async () => {
      const c = cluster();
      const a = c.nodes[0]!;
      const tries = await c.connect(a.ip, web.nodePort, { tries: 4 });
      assert.ok(tries.every((t) => t.result === 'delivered'), JSON.stringify(tries));
      const pods = new Set(tries.map((t) => t.pod));
      assert.equal(pods.size, 1, `the kernel kept the client on one pod: ${JSON.stringify(tries)}`);
      const stuck = web.pods.find((p) => pods.has(p.name))!;
      const r = healthy(await diagnose(c, web.namespace, web.name, ['--from', c.client.ip]));
      if (on.mode === 'nftables') {
        // nft prints a dynamic set's elements: the dump proves a returning client.
        assert.deepEqual(shares(r, a.name), { [`${stuck.namespace}/${stuck.name}`]: 1 });
        assert.ok(assumptionsOf(r, a.name).some((x) => x.startsWith(`the dump shows ${c.client.ip} in @affinity-`) && x.includes(stuck.ip)), assumptionsOf(r, a.name).join('\n'));
      } else {
        // xt_recent lists live in /proc/net/xt_recent, not in iptables-save: the question stays a new client's.
        assert.deepEqual(shares(r, a.name), both());
      }
      // The other node never saw the client: a new client there, in both modes.
      assert.deepEqual(shares(r, c.nodes[1]!.name), both());
    });
  });
});
