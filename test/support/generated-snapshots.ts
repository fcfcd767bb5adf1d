/**
 * Every snapshot file the repository generates from the scenario kit: the corpus
 * (test/scenarios/<name>/snapshot.json, from each scenario.ts) and the README's demos
 * (examples/demo.json, examples/demo-nftables.json, from demo-cluster.ts). The kit prints every
 * dump as iptables-save and `nft -j list ruleset` print it, so writing them needs no root:
 * `npm run scenarios [NAME…]` and scripts/make-demo-cluster.ts. generated-snapshots.test.ts checks
 * that each file is what its spec gives today, and test/kernel/scenario-corpus.test.ts that the
 * real kernel prints the same dumps.
 */
import { writeFileSync } from 'node:fs';
import { serializeSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';
import { DEMO_TARGET, demoCluster, demoClusterNftables } from './demo-cluster.js';
import { buildScenarioSnapshot, type BuildOptions, type ClusterSpec } from './scenario-kit/index.js';

export interface GeneratedSnapshot {
  /** The scenario's name, or the demo's file name. */
  name: string;
  file: string;
  spec: ClusterSpec;
  /** What the snapshot was gathered for. */
  target: NonNullable<BuildOptions['target']>;
  /** The command that rewrites the file. */
  regenerate: string;
}

/** The corpus's snapshots (`only`: these scenarios). */
export async function corpusSnapshots(only: string[] = []): Promise<GeneratedSnapshot[]> {
  return (await loadScenarios(only)).map((s) => ({
    name: s.name,
    file: s.snapshotFile,
    spec: s.scenario.spec,
    target: s.scenario.gather ?? s.scenario.target ?? DEFAULT_TARGET,
    regenerate: `npm run scenarios ${s.name}`,
  }));
}

export function demoSnapshots(): GeneratedSnapshot[] {
  const regenerate = 'node --import tsx scripts/make-demo-cluster.ts';
  return [
    { name: 'demo.json', file: 'examples/demo.json', spec: demoCluster(), target: DEMO_TARGET, regenerate },
    { name: 'demo-nftables.json', file: 'examples/demo-nftables.json', spec: demoClusterNftables(), target: DEMO_TARGET, regenerate },
  ];
}

export const buildGenerated = (g: GeneratedSnapshot): Snapshot => buildScenarioSnapshot(g.spec, { target: g.target });

/** The file's exact bytes: the snapshot as `np-doctor snapshot -o FILE` writes it (no gzip). */
export const generatedBytes = (g: GeneratedSnapshot): Buffer => serializeSnapshot(buildGenerated(g), false);

export function writeGenerated(g: GeneratedSnapshot): void {
  writeFileSync(g.file, generatedBytes(g));
  console.log(`wrote ${g.file}`);
}
