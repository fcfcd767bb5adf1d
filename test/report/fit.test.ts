/**
 * Text that fits the terminal (issue 19): the report, scan's table and trace at 60, 80 and 200
 * columns, and piped (80). No line is wider than the width but a fix command (pasted as it is) or
 * a single word longer than the room; fix commands are whole lines; wrapping loses no word.
 * Measured independently of the renderer: colour codes stripped, then one column per code point
 * (the demo and corpus text holds no wide character).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CHECKS } from '../../checks/index.js';
import { runDiagnosis } from '../../src/diagnose.js';
import { walk } from '../../src/engine/walk/walk.js';
import { ClusterModel } from '../../src/model/cluster.js';
import { parseDataplane } from '../../src/model/dataplane.js';
import { nodeView } from '../../src/model/node-view.js';
import { headline } from '../../src/report/headline.js';
import type { Report } from '../../src/report/model.js';
import { scanTable, type ScanService } from '../../src/report/scan-text.js';
import { renderReport } from '../../src/report/text.js';
import { renderTraceText } from '../../src/report/trace-text.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { sanitize } from '../../src/text/sanitize.js';
import { loadScenarios } from '../scenarios/load.js';
import { builtCliSkip } from '../support/tier.js';

const WIDTHS = [60, 80, 200] as const;
/** So wide nothing wraps: the text as it was before it fitted anything. */
const ENDLESS = 1_000_000;

// eslint-disable-next-line no-control-regex -- np-doctor's own colour codes are stripped before measuring
const SGR = /\x1b\[[0-9;]*m/g;
const columns = (line: string): number => [...line.replace(SGR, '')].length;
const words = (text: string): string[] => text.replace(SGR, '').split(/\s+/).filter((w) => w !== '');

/** Lines wider than `width` that are neither a fix command or a gather hint of the report nor one word alone. */
function overlong(text: string, width: number, commands: readonly string[] = [], hints: readonly string[] = []): string[] {
  const whole = new Set([...commands.map((c) => `$ ${sanitize(c, true)}`), ...hints.map((h) => `→ ${sanitize(h, true)}`)]);
  return text.split('\n').filter((line) => {
    const content = line.replace(SGR, '').trim();
    return columns(line) > width && !whole.has(content) && /\s/.test(content);
  });
}

const commandsOf = (r: Report): string[] => r.findings.flatMap((f) => f.remediation.commands);
const hintsOf = (r: Report): string[] => r.gatherErrors.flatMap((e) => (e.hint === undefined ? [] : [e.hint]));

/** Every Service with a nodePort in the demo snapshots, and every scenario's question. */
async function reports(): Promise<{ name: string; report: Report }[]> {
  const out: { name: string; report: Report }[] = [];
  for (const file of ['examples/demo.json', 'examples/demo-nftables.json']) {
    const snapshot = await loadSnapshot(file);
    const cluster = new ClusterModel(snapshot);
    for (const s of cluster.services.filter((x) => x.ports.some((p) => p.nodePort !== null))) {
      const d = await runDiagnosis(snapshot, { namespace: s.namespace, service: s.name }, { checks: CHECKS, snapshotFile: file, cluster });
      out.push({ name: `${file} ${s.namespace}/${s.name}`, report: d.report });
    }
  }
  for (const s of await loadScenarios()) {
    const target = s.scenario.target ?? { namespace: 'shop', service: 'frontend' };
    const d = await runDiagnosis(await loadSnapshot(s.snapshotFile), { ...target, ...s.scenario.ask }, { checks: CHECKS, snapshotFile: s.snapshotFile });
    out.push({ name: `scenario ${s.name}`, report: d.report });
  }
  return out;
}

const CORPUS = await reports();
const payments = CORPUS.find((r) => r.name === 'examples/demo.json shop/payments')!.report;
/** A node the gathering could not read, with the hint ssh host verification gives: a command to paste. */
const unread: Report = {
  ...payments,
  gatherErrors: [{ stage: 'node', node: 'node-1', what: 'ssh node-1 (192.168.1.101:22)', why: 'host key not in known_hosts',
    hint: 'check the key out of band, then run "ssh-keyscan -p 22 192.168.1.101 >> ~/.ssh/known_hosts" (or pass --ssh-known-hosts FILE)' }],
};
const ALL = [...CORPUS, { name: 'svc/payments with a node not read', report: unread }];

describe('the text report fits the width', () => {
  test('the corpus is what the tests below need: svc/payments\'s verdict is long, and fix commands are too', () => {
    assert.ok(ALL.length > 50, `${ALL.length} reports`);
    assert.ok(payments.verdict.summary.length > 800, 'svc/payments has the long verdict');
    assert.ok(ALL.some(({ report }) => commandsOf(report).some((c) => c.length > 200)), 'a fix command wider than any width tested');
    assert.ok(ALL.some(({ report }) => hintsOf(report).some((h) => h.length > 60)), 'a gather hint wider than 60 columns');
  });

  for (const width of WIDTHS) {
    test(`${width} columns, plain and in colour, verbose too: no line too wide, commands whole, no word lost`, () => {
      for (const { name, report } of ALL) {
        for (const opts of [{ color: false }, { color: true }, { color: false, verbose: true }]) {
          const text = renderReport(report, { ...opts, width });
          assert.deepEqual(overlong(text, width, commandsOf(report), hintsOf(report)), [], `${name} ${JSON.stringify(opts)}`);
          const lines = text.split('\n').map((l) => l.replace(SGR, '').trim());
          for (const c of commandsOf(report)) assert.ok(lines.includes(`$ ${sanitize(c, true)}`), `${name}: \`${c}\` is a whole line`);
          for (const h of hintsOf(report)) assert.ok(lines.includes(`→ ${sanitize(h, true)}`), `${name}: the hint \`${h}\` is a whole line`);
          assert.deepEqual(words(text), words(renderReport(report, { ...opts, width: ENDLESS })), `${name} ${JSON.stringify(opts)}: the same words in the same order`);
        }
      }
    });
  }

  test('the widths differ where they should: at 60 the long verdict takes many lines, at 200 few', () => {
    const verdictLines = (width: number) => renderReport(payments, { color: false, width }).split('\n\n')[0]!.split('\n').length;
    assert.ok(verdictLines(60) > verdictLines(80) && verdictLines(80) > verdictLines(200), `${verdictLines(60)}, ${verdictLines(80)}, ${verdictLines(200)}`);
    assert.ok(renderReport(payments, { color: false, width: 200 }).split('\n').some((l) => columns(l) > 150), 'at 200 columns lines use the room');
  });

  test('piped is the 80 default: a caller that gives no width gets 80 columns', () => {
    for (const { report } of ALL.slice(0, 5)) assert.equal(renderReport(report, { color: false }), renderReport(report, { color: false, width: 80 }));
  });

  test('a fix command is whole even at 60 columns, on its own line', () => {
    const text = renderReport(payments, { color: false, width: 60 });
    const [kubectl] = commandsOf(payments);
    assert.match(text, new RegExp(`\\n {10}\\$ ${kubectl!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  });
});

describe('the headline', () => {
  test('one line per Service, first: mark, name, what a client sees via which nodes, the top finding', () => {
    const demo = ALL.filter((r) => r.name.startsWith('examples/demo.json ')).map((r) => headline(r.report));
    assert.deepEqual(demo, [
      '✗ shop/checkout: refused via node-1, node-2, node-3 — no-ready-endpoints',
      '✗ shop/frontend: times out via node-1 — etp-local-no-local-endpoint',
      '✗ shop/payments: times out via node-1, node-2 — netpol-blocks-snated-source',
      '✗ shop/search: IPv4 answers; IPv6 times out via node-1 — ip-forward-disabled',
    ]);
    for (const { report } of ALL) assert.equal(renderReport(report, { color: false, width: 200 }).split('\n')[0], headline(report));
  });

  test('a healthy Service answers via its nodes, with no finding named', () => {
    const healthy = ALL.find(({ report }) => report.findings.length === 0 && report.verdict.nodes.length > 0)!.report;
    assert.match(headline(healthy), /^✓ \S+: answers via node-1/);
    assert.doesNotMatch(headline(healthy), /—/);
  });

  test('every node delivers, yet a finding: the headline says only that the rules deliver, and names it', () => {
    const outside = ALL.filter(({ report }) => report.findings.some((f) => f.severity === 'error') && report.verdict.nodes.length > 0 && report.verdict.nodes.every((n) => n.result === 'delivered'));
    assert.ok(outside.length > 0, 'the corpus has causes outside the rules (a cloud firewall, the overlay)');
    for (const { report } of outside) assert.match(headline(report), /^✗ \S+: the rules deliver via node-\d.* — [a-z-]+$/);
  });
});

describe('skip reasons are folded', () => {
  test('checks skipped for one reason are one line naming how many and the first few; --verbose names all', async () => {
    // A snapshot whose nodes were never read: every check that needs a node's dumps skips alike.
    const snapshot = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;
    snapshot.nodes = snapshot.nodes.map((n) => ({ ...n, commands: {} }));
    const { report } = await runDiagnosis(snapshot, { namespace: 'shop', service: 'frontend' }, { checks: CHECKS });
    const skipped = report.checks.filter((c) => c.status === 'skipped');
    const reasons = new Set(skipped.map((c) => c.reason));
    assert.ok(skipped.length > 20 && reasons.size < skipped.length, `${skipped.length} skipped for ${reasons.size} reasons`);
    const text = renderReport(report, { color: false, width: ENDLESS });
    const lines = text.split('\n').filter((l) => l.startsWith('  skipped'));
    assert.equal(lines.length, reasons.size, 'one line per reason');
    const biggest = [...reasons].map((r) => skipped.filter((c) => c.reason === r)).sort((a, b) => b.length - a.length)[0]!;
    assert.ok(lines.includes(`  skipped (${biggest.length} checks: ${biggest.slice(0, 3).map((c) => c.id).join(', ')}…): ${biggest[0]!.reason}`), lines.join('\n'));
    const verbose = renderReport(report, { color: false, verbose: true, width: ENDLESS });
    assert.ok(verbose.includes(`  skipped (${biggest.length} checks: ${biggest.map((c) => c.id).join(', ')}): ${biggest[0]!.reason}`));
  });
});

const demo = await loadSnapshot('examples/demo.json');

describe('scan\'s table fits the width', () => {
  const services = new ClusterModel(demo).services.filter((s) => s.ports.some((p) => p.nodePort !== null));
  const rows = services.map((s) => ({ service: s, report: ALL.find((r) => r.name === `examples/demo.json ${s.namespace}/${s.name}`)!.report }));
  /** A Service whose names take most of a terminal: the columns are cut, not the row wrapped. */
  const long: ScanService = { ...services[0]!, namespace: `team-${'n'.repeat(50)}`, name: `api-${'x'.repeat(55)}` };

  for (const width of [80, 200]) {
    for (const color of [false, true]) {
      test(`${width} columns${color ? ', in colour' : ''}: a header, one row per Service, none wider`, () => {
        const table = scanTable([...services, long], { color, width });
        const text = table.header + rows.map((r) => table.row(r.service, r.report)).join('') + table.row(long, rows[0]!.report);
        const lines = text.split('\n').slice(0, -1);
        assert.equal(lines.length, 1 + rows.length + 1);
        assert.match(lines[0]!.replace(SGR, ''), /^ {2}NAMESPACE +NAME +TYPE +NODEPORTS +ETP +TOP FINDING: RESULT$/);
        for (const line of lines) assert.ok(columns(line) <= width, `${columns(line)} > ${width}: ${line}`);
        rows.forEach((r, i) => assert.match(lines[i + 1]!.replace(SGR, ''), new RegExp(`^✗ shop +${r.service.name} +NodePort +${r.service.ports[0]!.nodePort}/TCP`)));
        if (width === 80) assert.match(lines.at(-1)!.replace(SGR, ''), /^✗ team-n+… +api-x+… +NodePort +30\d+\/TCP +Cluster /, 'long names are cut with …, the fixed words are not');
        else assert.ok(lines.at(-1)!.includes(`${long.namespace}  ${long.name}  `), 'room for the whole names');
      });
    }
  }

  test('columns are chosen from the Service list, so a row is the same whoever finishes first', () => {
    const table = scanTable(services, { color: false, width: 80 });
    const again = scanTable(services, { color: false, width: 80 });
    assert.deepEqual(rows.map((r) => table.row(r.service, r.report)), [...rows].reverse().map((r) => again.row(r.service, r.report)).reverse());
    const starts = rows.map((r) => table.row(r.service, r.report).indexOf(String(r.service.ports[0]!.nodePort)));
    assert.equal(new Set(starts).size, 1, 'every row\'s nodePort column starts at the same column');
  });

  test('at 200 columns nothing of the demo is cut; at 80 the last column is, with …', () => {
    const wide = scanTable(services, { color: false, width: 200 });
    const narrow = scanTable(services, { color: false, width: 80 });
    for (const r of rows) {
      assert.ok(wide.row(r.service, r.report).endsWith(`${headline(r.report).split(': ').slice(1).join(': ').replace(/ — .*$/, '')}\n`), wide.row(r.service, r.report));
      assert.match(narrow.row(r.service, r.report), /…\n$/);
    }
  });
});

describe('trace text fits the width', () => {
  const view = nodeView(demo.nodes[0]!, 4);
  const plane = parseDataplane(view).plane;
  const results = [30080, 30090, 31999].map((dport) => walk(plane, view.context, { src: '203.0.113.7', dst: '192.168.1.101', proto: 'tcp', dport, sport: 40000 }));
  for (const width of WIDTHS) {
    test(`${width} columns: no line too wide but one word alone, no word lost`, () => {
      for (const result of results) {
        const text = renderTraceText(result, plane, { color: false, width });
        assert.deepEqual(overlong(text, width), []);
        assert.deepEqual(words(text), words(renderTraceText(result, plane, { color: false, width: ENDLESS })));
      }
    });
  }
});

describe('piped, the real CLI fits 80 columns', { skip: builtCliSkip() }, () => {
  const CLI = 'dist/src/cli.js';
  const run = async (args: string[]) => {
    assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
    try {
      return (await promisify(execFile)('node', [CLI, ...args])).stdout;
    } catch (e) {
      return (e as { stdout: string }).stdout;
    }
  };
  test('diagnose svc/payments: the ~1,000-character verdict wrapped, commands whole', async () => {
    const out = await run(['diagnose', 'svc/payments', '-n', 'shop', '--snapshot', 'examples/demo.json']);
    assert.equal(out.split('\n')[0], headline(payments));
    assert.deepEqual(overlong(out, 80, commandsOf(payments)), []);
    assert.deepEqual(words(out), words(renderReport(payments, { color: false, width: ENDLESS })));
  });
  test('scan -A: a header and one row per Service, none wider than 80', async () => {
    const lines = (await run(['scan', '-A', '--snapshot', 'examples/demo.json'])).split('\n').slice(0, -1);
    assert.match(lines[0]!, /^ {2}NAMESPACE/);
    assert.equal(lines.length, 1 + 4);
    for (const line of lines) assert.ok(columns(line) <= 80, line);
  });
});
