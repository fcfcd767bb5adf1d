/** -o junit: a JUnit XML document a real XML parser reads back: suites, cases, failures, skips. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SEVERITIES } from '../../src/check-kit/model.js';
import { renderReportAs, renderScanAs } from '../../src/report/formats.js';
import type { Report } from '../../src/report/model.js';
import { sanitize } from '../../src/text/sanitize.js';
import { demoScan, EVIL, FORMAT_OPTIONS, hostile } from './demo-reports.js';

interface Case { '@_name': string; '@_classname': string; failure?: { '@_message': string; '@_type': string; '#text': string }; skipped?: { '@_message': string }; error?: unknown }
interface Suite { '@_name': string; '@_tests': string; '@_failures': string; '@_skipped': string; testcase: Case[] }
interface Doc { testsuites: { '@_tests': string; '@_failures': string; testsuite: Suite[] } }

function parse(xml: string): Doc {
  assert.equal(XMLValidator.validate(xml), true, 'well-formed XML');
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase', processEntities: true, htmlEntities: true, trimValues: false });
  return parser.parse(xml) as Doc;
}

const failingIds = (r: Report, limit: number) => [...new Set(r.findings.filter((f) => SEVERITIES.indexOf(f.severity) <= limit).map((f) => f.id))].sort();

test('a scan: one suite per Service, one case per check, a failure for each check with findings at or above --fail-on', async () => {
  const reports = await demoScan();
  for (const failOn of ['error', 'warning', 'info', 'none'] as const) {
    const doc = parse(renderScanAs('junit', reports, { ...FORMAT_OPTIONS, failOn }));
    const limit = failOn === 'none' ? -1 : SEVERITIES.indexOf(failOn);
    assert.deepEqual(doc.testsuites.testsuite.map((s) => s['@_name']), reports.map((r) => `${r.target.namespace}/${r.target.service}`));
    let failures = 0;
    for (const [i, s] of doc.testsuites.testsuite.entries()) {
      const r = reports[i]!;
      assert.deepEqual(s.testcase.map((c) => c['@_name']), r.checks.map((c) => c.id));
      const failed = s.testcase.filter((c) => c.failure !== undefined);
      assert.deepEqual(failed.map((c) => c['@_name']).sort(), failingIds(r, limit), `${s['@_name']} --fail-on ${failOn}`);
      assert.equal(Number(s['@_failures']), failed.length);
      assert.equal(Number(s['@_tests']), r.checks.length);
      for (const c of failed) {
        const worst = r.findings.find((f) => f.id === c['@_name'])!;
        assert.equal(c.failure!['@_type'], worst.severity);
        assert.equal(c.failure!['@_message'], worst.message);
        // The body holds the evidence and the fix commands.
        for (const cmd of worst.remediation.commands) assert.ok(c.failure!['#text'].includes(`$ ${cmd}`), cmd);
        assert.match(c.failure!['#text'], /evidence:\n {2}\S/);
      }
      failures += failed.length;
    }
    assert.equal(Number(doc.testsuites['@_failures']), failures);
    if (failOn === 'none') assert.equal(failures, 0);
    if (failOn === 'info') assert.ok(failures >= 3, 'the demo fails some checks');
  }
});

test('a skipped check is <skipped> with its reason; hostile strings survive as their sanitised selves', async () => {
  const [r] = await demoScan();
  const h = hostile(r!);
  const xml = renderReportAs('junit', h, FORMAT_OPTIONS);
  // XML 1.0 forbids these outright: not one may reach the document.
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udfff]/);
  const [suite] = parse(xml).testsuites.testsuite;
  const shown = sanitize(EVIL, true).replace(/[\ud800-\udfff]/g, '');
  assert.equal(suite!['@_name'], `ns${shown}/svc${shown}`);
  assert.equal(suite!['@_skipped'], '1');
  assert.equal(suite!.testcase[0]!.skipped!['@_message'], shown);
  const failed = suite!.testcase.find((c) => c.failure !== undefined)!;
  assert.equal(failed.failure!['@_message'], `${shown}\n- a list item`);
  assert.ok(failed.failure!['#text'].includes(`$ echo '${shown}'`));
});
