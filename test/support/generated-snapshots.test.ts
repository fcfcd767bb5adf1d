/**
 * The generated snapshot files are what their specs give today, byte for byte: a spec or a kit
 * change without `npm run scenarios NAME` (or scripts/make-demo-cluster.ts) fails here, without root.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { corpusSnapshots, demoSnapshots, generatedBytes } from './generated-snapshots.js';

const generated = [...await corpusSnapshots(), ...demoSnapshots()];

describe('generated snapshots are current', () => {
  test('the corpus and both demos are listed', () => {
    assert.ok(generated.length > 50, `${generated.length} files`);
    assert.ok(generated.some((g) => g.file === 'examples/demo.json') && generated.some((g) => g.file === 'examples/demo-nftables.json'));
  });

  for (const g of generated) {
    test(g.file, () => {
      assert.ok(existsSync(g.file), `${g.file} is missing: run ${g.regenerate}`);
      // Buffer.equals first: a deepEqual of two 300 KB buffers that differ prints both in full.
      const same = readFileSync(g.file).equals(generatedBytes(g));
      assert.ok(same, `${g.file} is not what its spec gives: run ${g.regenerate}`);
    });
  }
});
