/**
 * The exit code of diagnose and scan from what the checks did: a skip because the Service or its
 * nodePort does not exist is an answer, a skip because data is missing is a gap (exit 3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { exitCodeFor } from '../../src/cli/diagnose-common.js';
import { runDiagnosis, type Diagnosis } from '../../src/diagnose.js';
import { EXIT } from '../../src/exit.js';
import type { UnmetKind } from '../../src/run/requirements.js';
import type { CheckResult } from '../../src/run/runner.js';
import { loadSnapshot } from '../../src/snapshot/file.js';

const healthy = await runDiagnosis(await loadSnapshot('test/scenarios/healthy-etp-cluster/snapshot.json'), { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
const broken = await runDiagnosis(await loadSnapshot('examples/demo.json'), { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });

const plus = (d: Diagnosis, extra: CheckResult): Diagnosis => ({ ...d, checks: [...d.checks, extra] });
const skippedFor = (...unmet: UnmetKind[]): CheckResult => ({ id: 'probe', status: 'skipped', reason: 'words nobody parses', unmet, durationMs: 0 });

test('a healthy Service whose every check ran: 0; findings at or above --fail-on: 1', () => {
  assert.ok(healthy.checks.every((c) => c.status === 'passed'), 'the healthy scenario runs every check');
  assert.equal(exitCodeFor([healthy], 'error'), EXIT.ok);
  assert.equal(exitCodeFor([broken], 'error'), EXIT.findings);
  assert.equal(exitCodeFor([healthy, broken], 'error'), EXIT.findings, 'scan: any Service');
});

test('skips: a target that does not exist answers, missing data leaves the question open', () => {
  const cases: [UnmetKind[], number][] = [
    [['service-not-found'], EXIT.ok],
    [['no-ports'], EXIT.ok],
    [['no-node-port'], EXIT.ok],
    [['not-gathered'], EXIT.cannotDecide],
    [['not-replayed'], EXIT.cannotDecide],
    [['not-gathered', 'no-node-port'], EXIT.ok],
  ];
  for (const [unmet, code] of cases) assert.equal(exitCodeFor([plus(healthy, skippedFor(...unmet))], 'error'), code, unmet.join(', '));
});

test('a check that crashed or ran out of time leaves the question open', () => {
  for (const status of ['error', 'timeout'] as const) {
    assert.equal(exitCodeFor([plus(healthy, { id: 'probe', status, reason: 'crashed', durationMs: 1 })], 'error'), EXIT.cannotDecide, status);
  }
});

test('--fail-on none never fails on what the Reports say: findings and undecided nodes alike', () => {
  assert.ok(broken.report.verdict.nodes.some((n) => n.result !== 'delivered'));
  assert.equal(exitCodeFor([broken], 'error'), EXIT.findings);
  assert.equal(exitCodeFor([broken], 'none'), EXIT.ok);
  assert.equal(exitCodeFor([plus(healthy, skippedFor('not-gathered'))], 'none'), EXIT.ok);
});
