/** The text report's header: what the reader must know before trusting the rest. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { renderReport } from '../../src/report/text.js';
import { diagnose } from '../../src/diagnose.js';
import type { Snapshot } from '../../src/snapshot/schema.js';

const demo = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;

test('a snapshot gathered without TLS verification says so in the report, text and JSON', async () => {
  const plain = await diagnose(demo, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.equal(plain.snapshot.insecureSkipTlsVerify, undefined);
  assert.doesNotMatch(renderReport(plain, { color: false }), /insecure-skip-tls-verify/);

  const insecure = structuredClone(demo);
  insecure.source.insecureSkipTlsVerify = true;
  const r = await diagnose(insecure, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
  assert.equal(r.snapshot.insecureSkipTlsVerify, true);
  const text = renderReport(r, { color: false, width: 200 });
  // In the header, before the findings it casts doubt on.
  assert.match(text.slice(0, text.indexOf('\nFindings')), /skips TLS verification \(insecure-skip-tls-verify\)/);
});
