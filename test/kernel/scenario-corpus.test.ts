/**
 * The scenario corpus's snapshots are what the kernel prints: rebuilding each scenario's spec with
 * every node's dump loaded by the real iptables-restore and read back with iptables-save gives the
 * committed snapshot.json exactly. A spec edited without `npm run scenarios NAME` fails here too.
 * Root only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';
import { buildScenarioSnapshotFromKernel } from '../support/scenario-kit/index.js';
import { labGate, missingPrerequisites } from './lab/prereq.js';

const runs = labGate('scenario corpus kernel check', missingPrerequisites(), 'root and iptables-nft/legacy-restore');
const scenarios = await loadScenarios();

describe('scenario snapshots come from the kernel', { skip: !runs }, () => {
  for (const s of scenarios) {
    test(s.name, async () => {
      const rebuilt = await buildScenarioSnapshotFromKernel(s.scenario.spec, { target: s.scenario.gather ?? s.scenario.target ?? DEFAULT_TARGET });
      assert.deepEqual(await loadSnapshot(s.snapshotFile), rebuilt, `${s.snapshotFile} is not what the spec gives through the kernel: run npm run scenarios ${s.name}`);
    });
  }
});
