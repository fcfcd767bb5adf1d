/**
 * Writes test/scenarios/<name>/snapshot.json from each scenario's spec: `npm run scenarios [NAME…]`
 * (no names: all of them). No root needed: the scenario kit prints the dumps as the real tools do
 * (test/kernel/scenario-corpus.test.ts checks that against the kernel).
 */
import { corpusSnapshots, writeGenerated } from '../test/support/generated-snapshots.js';

for (const g of await corpusSnapshots(process.argv.slice(2))) writeGenerated(g);
