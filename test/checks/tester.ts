/**
 * checkTester: one check against named scenarios of the corpus (test/scenarios/<name>/), as
 * ESLint's RuleTester runs a rule against code. A valid case is a scenario in which the check runs
 * and reports nothing; an invalid case lists the findings it must report, in order, by messageId
 * and data (and node, workingNodes, and severity when the finding sets one). A case the corpus has no scenario
 * for is a variant built in memory: the scenario's cluster spec changed and rendered by the
 * scenario kit, or a copy of its snapshot changed.
 *
 * Every case runs the check on a context that throws when the check reads data it does not
 * require (guardedContext). The meta-test (meta.test.ts) collects the cases of every check's test
 * file instead of running them, to hold the catalogue to its messages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkContext, DATA_REQUIREMENTS, type Analysis, type DataRequirement, type FullCheckContext } from '../../src/check-kit/context.js';
import { placeholdersOf, type Check, type FindingInput, type FindingMessage, type Messages, type Requirement } from '../../src/check-kit/define.js';
import type { Ask } from '../../src/run/question.js';
import { buildContext } from '../../src/run/question.js';
import { availability } from '../../src/run/requirements.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET, type Scenario } from '../scenarios/scenario.js';
import type { ClusterSpec } from '../support/scenario-kit/spec.js';

export interface CheckCase {
  /** A scenario of test/scenarios/: its snapshot and its question. */
  scenario: string;
  /** What the case shows, when it is a variant (the scenario name says it otherwise). */
  name?: string;
  /** Question flags over the scenario's own (another Service, --node, --node-ip…). */
  ask?: Partial<Ask>;
  /** Changes a copy of the scenario's cluster spec, whose snapshot the scenario kit then builds. */
  spec?: (spec: ClusterSpec) => void;
  /** Changes a copy of the scenario's snapshot (after `spec`) before the question is asked. */
  snapshot?: (snapshot: Snapshot) => void;
}

export type ExpectedFinding<M extends Messages = Messages> = FindingMessage<M> & { node?: string; workingNodes?: string[]; severity?: string };

export interface InvalidCase<M extends Messages = Messages> extends CheckCase {
  findings: ExpectedFinding<M>[];
}

export interface CheckCases<M extends Messages = Messages> {
  valid: CheckCase[];
  invalid: InvalidCase<M>[];
}

/** The checks and cases the test files declared, when collecting for the meta-test. */
const collected: { check: Check; cases: CheckCases }[] = [];
let collecting = false;

/** From now on, checkTester records its cases here instead of running them (meta.test.ts). */
export function collectCases(): readonly { check: Check; cases: CheckCases }[] {
  collecting = true;
  return collected;
}

export function checkTester<M extends Messages>(check: Check<M>, cases: CheckCases<M>): void {
  if (collecting) {
    collected.push({ check, cases });
    return;
  }
  describe(check.id, () => {
    for (const c of cases.valid) {
      test(`valid: ${caseName(c)}`, async () => {
        assert.deepEqual(await findingsOf(check, c), []);
      });
    }
    for (const c of cases.invalid) {
      test(`invalid: ${caseName(c)}`, async () => {
        assert.deepEqual(await findingsOf(check, c), c.findings);
      });
    }
  });
}

const caseName = (c: CheckCase) => c.name === undefined ? c.scenario : `${c.scenario}, ${c.name}`;

/** The check's findings in a case, as messageId, data, node and severity. */
async function findingsOf(check: Check, c: CheckCase): Promise<ExpectedFinding[]> {
  const { analysis, ctx } = await caseContext(c);
  const missing = check.requires.filter((r) => availability(analysis)[r] !== null);
  assert.deepEqual(missing, [], `the check must run in this case, but it would be skipped for want of ${missing.join(', ')}`);
  const found = await check.run(guardedContext(ctx, check.requires, (member) => {
    throw new Error(`${check.id} reads ctx.${member} without requiring '${member}'`);
  }));
  return found.map((f) => expected(check, f));
}

/**
 * A finding as a test case states it: its message with the data that message shows (data for the
 * check's other messages is left out), where, and its severity when it sets one.
 */
export function expected(check: Check, f: FindingInput): ExpectedFinding {
  const shown = placeholdersOf(check.messages[f.messageId] ?? '').flatMap((p) => {
    const value = f.data?.[p];
    return value === undefined ? [] : [[p, value] as const];
  });
  return {
    messageId: f.messageId,
    ...(shown.length === 0 ? {} : { data: Object.fromEntries(shown) }),
    ...(f.node === undefined ? {} : { node: f.node }),
    ...(f.workingNodes === undefined ? {} : { workingNodes: f.workingNodes }),
    ...(f.severity === undefined ? {} : { severity: f.severity }),
  };
}

interface LoadedCase { scenario: Scenario; snapshot: Snapshot; ask: Ask }
const scenarios = new Map<string, Promise<LoadedCase>>();

/** A scenario (its snapshot loaded once per process) and its question. */
function scenario(name: string): Promise<LoadedCase> {
  let s = scenarios.get(name);
  if (s === undefined) {
    s = loadScenarios([name]).then(async ([loaded]) => {
      assert.ok(loaded !== undefined, `no scenario ${name}`);
      const { scenario } = loaded;
      return { scenario, snapshot: await loadSnapshot(loaded.snapshotFile), ask: { ...(scenario.target ?? DEFAULT_TARGET), ...scenario.ask } };
    });
    scenarios.set(name, s);
  }
  return s;
}

/** The analysis and the (unguarded) check context of a case. */
export async function caseContext(c: CheckCase): Promise<{ analysis: Analysis; ctx: FullCheckContext }> {
  const { scenario: spec, snapshot: stored, ask } = await scenario(c.scenario);
  let snapshot = stored;
  if (c.spec !== undefined) {
    const changed = structuredClone(spec.spec);
    c.spec(changed);
    // Imported when needed: the kit's builder loads a YAML parser, a second per test file otherwise.
    const { buildScenarioSnapshot } = await import('../support/scenario-kit/build.js');
    snapshot = buildScenarioSnapshot(changed, { target: spec.gather ?? spec.target ?? DEFAULT_TARGET });
  }
  if (c.snapshot !== undefined) {
    snapshot = structuredClone(snapshot);
    c.snapshot(snapshot);
  }
  const analysis = buildContext(snapshot, { ...ask, ...c.ask });
  return { analysis, ctx: checkContext(analysis) };
}

/**
 * The context with every data member a check does not require behind a trap: reading one calls
 * `onRead` (which may throw) before the value is handed out.
 */
export function guardedContext(ctx: FullCheckContext, requires: readonly Requirement[], onRead: (member: DataRequirement) => void): FullCheckContext {
  const guarded = new Set<string>(DATA_REQUIREMENTS.filter((r) => !requires.includes(r)));
  return new Proxy(ctx, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && guarded.has(prop)) onRead(prop as DataRequirement);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
