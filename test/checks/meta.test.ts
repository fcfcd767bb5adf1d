/**
 * The catalogue keeps itself honest, as ESLint's rule meta-tests do: every file in checks/ is
 * registered under its own name, the registry is sorted, and every check has a docs page, at
 * least one scenario in which it is the top finding, and its own test file whose cases use every
 * one of its messages. Over the whole corpus, no check reads data it does not require.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CHECKS } from '../../checks/index.js';
import type { Check } from '../../src/check-kit/index.js';
import { availability } from '../../src/run/requirements.js';
import { loadScenarios } from '../scenarios/load.js';
import { caseContext, collectCases, guardedContext } from './tester.js';

const files = readdirSync('checks').filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort();

describe('the check catalogue', () => {
  test('every file in checks/ is registered, under the id that is its file name', async () => {
    assert.deepEqual(CHECKS.map((c) => c.id).sort(), files);
    for (const id of files) {
      const mod = (await import(pathToFileURL(join(process.cwd(), 'checks', `${id}.ts`)).href)) as { default: Check };
      assert.equal(mod.default.id, id, `checks/${id}.ts exports the check "${mod.default.id}"`);
      assert.equal(CHECKS.find((c) => c.id === id), mod.default, `checks/index.ts registers checks/${id}.ts's export`);
    }
  });

  test('the registry is sorted by id', () => {
    const ids = CHECKS.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort());
  });

  test('every check has a docs page docs/checks/<id>.md that starts with its id and says how to fix it', () => {
    for (const c of CHECKS) {
      const file = `docs/checks/${c.id}.md`;
      assert.ok(existsSync(file), `${file} is missing`);
      const text = readFileSync(file, 'utf8');
      assert.ok(text.startsWith(`# ${c.id}\n`), `${file} starts with "# ${c.id}"`);
      assert.match(text, /fix/i, `${file} says how to fix it`);
    }
    const pages = readdirSync('docs/checks').filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
    assert.deepEqual(pages, files, 'no docs page for a check that does not exist');
  });

  test('every check is the expected top finding of at least one scenario (an info check: expected in its info)', async () => {
    const scenarios = await loadScenarios();
    const tops = new Set(scenarios.map((s) => s.scenario.expect.top));
    // An info check is never a top finding (the corpus ranks warnings and errors): a scenario expects it in `info`.
    const infos = new Set(scenarios.flatMap((s) => s.scenario.expect.info ?? []));
    for (const c of CHECKS) {
      if (c.severity === 'info') assert.ok(infos.has(c.id), `no scenario in test/scenarios/ expects the info check ${c.id}`);
      else assert.ok(tops.has(c.id), `no scenario in test/scenarios/ expects ${c.id} as its top finding`);
    }
  });

  test('the corpus has at least 30 broken and 6 healthy scenarios', async () => {
    const scenarios = await loadScenarios();
    const healthy = scenarios.filter((s) => s.scenario.expect.top === null);
    assert.ok(scenarios.length - healthy.length >= 30, `${scenarios.length - healthy.length} broken scenarios`);
    assert.ok(healthy.length >= 6, `${healthy.length} healthy scenarios`);
  });

  test('every check has its own test file, test/checks/<id>.test.ts, with checkTester cases for it', async () => {
    const cases = await checkCases();
    for (const c of CHECKS) {
      const declared = cases.filter((x) => x.file === `${c.id}.test.ts`);
      assert.equal(declared.length, 1, `test/checks/${c.id}.test.ts calls checkTester once`);
      assert.equal(declared[0]?.check, c, `test/checks/${c.id}.test.ts tests checks/${c.id}.ts`);
    }
  });

  test('every message of every check is reported by some case of its test file', async () => {
    const cases = await checkCases();
    const unused = CHECKS.flatMap((c) => {
      const used = new Set(cases.filter((x) => x.check === c).flatMap((x) => x.cases.invalid.flatMap((i) => i.findings.map((f) => f.messageId))));
      return Object.keys(c.messages).filter((m) => !used.has(m)).map((m) => `${c.id}: ${m}`);
    });
    assert.deepEqual(unused, [], 'messages no test case expects');
  });

  test('no check reads data it does not require, in any scenario of the corpus', async () => {
    const reads = new Set<string>();
    for (const s of await loadScenarios()) {
      const { analysis, ctx } = await caseContext({ scenario: s.name });
      const have = availability(analysis);
      for (const c of CHECKS) {
        if (c.requires.some((r) => have[r] !== null)) continue;
        await c.run(guardedContext(ctx, c.requires, (member) => reads.add(`${c.id} reads ctx.${member} without requiring it (${s.name})`)));
      }
    }
    assert.deepEqual([...reads], []);
  });
});

/** The checkTester calls of every test file in test/checks/, collected instead of run. */
let declared: Promise<{ file: string; check: Check; cases: ReturnType<typeof collectCases>[number]['cases'] }[]> | undefined;
function checkCases() {
  declared ??= (async () => {
    const collected = collectCases();
    const out = [];
    for (const file of readdirSync('test/checks').filter((f) => f.endsWith('.test.ts') && f !== 'meta.test.ts').sort()) {
      const before = collected.length;
      // A query makes a fresh module even when this process already ran the file's tests (test:fast runs every file in one process).
      await import(`${pathToFileURL(join(process.cwd(), 'test/checks', file)).href}?collect`);
      out.push(...collected.slice(before).map((c) => ({ file, ...c })));
    }
    return out;
  })();
  return declared;
}
