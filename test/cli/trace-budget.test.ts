/**
 * Acceptance for a bounded walk, through the built binary a user runs (`npm run build` first):
 * hostile dumps that used to exhaust memory answer with one outcome. The child gets a generous
 * kill timeout so a regression fails instead of hanging; wall time is never asserted (tests do not
 * time things). Its peak RSS is read from the child itself: a wrapper prints
 * process.resourceUsage().maxRSS when the CLI exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import type { WalkResult } from '../../src/engine/packet/contract.js';

const CLI = resolve('dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'npd-budget-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in a child that reports its own peak RSS (kB) on stderr as it exits. */
const wrapper = join(dir, 'measure.mjs');
writeFileSync(wrapper, [
  "process.on('exit', () => process.stderr.write(`\\nnpd-max-rss-kb ${process.resourceUsage().maxRSS}\\n`));",
  `await import(${JSON.stringify(pathToFileURL(CLI).href)});`,
].join('\n'));

function trace(rules: string, extra: string[] = []): { result: WalkResult; rssMb: number; stderr: string } {
  const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.rules`);
  writeFileSync(file, rules);
  // No --in-iface: every -i match is undecidable.
  const args = [wrapper, 'trace', '--iptables', file, '--local-ip', '192.168.49.2', '--to', '192.168.49.2:30080', '-o', 'json', ...extra];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.error, undefined, `the child did not finish: ${String(r.error)}`);
  assert.equal(r.status, 0, r.stderr);
  const rss = /npd-max-rss-kb (\d+)/.exec(r.stderr);
  assert.ok(rss, `no RSS report in: ${r.stderr}`);
  return { result: JSON.parse(r.stdout) as WalkResult, rssMb: Number(rss[1]) / 1024, stderr: r.stderr };
}

const table = (name: string, chains: string[], rules: string[]) =>
  `*${name}\n${chains.map((c) => `:${c} ACCEPT [0:0]`).join('\n')}\n${rules.join('\n')}\nCOMMIT\n`;

describe('np-doctor trace on hostile dumps', () => {
  test('24 target-less statistic rules in INPUT (iptables accepts them): exactly one outcome', () => {
    const rules = Array.from({ length: 24 }, () => '-A INPUT -m statistic --mode random --probability 0.5');
    const { result } = trace(table('filter', ['INPUT', 'FORWARD', 'OUTPUT'], rules));
    assert.equal(result.outcomes.length, 1);
    assert.deepEqual([result.outcomes[0]?.probability, result.outcomes[0]?.verdict, result.outcomes[0]?.indeterminate], [1, 'ACCEPT', null]);
  });

  test('forking rules beyond the budget: one INDETERMINATE outcome naming it, and bounded memory', () => {
    // Distinct marks from statistic rules, undecidable -i matches setting the connmark, unknown
    // matches ORing marks: 2^120 distinct states if nothing stopped the walk.
    const rules: string[] = [];
    for (let i = 0; i < 40; i++) {
      rules.push(`-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --or-mark 0x${(1 << (i % 31)).toString(16)}`);
      rules.push(`-A PREROUTING -i eth${i} -j CONNMARK --set-xmark 0x${(i + 1).toString(16)}/0xffffffff`);
      rules.push(`-A PREROUTING -m frobnicate --level ${i} -j MARK --xor-mark 0x${(1 << ((i + 7) % 31)).toString(16)}`);
    }
    const { result, rssMb } = trace(table('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], rules));
    assert.equal(result.outcomes.length, 1, JSON.stringify(result.outcomes.map((o) => [o.probability, o.verdict])));
    const o = result.outcomes[0]!;
    assert.equal(o.verdict, 'INDETERMINATE');
    assert.equal(o.probability, 1);
    assert.match(o.indeterminate ?? '', /^the walk gave up after 4096 branches \(its branch budget\)/);
    assert.ok(rssMb < 400, `peak RSS ${rssMb.toFixed(0)} MB`);
  });

  test('the text names the budget once, not once per branch', () => {
    const rules = Array.from({ length: 30 }, (_, i) => `-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --or-mark 0x${(1 << i).toString(16)}`);
    const file = join(dir, 'explosive.rules');
    writeFileSync(file, table('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], rules));
    const r = spawnSync(process.execPath, [CLI, 'trace', '--iptables', file, '--local-ip', '192.168.49.2', '--to', '192.168.49.2:30080'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1 result: INDETERMINATE 100%/m);
    assert.equal(r.stdout.match(/its branch budget/g)?.length, 1, r.stdout);
  });
});
