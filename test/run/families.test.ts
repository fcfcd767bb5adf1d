/**
 * Merging a dual-stack Service's two runs (run/families.ts): findings alike in both families
 * once, the others tagged with their family; each check's results as one, the least decided first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../src/check-kit/model.js';
import { mergeFamilyRuns } from '../../src/run/families.js';
import type { CheckResult, RunResult } from '../../src/run/runner.js';

const finding = (id: string, message: string, severity: Finding['severity'] = 'error'): Finding => ({
  id, severity, title: id, message, stage: 'node', evidence: [], remediation: { summary: 'fix it', commands: [] },
});
const check = (id: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult => ({ id, status, durationMs: 1, ...extra });

test('one family: its run as it is', () => {
  const run: RunResult = { findings: [finding('a', 'x')], checks: [check('a', 'failed')] };
  assert.equal(mergeFamilyRuns([{ family: 6, run }]), run);
});

test('findings: alike once and untagged, different ones tagged, most severe first, primary family first', () => {
  const v4: RunResult = { findings: [finding('same', 'both'), finding('warn', 'IPv4 text', 'warning')], checks: [] };
  const v6: RunResult = { findings: [finding('same', 'both'), finding('warn', 'IPv6 text', 'warning'), finding('drop', 'IPv6 only')], checks: [] };
  const merged = mergeFamilyRuns([{ family: 4, run: v4 }, { family: 6, run: v6 }]);
  assert.deepEqual(merged.findings.map((f) => [f.id, f.message, f.family]), [
    ['drop', 'IPv6 only', 6],
    ['same', 'both', undefined],
    ['warn', 'IPv4 text', 4],
    ['warn', 'IPv6 text', 6],
  ]);
});

test('checks: one result each, the least decided, with each family\'s reason', () => {
  const v4: RunResult = { findings: [], checks: [check('a', 'passed'), check('b', 'failed'), check('c', 'skipped', { reason: 'no such Service', unmet: ['service-not-found'] }), check('d', 'passed')] };
  const v6: RunResult = {
    findings: [],
    checks: [check('a', 'skipped', { reason: 'node-3: not read', unmet: ['not-replayed'] }), check('b', 'passed'), check('c', 'skipped', { reason: 'no such Service', unmet: ['service-not-found'] }), check('d', 'error', { reason: 'crashed: x' })],
  };
  const merged = mergeFamilyRuns([{ family: 4, run: v4 }, { family: 6, run: v6 }]);
  assert.deepEqual(merged.checks, [
    { id: 'a', status: 'skipped', reason: 'IPv6: node-3: not read', unmet: ['not-replayed'], durationMs: 2 },
    { id: 'b', status: 'failed', durationMs: 2 },
    { id: 'c', status: 'skipped', reason: 'no such Service', unmet: ['service-not-found'], durationMs: 2 },
    { id: 'd', status: 'error', reason: 'IPv6: crashed: x', durationMs: 2 },
  ]);
});
