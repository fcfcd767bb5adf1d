/**
 * Random strings of every control class, through every renderer a person reads: the text report
 * (with and without colour, verbose), scan's lines, trace's text, the gather errors, the output
 * gate, and Ink's Text. Whatever the input, the output holds no control byte but np-doctor's own
 * colour sequences, and the input's escapes are shown, not dropped.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { CHECKS } from '../../checks/index.js';
import { renderGatherErrors } from '../../src/cli/gather-errors.js';
import { walk } from '../../src/engine/walk/walk.js';
import { parseDataplane } from '../../src/model/dataplane.js';
import type { Report } from '../../src/report/model.js';
import { hasControl, sanitize, sanitizeDeep, sanitizeOutput } from '../../src/text/sanitize.js';
import { ClusterModel } from '../../src/model/cluster.js';
import { noServicesText, scanTable } from '../../src/report/scan-text.js';
import { renderReport } from '../../src/report/text.js';
import { renderTraceText } from '../../src/report/trace-text.js';
import { diagnose } from '../../src/diagnose.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { nodeView } from '../../src/model/node-view.js';
import { Text } from '../../src/tui/components/Text.js';

/** mulberry32: a small seeded PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));
/** Every control class the sanitiser must catch, and the sequences attackers build from them. */
const CLASSES: Record<string, string[]> = {
  c0: range(0x00, 0x1f),
  del: ['\x7f'],
  c1: range(0x80, 0x9f),
  bidi: [...range(0x202a, 0x202e), ...range(0x2066, 0x2069)],
  separators: ['\u2028', '\u2029'],
  sequences: ['\x1b[2J', '\x1b]0;title\x07', '\x1b]52;c;ZXZpbA==\x07', '\x1b[31m', '\x1b[0m', '\x1bP+q\x1b\\', '\x9b6n', '\x1b[?1049h', '\r\x1b[K'],
  plain: ['a', 'é', '漢', '🙂', ' ', '"', "'", '$', '\n', '\t'],
};
const ALL = Object.values(CLASSES).flat();

function hostileString(r: () => number): string {
  let s = '';
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += ALL[Math.floor(r() * ALL.length)];
  return s;
}

/** Every string of a JSON value, with a random hostile string spliced in. */
function poison<T>(v: T, r: () => number): T {
  if (typeof v === 'string') {
    const at = Math.floor(r() * (v.length + 1));
    return `${v.slice(0, at)}${hostileString(r)}${v.slice(at)}` as T;
  }
  if (Array.isArray(v)) return v.map((x: unknown) => poison(x, r)) as T;
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, poison(x, r)])) as T;
  return v;
}

// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const OWN_SGR = /\x1b\[[0-9;]*m/g;

/** No control character but newline, and, when `colour`, np-doctor's SGR sequences. */
function assertClean(text: string, what: string, colour: boolean): void {
  const rest = (colour ? text.replace(OWN_SGR, '') : text).replaceAll('\n', '');
  assert.ok(!hasControl(rest.replaceAll('\t', '')), `${what}: a control character got through: ${JSON.stringify(rest.slice(0, 400))}`);
}

const demo = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;
const base: Report = await diagnose(demo, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
const frontend = new ClusterModel(demo).services.find((s) => s.name === 'frontend')!;
const view = nodeView(demo.nodes[0]!, 4);
const plane = parseDataplane(view).plane;
const baseTrace = walk(plane, view.context, { src: '203.0.113.7', dst: '192.168.1.101', proto: 'tcp', dport: 30080, sport: 40000, inIface: 'eth0' });

const SEEDS = 150;

test('the sanitiser escapes every class and keeps newline and tab only in blocks', () => {
  for (const [cls, chars] of Object.entries(CLASSES)) {
    if (cls === 'plain' || cls === 'sequences') continue;
    for (const ch of chars) {
      const one = sanitize(`a${ch}b`);
      assert.ok(!hasControl(one), `${cls} U+${ch.codePointAt(0)?.toString(16)} in a line`);
      assert.notEqual(one, `a${ch}b`, 'it is shown, not dropped silently');
      const block = sanitize(`a${ch}b`, true);
      if (ch === '\n' || ch === '\t') assert.equal(block, `a${ch}b`);
      else assert.ok(!hasControl(block.replaceAll('\n', '').replaceAll('\t', '')));
    }
  }
  assert.equal(sanitize('\x1b]0;x\x07'), '\\x1b]0;x\\x07');
  assert.equal(sanitize('\u202e'), '\\u202e');
  assert.equal(sanitizeOutput('\x1b[1mok\x1b[0m \x1b]0;t\x07'), '\x1b[1mok\x1b[0m \\x1b]0;t\\x07', 'the gate passes SGR only');
  assert.deepEqual(JSON.parse(sanitizeOutput(JSON.stringify({ s: '\x7f\x9b\u202e' }))), { s: '\x7f\x9b\u202e' }, 'JSON through the gate stays exact');
});

test('random control strings through the text report, scan, gather errors and the output gate', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const report = poison(base, r);
    for (const colour of [false, true]) {
      assertClean(renderReport(report, { color: colour, verbose: true }), `report seed ${seed} colour ${colour}`, colour);
    }
    for (const colour of [false, true]) {
      const svc = poison(frontend, r);
      const table = scanTable([svc, poison(frontend, r)], { color: colour, width: 80 });
      assertClean(`${table.header}${table.row(svc, report)}${table.row(svc, poison(base, r))}`, `scan seed ${seed} colour ${colour}`, colour);
    }
    assertClean(noServicesText(hostileString(r)), `no Services seed ${seed}`, false);
    assertClean(renderGatherErrors(poison(demo.errors.length ? demo.errors : [{ stage: 'cluster' as const, what: 'list pods', why: 'forbidden', hint: 'rbac' }], r)), `gather errors seed ${seed}`, false);
    const raw = hostileString(r);
    assertClean(sanitizeOutput(raw), `output gate seed ${seed}`, true);
    assert.ok(!sanitizeOutput(raw).replace(OWN_SGR, '').includes('\x1b'), 'only SGR may keep its ESC');
  }
});

test('random control strings through the trace text', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    for (const colour of [false, true]) {
      assertClean(renderTraceText(poison(baseTrace, r), plane, { color: colour }), `trace seed ${seed} colour ${colour}`, colour);
    }
  }
});

test('random control strings through Ink\'s Text', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const parts = [hostileString(r), hostileString(r), hostileString(r)];
    const app = render(<Text bold>{parts[0]}<Text color="red">{parts[1]}</Text>{parts[2]}</Text>);
    assertClean(app.lastFrame() ?? '', `Text seed ${seed}`, true);
    app.unmount();
  }
  assert.deepEqual(sanitizeDeep({ k: ['\x1b'] }), { k: ['\\x1b'] });
});
