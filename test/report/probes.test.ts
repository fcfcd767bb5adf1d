/**
 * --probe in the Report: the probes of the question asked (the Service port's nodePort and
 * endpoints), in order, in JSON (valid against schema/report.v1.json) and in the text report's
 * "Probes" section (UDP saying why it was not run, the ones over the bound folded, the node's words
 * escaped). Without probes neither says anything.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { renderReport } from '../../src/report/text.js';
import { NOT_A_CONNECT, OVER_BOUND, type Probe } from '../../src/snapshot/probe.js';
import type { Snapshot } from '../../src/snapshot/schema.js';

const demo = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync('schema/report.v1.json', 'utf8')) as Record<string, unknown>);
const at = '2026-12-07T10:00:00.000Z';

const probes: Probe[] = [
  { kind: 'client-to-node', from: 'here', fromAddress: '192.168.1.254', node: 'node-1', ip: '192.168.1.101', port: 30080, protocol: 'TCP', result: 'timed-out', ms: 3001.4, at },
  { kind: 'node-to-self', from: 'node-1', node: 'node-1', ip: '192.168.1.101', port: 30080, protocol: 'TCP', result: 'connected', ms: 41.7, at },
  { kind: 'node-to-pod', from: 'node-1', node: 'node-2', pod: { namespace: 'shop', name: 'frontend-xgf88pr6rs-5hr8x' }, ip: '10.244.1.2', port: 8080, protocol: 'TCP', result: 'refused', ms: 12, at },
  { kind: 'node-to-pod', from: 'node-1', node: 'node-3', ip: '10.244.2.2', port: 8080, protocol: 'TCP', result: 'error', ms: 9, at, detail: 'timeout or bash is missing on the node: \x1b[2Jbash: not found' },
  // Another Service's probe in the same snapshot (the interactive session gathers a namespace).
  { kind: 'node-to-self', from: 'node-1', node: 'node-1', ip: '192.168.1.101', port: 30090, protocol: 'TCP', result: 'connected', ms: 3, at },
  { kind: 'node-to-pod', from: 'node-1', node: 'node-3', ip: '10.244.2.5', port: 8080, protocol: 'TCP', result: 'connected', ms: 3, at },
  ...Array.from({ length: 5 }, (): Probe => ({ kind: 'client-to-node', from: 'here', node: 'node-2', ip: '192.168.1.102', port: 30080, protocol: 'TCP', result: 'not-run', ms: null, at, detail: OVER_BOUND })),
];

test('the probes of the question, in JSON and in text', async () => {
  const report = await diagnose({ ...demo, probes }, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.equal(validate(report), true, JSON.stringify(validate.errors));
  assert.deepEqual(report.probes, [...probes.slice(0, 4), ...probes.slice(6)], 'not the other Service\'s nodePort, nor its pod');
  // Wide enough that no probe line wraps: the lines themselves are the subject here.
  const text = renderReport(report, { color: false, width: 200 }).split('\n');
  const from = text.findIndex((l) => l.startsWith('Probes'));
  assert.deepEqual(text.slice(from, from + 7), [
    'Probes (--probe: a TCP connect each, closed at once)',
    '  client-to-node here (192.168.1.254) → 192.168.1.101:30080/TCP  timed-out in 3001 ms',
    '  node-to-self   node-1 → 192.168.1.101:30080/TCP  connected in 42 ms',
    '  node-to-pod    node-1 → 10.244.1.2:8080/TCP (shop/frontend-xgf88pr6rs-5hr8x on node-2)  refused in 12 ms',
    '  node-to-pod    node-1 → 10.244.2.2:8080/TCP  error in 9 ms: timeout or bash is missing on the node: \\x1b[2Jbash: not found',
    `  … 5 more not run: ${OVER_BOUND}`,
    '',
  ]);
});

test('a UDP port: every probe listed as not run, saying why', async () => {
  const udp = probes.slice(0, 2).map((p): Probe => ({ ...p, protocol: 'UDP', port: 30053, result: 'not-run', ms: null, detail: NOT_A_CONNECT }));
  const snapshot = structuredClone(demo);
  const svc = snapshot.cluster.services.find((s) => s.metadata.name === 'frontend')!;
  (svc.spec as { ports: { protocol: string; nodePort: number }[] }).ports[0] = { ...(svc.spec as { ports: { protocol: string; nodePort: number }[] }).ports[0]!, protocol: 'UDP', nodePort: 30053 };
  const report = await diagnose({ ...snapshot, probes: udp }, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.equal(report.probes?.length, 2);
  assert.match(renderReport(report, { color: false, width: 200 }), /client-to-node here \(192\.168\.1\.254\) → 192\.168\.1\.101:30053\/UDP {2}not run: UDP cannot be proven by a connect/);
});

test('without --probe the Report has no probes and the text no Probes section', async () => {
  const report = await diagnose(demo, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.equal('probes' in report, false);
  assert.doesNotMatch(renderReport(report, { color: false }), /^Probes/m);
  const none = await diagnose({ ...demo, probes: [] }, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.match(renderReport(none, { color: false }), /^Probes .*\n {2}none planned/m, '--probe with nothing to probe says so');
});
