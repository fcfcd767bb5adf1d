/**
 * The floor plan holds: ESLint, with the repository's own configuration, refuses an import that
 * climbs a floor or crosses to a sibling room, and accepts one that points down.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

// Only the floor rule runs; without type information (which it does not use) the probe lints in
// well under a second instead of building the whole TypeScript program.
const eslint = new ESLint({
  cwd: process.cwd(),
  ruleFilter: ({ ruleId }) => ruleId === 'floors/import-down',
  overrideConfig: { languageOptions: { parserOptions: { project: null } } },
});

/** The floor rule's messages for `code` linted as if it were the file at `filePath`. */
async function floorMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result !== undefined);
  const fatal = result.messages.filter((m) => m.fatal === true);
  assert.deepEqual(fatal, [], 'the probe parses');
  return result.messages.filter((m) => m.ruleId === 'floors/import-down').map((m) => m.message);
}

test('an engine file importing the CLI fails the floor rule', async () => {
  const messages = await floorMessages("import { UsageError } from '../cli/io.js';\nexport const probe: unknown = UsageError;\n", 'src/engine/address.ts');
  assert.deepEqual(messages, [
    'src/engine/address (engine leaves) imports src/cli/io (cli), a floor above: imports point down the floors of eslint/floor-plan.js',
  ]);
});

test('upward through export-from, a dynamic import() and import type too', async () => {
  const code = [
    "export { diagnose } from '../diagnose.js';",
    "import type { Io } from '../cli/io.js';",
    "export type Probe = Io;",
    "export const load = () => import('../tui/run-session.js');",
    '',
  ].join('\n');
  const messages = await floorMessages(code, 'src/run/requirements.ts');
  assert.equal(messages.length, 3, messages.join('\n'));
  assert.ok(messages.every((m) => m.includes('a floor above')));
});

test('sibling rooms on one floor do not import each other: gathering and the analysis model', async () => {
  const messages = await floorMessages("import { ClusterModel } from '../model/cluster.js';\nexport const probe: unknown = ClusterModel;\n", 'src/collect/plan.ts');
  assert.deepEqual(messages, [
    'src/collect/plan (collect) imports src/model/cluster (model), a room beside it on floor model and gathering: rooms on one floor do not import each other (eslint/floor-plan.js)',
  ]);
});

test('the engine\'s evaluators do not import each other, nor the walk above them', async () => {
  const code = "import { runChain } from '../iptables/chain.js';\nimport { walk } from '../walk/walk.js';\nexport const probe: unknown = [runChain, walk];\n";
  assert.deepEqual(await floorMessages(code, 'src/engine/nft/chain.ts'), [
    'src/engine/nft/chain (nft) imports src/engine/iptables/chain (iptables), a room beside it on floor engine evaluators: rooms on one floor do not import each other (eslint/floor-plan.js)',
    'src/engine/nft/chain (engine evaluators) imports src/engine/walk/walk (engine walk), a floor above: imports point down the floors of eslint/floor-plan.js',
  ]);
});

test('imports that point down pass', async () => {
  const code = "import { parseAddr } from '../engine/address.js';\nimport { EXIT } from '../exit.js';\nexport const probe: unknown = [parseAddr, EXIT];\n";
  assert.deepEqual(await floorMessages(code, 'src/cli/target.ts'), []);
});

test('a file in no room is reported, so a new folder gets a floor', async () => {
  assert.deepEqual(await floorMessages('export const probe = 1;\n', 'src/newfolder/probe.ts'), ['src/newfolder/probe is in no room of eslint/floor-plan.js: give it one']);
});
