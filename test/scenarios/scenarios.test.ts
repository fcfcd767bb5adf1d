/**
 * The scenario corpus: each broken cluster gives exactly its expected top finding and set of
 * warning/error findings; each healthy one gives none. The report of every scenario validates
 * against the published schema, and its text starts with the headline and the verdict.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CHECKS } from '../../checks/index.js';
import { headline } from '../../src/report/headline.js';
import { renderReport } from '../../src/report/text.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { loadScenarios } from './load.js';
import { DEFAULT_TARGET } from './scenario.js';

const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync('schema/report.v1.json', 'utf8')) as Record<string, unknown>);
const scenarios = await loadScenarios();

describe('scenario corpus', () => {
  for (const s of scenarios) {
    const { expect: want } = s.scenario;
    test(`${s.name}: ${s.scenario.about}`, async () => {
      assert.ok(existsSync(s.snapshotFile), `${s.snapshotFile} is missing: run npm run scenarios ${s.name}`);
      const snapshot = await loadSnapshot(s.snapshotFile);
      const target = s.scenario.target ?? DEFAULT_TARGET;
      const report = await diagnose(snapshot, { ...target, ...s.scenario.ask }, { checks: CHECKS, snapshotFile: s.snapshotFile });
      const serious = report.findings.filter((f) => f.severity !== 'info');
      const got = { top: serious[0]?.id ?? null, findings: [...new Set(serious.map((f) => f.id))].sort() };
      const crashed = report.checks.filter((c) => c.status === 'error' || c.status === 'timeout');
      assert.deepEqual(crashed, [], 'no check crashed or timed out');
      assert.deepEqual(got, { top: want.top, findings: [...want.findings].sort() },
        `findings:\n${serious.map((f) => `  ${f.severity} ${f.id}${f.node ? ` (${f.node})` : ''}: ${f.message}`).join('\n') || '  none'}\nverdict: ${report.verdict.summary}`);
      if (want.info !== undefined) {
        assert.deepEqual([...new Set(report.findings.filter((f) => f.severity === 'info').map((f) => f.id))].sort(), [...want.info].sort(), 'the info findings');
      }
      assert.equal(validate(report), true, JSON.stringify(validate.errors));
      // Wide enough for the headline on one line; the verdict after it may still wrap.
      const text = renderReport(report, { color: false, width: 200 });
      assert.equal(text.split('\n')[0], headline(report), 'the text starts with the headline');
      assert.ok(text.replace(/\s+/g, ' ').startsWith(`${headline(report)} ${report.verdict.summary.replace(/\s+/g, ' ')} `), 'then the verdict');
      if (want.top === null) {
        assert.deepEqual(report.checks.filter((c) => c.status === 'skipped'), [], 'a healthy scenario runs every check');
        assert.ok(report.verdict.nodes.every((n) => n.result === 'delivered'), `healthy, yet: ${report.verdict.summary}`);
      }
    });
  }
});
