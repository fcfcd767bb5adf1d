/**
 * Rebuilds examples/demo.json, the demo the README's first command diagnoses, and
 * examples/demo-nftables.json (test/support/demo-cluster.ts describes both):
 * `node --import tsx scripts/make-demo-cluster.ts`. No root needed: the scenario kit prints the
 * dumps as the real tools do (test/kernel/scenario-corpus.test.ts checks that against the kernel).
 */
import { demoSnapshots, writeGenerated } from '../test/support/generated-snapshots.js';

for (const g of demoSnapshots()) writeGenerated(g);
