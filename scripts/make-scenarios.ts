/**
 * Writes test/scenarios/<name>/snapshot.json from each scenario's spec, with every node's
 * iptables dump loaded into a network namespace by the real iptables-restore and read back with
 * iptables-save (root needed): `npm run scenarios [NAME…]` (no names: all of them).
 */
import { writeFileSync } from 'node:fs';
import { serializeSnapshot } from '../src/snapshot/file.js';
import { loadScenarios } from '../test/scenarios/load.js';
import { DEFAULT_TARGET } from '../test/scenarios/scenario.js';
import { buildScenarioSnapshotFromKernel } from '../test/support/scenario-kit/index.js';

const only = process.argv.slice(2);
for (const s of await loadScenarios(only)) {
  const snapshot = await buildScenarioSnapshotFromKernel(s.scenario.spec, { target: s.scenario.gather ?? s.scenario.target ?? DEFAULT_TARGET });
  writeFileSync(s.snapshotFile, serializeSnapshot(snapshot, false));
  console.log(`wrote ${s.snapshotFile}`);
}
