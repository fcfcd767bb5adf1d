import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CheckDefinitionError, defineCheck, sh, type CheckDefinition } from '../../src/check-kit/index.js';
import { loadPlugins, PluginError } from '../../src/run/plugins.js';
import { buildContext } from '../../src/run/question.js';
import { runChecks } from '../../src/run/runner.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const ASK = { namespace: 'shop', service: 'frontend' };
const fix = { summary: 'do it', commands: [sh`kubectl get svc`] };

function check(over: Partial<CheckDefinition> & { id: string }): CheckDefinition {
  return { title: over.id, description: 'a test check', severity: 'error', stage: 'service', requires: [], messages: { m: 'found {{what}}' }, run: () => [], ...over };
}

const ctxOf = (snap: Snapshot = buildSnapshot()) => buildContext(snap, ASK);

describe('check runner', () => {
  test('a crash, a malformed finding and a timeout are reported against their check; the others still run', async () => {
    const checks = [
      defineCheck(check({ id: 'a-crashes', run: () => { throw new Error('boom'); } })),
      defineCheck(check({ id: 'b-finds', run: () => [{ messageId: 'm', data: { what: 'it' }, evidence: [], remediation: fix }] })),
      defineCheck(check({ id: 'c-malformed', run: () => [{ messageId: 'nope', evidence: [], remediation: fix }] })),
      defineCheck(check({ id: 'd-hangs', timeoutMs: 50, run: () => new Promise(() => {}) })),
      defineCheck(check({ id: 'e-passes' })),
    ];
    const { findings, checks: results } = await runChecks(checks, ctxOf());
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    assert.equal(byId['a-crashes']?.status, 'error');
    assert.match(byId['a-crashes']?.reason ?? '', /^crashed: boom/);
    assert.equal(byId['b-finds']?.status, 'failed');
    assert.equal(byId['c-malformed']?.status, 'error');
    assert.match(byId['c-malformed']?.reason ?? '', /messageId "nope", which is not one of the check's messages \(m\)/);
    assert.equal(byId['d-hangs']?.status, 'timeout');
    assert.equal(byId['e-passes']?.status, 'passed');
    assert.deepEqual(findings.map((f) => [f.id, f.message]), [['b-finds', 'found it']]);
  });

  test('a check whose data is missing is skipped with the gather error as the reason', async () => {
    const snap = buildSnapshot();
    snap.errors.push({ stage: 'cluster', what: 'list networkpolicies.networking.k8s.io in namespace shop', why: 'forbidden: User "ci" cannot list', code: 403 });
    const ran: string[] = [];
    const { checks: results } = await runChecks([
      defineCheck(check({ id: 'needs-policies', requires: ['networkPolicies'], run: () => { ran.push('policies'); return []; } })),
      defineCheck(check({ id: 'needs-service', requires: ['service'], run: () => { ran.push('service'); return []; } })),
    ], ctxOf(snap));
    assert.deepEqual(ran, ['service']);
    assert.equal(results[0]?.status, 'skipped');
    assert.equal(results[0]?.reason, 'list networkpolicies.networking.k8s.io in namespace shop: forbidden: User "ci" cannot list');
  });

  test('a missing Service skips what needs it, naming the Service', async () => {
    const { checks: results } = await runChecks([defineCheck(check({ id: 'x', requires: ['service', 'paths'] }))], buildContext(buildSnapshot(), { namespace: 'shop', service: 'gone' }));
    assert.equal(results[0]?.status, 'skipped');
    assert.match(results[0]?.reason ?? '', /^Service shop\/gone was not found; /);
  });

  test('findings sort by severity, then stage (upstream causes first), then id', async () => {
    const emit = (severity: 'error' | 'warning' | 'info') => () => [{ messageId: 'm', severity, evidence: [], remediation: fix }];
    const { findings } = await runChecks([
      defineCheck(check({ id: 'policy-warn', stage: 'policy', run: emit('warning') })),
      defineCheck(check({ id: 'path-err', stage: 'path', run: emit('error') })),
      defineCheck(check({ id: 'service-err', stage: 'service', run: emit('error') })),
      defineCheck(check({ id: 'context-info', stage: 'context', run: emit('info') })),
    ], ctxOf());
    assert.deepEqual(findings.map((f) => f.id), ['service-err', 'path-err', 'policy-warn', 'context-info']);
  });

  test('defineCheck rejects bad metadata with the check named', () => {
    assert.throws(() => defineCheck(check({ id: 'Bad_Id' })), (e: unknown) => e instanceof CheckDefinitionError && /check "Bad_Id": id must be kebab-case/.test(e.message));
    assert.throws(() => defineCheck(check({ id: 'ok', requires: ['telepathy' as never] })), /requires may list only/);
    assert.throws(() => defineCheck(check({ id: 'ok', description: 'two\nlines' })), /description must be one line/);
  });
});

describe('--plugin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npd-plugin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const checkModule = pathToFileURL(join(process.cwd(), 'src/check-kit/define.ts')).href;

  test('loads a check module from a file, validated like a built-in one', async () => {
    const file = join(dir, 'team-check.mjs');
    writeFileSync(file, `import { defineCheck } from ${JSON.stringify(checkModule)};
export default defineCheck({ id: 'team-policy', title: 'Team rule', description: 'our rule', severity: 'warning', stage: 'context',
  requires: ['service'], messages: { m: 'service {{name}} breaks our rule' },
  run: (ctx) => [{ messageId: 'm', data: { name: ctx.service.name }, evidence: [], remediation: { summary: 'fix', commands: [] } }] });
`);
    const plugins = await loadPlugins([file], []);
    assert.deepEqual(plugins.map((p) => p.id), ['team-policy']);
    const { findings } = await runChecks(plugins, ctxOf());
    assert.deepEqual(findings.map((f) => [f.id, f.severity, f.message]), [['team-policy', 'warning', 'service frontend breaks our rule']]);
  });

  test('a plugin builds its commands with sh from the package root; a string command fails that check alone', async () => {
    const api = pathToFileURL(join(process.cwd(), 'src/api.ts')).href;
    const file = join(dir, 'commands.mjs');
    writeFileSync(file, `import { defineCheck, sh } from ${JSON.stringify(api)};
const base = { title: 't', description: 'd', severity: 'warning', stage: 'context', requires: ['service'], messages: { m: 'm' } };
export default [
  defineCheck({ ...base, id: 'quotes-names', run: (ctx) => [{ messageId: 'm', evidence: [], remediation: { summary: 'fix', commands: [sh\`kubectl -n \${ctx.service.namespace} get svc \${ctx.service.name + ';id'}\`] } }] }),
  defineCheck({ ...base, id: 'pastes-strings', run: (ctx) => [{ messageId: 'm', evidence: [], remediation: { summary: 'fix', commands: ['kubectl get svc ' + ctx.service.name] } }] }),
];
`);
    const { findings, checks } = await runChecks(await loadPlugins([file], []), ctxOf());
    assert.deepEqual(findings.map((f) => [f.id, f.remediation.commands.map((c) => c.pipeline)]), [['quotes-names', [[['kubectl', '-n', 'shop', 'get', 'svc', 'frontend;id']]]]]);
    const strings = checks.find((c) => c.id === 'pastes-strings');
    assert.equal(strings?.status, 'error');
    assert.match(strings?.reason ?? '', /remediation\.commands\[0\]: a command must be a word list made with sh`…`, not a string/);
  });

  test('a missing file, no default export, a bad definition and an id clash fail with the file named', async () => {
    const noDefault = join(dir, 'no-default.mjs');
    writeFileSync(noDefault, 'export const x = 1;\n');
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, "export default { id: 'x', title: 't', description: 'd', severity: 'fatal', stage: 'service', requires: [], messages: { m: 'm' }, run() { return []; } };\n");
    const clash = join(dir, 'clash.mjs');
    writeFileSync(clash, "export default { id: 'service-missing', title: 't', description: 'd', severity: 'error', stage: 'service', requires: [], messages: { m: 'm' }, run() { return []; } };\n");
    const builtIn = [defineCheck(check({ id: 'service-missing' }))];
    await assert.rejects(loadPlugins([join(dir, 'nowhere.mjs')], builtIn), (e: unknown) => e instanceof PluginError && /nowhere\.mjs: cannot load: file not found/.test(e.message));
    await assert.rejects(loadPlugins([noDefault], builtIn), /no-default\.mjs: no default export/);
    await assert.rejects(loadPlugins([bad], builtIn), /bad\.mjs: check "x": severity must be one of error, warning, info/);
    await assert.rejects(loadPlugins([clash], builtIn), /clash\.mjs: check id "service-missing" is already taken by a built-in check/);
  });
});
