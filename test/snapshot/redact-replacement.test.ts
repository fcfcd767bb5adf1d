/**
 * `--redact` on a Cilium kube-proxy-replacement snapshot: the agents' service tables hold Service
 * names and node names; they are renamed in the JSON's values (never its keys: a Service called
 * "frontend" must leave `frontend-address` alone), and the redacted snapshot diagnoses to the
 * same findings as the original.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { parseSnapshot, serializeSnapshot } from '../../src/snapshot/file.js';
import { redactSnapshot } from '../../src/snapshot/redact.js';
import { baseCluster, buildScenarioSnapshot, ciliumCluster } from '../support/scenario-kit/index.js';

test('the agents\' tables are redacted value by value, and the findings survive', async () => {
  // The nodePort missing from the tables: the finding that reads them must survive redaction.
  const spec = ciliumCluster(baseCluster(), { missingNodePort: ['shop/frontend'] });
  const original = buildScenarioSnapshot(spec);
  const redacted = redactSnapshot(original);
  const text = (redacted.cluster.proxyReplacement?.agentOutputs ?? []).map((o) => o.stdout).join('\n');
  assert.ok(text.length > 0, 'the tables are kept');
  assert.doesNotMatch(text, /"(shop|frontend)"/, 'no Service or namespace name is left in a value');
  assert.match(text, /"frontend-address"/, 'the keys are the agent\'s words, left as they are');
  const target = { namespace: redacted.target.namespace!, service: redacted.target.service! };
  const ids = async (s: typeof original, t: { namespace: string; service: string }) =>
    (await diagnose(s, t, { checks: CHECKS })).findings.map((f) => `${f.severity} ${f.id} ${f.node ?? ''}`);
  const want = await ids(original, { namespace: 'shop', service: 'frontend' });
  assert.ok(want.some((f) => f.startsWith('error cilium-service-table')), want.join('; '));
  assert.deepEqual(await ids(parseSnapshot(serializeSnapshot(redacted, false), 'redacted.json'), target), want);
  assert.deepEqual(redacted.cluster.proxyReplacement?.ciliumConfig?.data, { 'kube-proxy-replacement': 'true' });
});
