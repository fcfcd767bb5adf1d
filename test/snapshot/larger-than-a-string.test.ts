/**
 * A snapshot larger than V8's longest string (2^29 - 24 characters) is written and read back.
 * Each node's dump is made distinct (random text), so nothing is stored once for two nodes and the
 * file itself passes the limit; the nodes are made one at a time, as gathering hands them over,
 * and never sit in memory together. v1, one JSON string, cannot hold it and says so.
 */
import assert from 'node:assert/strict';
import { constants as bufferConstants } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { NodeState } from '../../src/snapshot/schema.js';
import { writeSnapshotStream } from '../../src/snapshot/stream-write.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const NODE_DUMP_CHARS = 40 * 1024 * 1024;
const NODES = Math.ceil(bufferConstants.MAX_STRING_LENGTH / NODE_DUMP_CHARS) + 1;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test(`${NODES} nodes × 40 MiB of distinct dumps: more than V8's longest string, written as v2 and read back whole`, { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-doctor-large-'));
  try {
    const base = buildSnapshot();
    const template = base.nodes[0]!;
    const written = new Map<string, string>();
    function* nodes(): Generator<NodeState> {
      for (let i = 0; i < NODES; i++) {
        // Base64 in 76-character lines, like a dump: chunks end at line ends.
        const dump = `${randomBytes((NODE_DUMP_CHARS / 4) * 3).toString('base64').replace(/.{76}/g, '$&\n')}\n`;
        const name = `node-${i}`;
        written.set(name, sha(dump));
        yield { ...template, name, commands: { ...template.commands, 'iptables-legacy-save': { argv: ['iptables-legacy-save'], stdout: dump, stderr: '', exitCode: 0 } } };
      }
    }
    const file = join(dir, 'large.jsonl');
    await writeSnapshotStream(file, { head: base, nodes: nodes() });
    assert.ok(statSync(file).size > bufferConstants.MAX_STRING_LENGTH, `the file (${statSync(file).size} bytes) is longer than V8's longest string`);

    const back = await loadSnapshot(file);
    assert.deepEqual(back.nodes.map((n) => n.name), [...written.keys()]);
    for (const node of back.nodes) {
      assert.equal(sha(node.commands['iptables-legacy-save']!.stdout), written.get(node.name), `${node.name}: the dump read back is the one written`);
    }
    assert.deepEqual(back.cluster, base.cluster);

    await assert.rejects(writeSnapshotStream(join(dir, 'large.json'), { ...back, nodes: back.nodes }, { format: 'v1' }),
      /large\.json: this snapshot is too large for the v1 format, which is one JSON string .* write it as v2 \(the default\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
