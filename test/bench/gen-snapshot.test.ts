/**
 * bench/gen-snapshot.ts: the scale snapshots are internally consistent, so the diagnosis of the
 * Services it picks says what the generator says it should (a healthy Cluster NodePort answers, an
 * eTP=Local NodePort drops on a node without its endpoints), and the stored `nft -j list ruleset`
 * holds the same rules as the node's `iptables-nft-save`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { generateScaleSnapshot, materialize } from '../../bench/gen-snapshot.js';
import { runDiagnosis } from '../../src/diagnose.js';
import { parseNftJson } from '../../src/engine/nft/parse.js';
import { healthOf } from '../../src/report/health.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { SnapshotSchema, type Snapshot } from '../../src/snapshot/schema.js';
import { writeSnapshotStream } from '../../src/snapshot/stream-write.js';

const generated = generateScaleSnapshot({ nodes: 2, services: 50, endpointsPerService: 3 });
const snapshot = materialize(generated);

describe('gen-snapshot: 2 nodes × 50 Services', () => {
  test('is a valid snapshot v1 with both nodes, and the Services the dumps serve', () => {
    SnapshotSchema.parse(snapshot);
    assert.deepEqual(snapshot.nodes.map((n) => n.name), ['node-0', 'node-1']);
    const dump = snapshot.nodes[0]?.commands['iptables-nft-save']?.stdout ?? '';
    for (const svc of snapshot.cluster.services) {
      const nodePort = (svc.spec as { ports: { nodePort: number }[] }).ports[0]?.nodePort;
      assert.match(dump, new RegExp(`--dport ${nodePort} `), `${svc.metadata.namespace}/${svc.metadata.name}'s nodePort ${nodePort} is in node-0's dump`);
    }
  });

  test('picks a healthy case and an eTP=Local case', () => {
    assert.deepEqual(generated.cases.map((c) => c.expect.health), ['ok', 'error']);
  });

  const expectCases = async (s: Snapshot): Promise<void> => {
    for (const c of generated.cases) {
      const { report } = await runDiagnosis(s, { namespace: c.namespace, service: c.service, node: c.node }, { checks: CHECKS });
      assert.equal(healthOf(report), c.expect.health, c.what);
      const errors = report.findings.filter((f) => f.severity === 'error').map((f) => f.id);
      assert.deepEqual(errors, c.expect.health === 'ok' ? [] : [c.expect.check], c.what);
      assert.deepEqual(report.verdict.nodes.map((n) => n.node), [c.node], c.what);
    }
  };

  test('diagnose says what each case expects', async () => {
    await expectCases(snapshot);
  });

  test('written as a stream (v2, nodes one at a time) and loaded, it diagnoses the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gen-snapshot-'));
    try {
      const file = join(dir, 'scale.jsonl.gz');
      await writeSnapshotStream(file, { head: generated.head, nodes: generated.nodes() });
      await expectCases(await loadSnapshot(file));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('each node has its own address, and its nft ruleset holds its iptables-nft rules', () => {
    for (const node of snapshot.nodes) {
      const save = node.commands['iptables-nft-save']?.stdout ?? '';
      const rules = save.split('\n').filter((l) => l.startsWith('-A ')).length;
      const nft = parseNftJson(node.commands['nft-ruleset']?.stdout ?? '', { source: node.name });
      const nftRules = nft.tables.reduce((sum, t) => sum + [...t.chains.values()].reduce((s, c) => s + c.rules.length, 0), 0);
      assert.equal(nftRules, rules, node.name);
      assert.match(node.commands['ip-addr']?.stdout ?? '', new RegExp(`"local":"${node.address?.replaceAll('.', '\\.')}"`));
    }
    assert.notEqual(snapshot.nodes[0]?.commands['iptables-nft-save']?.stdout, snapshot.nodes[1]?.commands['iptables-nft-save']?.stdout);
  });

  test('is deterministic', () => {
    assert.deepEqual(materialize(generateScaleSnapshot({ nodes: 2, services: 50, endpointsPerService: 3 })), snapshot);
  });
});
