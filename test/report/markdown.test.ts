/** -o markdown: a report for a ticket, where no cluster string can become markup. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderReportAs, renderScanAs } from '../../src/report/formats.js';
import { inline } from '../../src/report/markdown.js';
import { demoScan, FORMAT_OPTIONS, hostile } from './demo-reports.js';

/** Cells of a GFM table row: split on the pipes that are not backslash-escaped. */
const cells = (row: string) => row.replace(/^\||\|$/g, '').split(/(?<!\\)\|/);

test('the demo report: headline, findings table, evidence, and each fix command in an sh block', async () => {
  const r = (await demoScan()).find((x) => x.target.service === 'frontend')!;
  const md = renderReportAs('markdown', r, FORMAT_OPTIONS);
  assert.match(md, /^## ✗ shop\/frontend port http\/TCP nodePort 30080\n/);
  const rows = md.split('\n').filter((l) => l.startsWith('| error'));
  assert.equal(rows.length, r.findings.filter((f) => f.severity === 'error').length);
  assert.deepEqual(cells(rows[0]!).map((c) => c.trim()), ['error', '[etp-local-no-local-endpoint](https://np-doctor.dev/checks/etp-local-no-local-endpoint)', 'node-1', 'externalTrafficPolicy Local with no local endpoint']);
  for (const f of r.findings) assert.ok(md.includes(`\`\`\`sh\n${f.remediation.commands.join('\n')}\n\`\`\``), f.id);
  assert.match(md, /Evidence:\n\n- node-1 filter\/KUBE-EXTERNAL-SERVICES line 42/);
});

test('hostile names: no HTML, no link, no emphasis, one table row per finding, and no command closes its block', async () => {
  const reports = (await demoScan()).map(hostile);
  const md = renderScanAs('markdown', reports, FORMAT_OPTIONS);
  // Outside the fenced sh blocks (code: shown as is, never rendered)...
  const outside = md.replace(/^(`{3,})sh\n[\s\S]*?^\1$/gm, '');
  assert.ok(outside.length < md.length);
  // ...no raw angle bracket from the cluster: HTML cannot start;
  assert.doesNotMatch(outside.replace(/<\/?sub>/g, ''), /</);
  // no link but np-doctor's own check pages;
  for (const m of outside.matchAll(/(?<!\\)\]\(([^)]*)\)/g)) assert.match(m[1]!, /^https:\/\/np-doctor\.dev\/checks\//);
  // no unescaped emphasis or code span opened by a cluster string.
  assert.doesNotMatch(outside.replace(/`[0-9a-f]{32}`/g, ''), /(?<!\\)(\*\*|`|(?<![\w\\])_)/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(md, /[\u0000-\u0008\u000b-\u001f]/);
  // Every table row has as many cells as its header.
  for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
    const [head, ...rows] = block.split('\n');
    for (const row of rows) assert.equal(cells(row).length, cells(head!).length, row);
  }
  // Each sh block's fence is longer than any backtick run in its commands, so the block ends where np-doctor ends it.
  for (const [, fence, body] of md.matchAll(/^(`{3,})sh\n([\s\S]*?)^\1$/gm)) {
    for (const run of body!.match(/`+/g) ?? []) assert.ok(run.length < fence!.length, `${run} inside ${fence}`);
  }
  assert.ok(md.includes('````sh\n'), 'a command with a fence in it gets a longer fence');
});

test('inline escapes what would start a block or an autolink', () => {
  assert.equal(inline('# not a heading'), '\\# not a heading');
  assert.equal(inline('1. not a list'), '1\\. not a list');
  assert.equal(inline('- not a list'), '\\- not a list');
  assert.equal(inline('see https://evil.example or www.evil.example or a@evil.example'), 'see https\\://evil.example or www\\.evil.example or a\\@evil.example');
  assert.equal(inline('a|b\nc'), 'a\\|b c');
  assert.equal(inline('<b>&amp;'), '&lt;b&gt;&amp;amp;');
});
