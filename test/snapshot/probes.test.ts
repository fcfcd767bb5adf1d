/**
 * Probes in a snapshot: a file's probes are untrusted like the rest (names follow Kubernetes' rules,
 * addresses are addresses, or the file is refused with the field's path); a snapshot without probes
 * still loads. --redact: a probe's node and pod names and its public addresses get the pseudonyms
 * the rest of the snapshot gave them, "here" stays "here", and the redacted snapshot is still valid.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Probe } from '../../src/snapshot/probe.js';
import { redactSnapshot } from '../../src/snapshot/redact.js';
import { SnapshotSchema, type Snapshot } from '../../src/snapshot/schema.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const at = '2026-12-07T10:00:00.000Z';

function withProbes(): Snapshot {
  const s = buildSnapshot();
  const probes: Probe[] = [
    // The client dials the node's public address from a public address of its own.
    { kind: 'client-to-node', from: 'here', fromAddress: '203.0.113.77', node: 'node-a', ip: '198.51.100.20', port: 30080, protocol: 'TCP', result: 'timed-out', ms: 3000, at },
    { kind: 'node-to-self', from: 'node-a', node: 'node-a', ip: '198.51.100.20', port: 30080, protocol: 'TCP', result: 'connected', ms: 4, at },
    { kind: 'node-to-pod', from: 'node-a', node: 'node-a', pod: { namespace: 'shop', name: 'frontend-7d9f-abcde' }, ip: '10.244.1.5', port: 8080, protocol: 'TCP', result: 'error', ms: 9, at,
      detail: 'exit 1: np-doctor-probe: connect to node-a (198.51.100.20) for frontend-7d9f-abcde failed' },
  ];
  return { ...s, probes };
}

test('probes get the same pseudonyms as the objects; nothing original survives in them', () => {
  const r = redactSnapshot(withProbes());
  assert.equal(SnapshotSchema.safeParse(r).success, true);
  const node = r.nodes[0]!.name;
  const pod = r.cluster.pods[0]!.metadata;
  const external = (r.cluster.nodes[0]!.status as { addresses: { type: string; address: string }[] }).addresses.find((a) => a.type === 'ExternalIP')!.address;
  const [client, self, toPod] = r.probes!;
  assert.equal(client!.from, 'here');
  assert.equal(client!.node, node);
  assert.equal(client!.ip, external, 'the public node address as the Node object shows it');
  assert.match(client!.fromAddress ?? '', /^24\d\.\d+\.113\.77$/, 'a public source: prefix-preserving pseudonym');
  assert.deepEqual([self!.from, self!.node, self!.ip], [node, node, external]);
  assert.deepEqual(toPod!.pod, { namespace: pod.namespace, name: pod.name });
  assert.equal(toPod!.ip, '10.244.1.5', 'pod addresses are private: kept, as everywhere');
  assert.equal(toPod!.detail, `exit 1: np-doctor-probe: connect to ${node} (${external}) for ${pod.name} failed`);
  const text = JSON.stringify(r.probes);
  for (const original of ['node-a', 'frontend-7d9f', 'shop', '198.51.100.20', '203.0.113.77']) assert.ok(!text.includes(original), `${original} survived`);
});

test('a snapshot without probes stays without them', () => {
  assert.equal('probes' in redactSnapshot(buildSnapshot()), false);
});

test('a file whose probe names a node or pod against the rules, or dials a non-address, is refused with the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npd-probes-'));
  const good = withProbes();
  const file = join(dir, 'ok.json');
  writeFileSync(file, JSON.stringify(good));
  assert.deepEqual((await loadSnapshot(file)).probes, good.probes);
  for (const [patch, path] of [
    [{ from: 'node-a\u001b[2J' }, /probes\[1\]\.from/],
    [{ ip: '$(reboot)' }, /probes\.1\.ip/],
    [{ pod: { namespace: 'Shop', name: 'x' } }, /probes\[1\]\.pod\.namespace/],
  ] as const) {
    const bad = withProbes();
    bad.probes![1] = { ...bad.probes![1]!, ...patch };
    writeFileSync(file, JSON.stringify(bad));
    await assert.rejects(loadSnapshot(file), path);
  }
  assert.equal((await loadSnapshot('examples/demo.json')).probes, undefined, 'a snapshot from before --probe loads, with no probes');
});
