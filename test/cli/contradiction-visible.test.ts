/**
 * A replay the wire contradicts is never hidden: the finding survives sorting beside other errors,
 * the text and JSON reports list it, and no --fail-on level turns the run into a clean bill
 * (--fail-on none never fails, by contract: a gate that only reports).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { exitCodeFor } from '../../src/cli/diagnose-common.js';
import { runDiagnosis } from '../../src/diagnose.js';
import { EXIT } from '../../src/exit.js';
import { renderReport } from '../../src/report/text.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { buildScenarioSnapshot } from '../support/scenario-kit/index.js';
import { probesFor } from '../support/scenario-kit/probes.js';
import { baseCluster } from '../support/scenario-kit/spec.js';

const ask = { namespace: 'shop', service: 'frontend' };
const ID = 'replay-contradicts-wire';

test('every --fail-on level: 1 at or above it; none: 0, whatever was found', async () => {
  const d = await runDiagnosis(await loadSnapshot('test/scenarios/probe-contradicts-replay/snapshot.json'), ask, { checks: CHECKS });
  assert.deepEqual(d.report.findings.map((f) => f.id), [ID]);
  assert.ok(d.report.verdict.nodes.every((n) => n.result === 'delivered'), 'the replay alone would be a clean bill');
  for (const failOn of ['error', 'warning', 'info'] as const) assert.equal(exitCodeFor([d], failOn), EXIT.findings, failOn);
  assert.equal(exitCodeFor([d], 'none'), EXIT.ok);
});

test('beside another error it is still listed, in the text and in JSON', async () => {
  // No endpoints (kube-proxy rejects), yet every probe from here connects.
  const spec = baseCluster();
  spec.services = spec.services.map((s) => (s.name === 'frontend' ? { ...s, selector: { app: 'fronted' } } : s));
  spec.probes = probesFor(spec);
  const d = await runDiagnosis(buildScenarioSnapshot(spec), ask, { checks: CHECKS });
  const ids = d.report.findings.filter((f) => f.severity === 'error').map((f) => f.id);
  assert.ok(ids.length > 1 && ids.includes(ID), `errors: ${ids.join(', ')}`);
  const text = renderReport(d.report, { color: false });
  const finding = d.report.findings.find((f) => f.id === ID);
  assert.ok(finding !== undefined);
  assert.ok(text.includes(`  ERROR ${finding.title}`) && text.includes(ID), 'the text report shows it');
  const json = JSON.parse(JSON.stringify(d.report)) as { findings: { id: string }[] };
  assert.ok(json.findings.some((f) => f.id === ID), 'the JSON report keeps it');
});
