/**
 * `npm run bench`: parse and walk speed and memory on generated kube-proxy dumps, side by side with
 * the kernel's own parser (`iptables-restore --test`) and a bare `node` that only reads the file,
 * all in the same run so the ratios hold on any machine.
 *
 *   BENCH_SIZES=1000,10000,40000 (default)   BENCH_RUNS=5 (cold-process repetitions, median)
 *
 * Then the nftables table (bench/nft.ts, its own BENCH_NFT_* settings).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateDump } from './gen-dump.js';
import { runNftBench } from './nft.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const cli = join(root, 'dist', 'src', 'cli.js');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,40000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  label: string;
  services: number;
  mb: number;
  lines: number;
  restoreTest: number | null;
  nodeRead: number;
  trace: number;
  parse: number;
  firstWalk: number;
  walk: number;
  rssMb: number;
}

interface Timed {
  cmd: string;
  args: string[];
  runs: number;
}

/**
 * Wall time of each command in ms, the median of its runs after one warm-up each. The commands
 * take turns (trace, read, restore, trace, …), so load from other processes on a shared machine
 * falls on all of them alike and their ratios hold. null for a command that failed.
 */
function timeCommands(cmds: Timed[]): (number | null)[] {
  const once = (c: Timed) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    return r.status === 0 ? ms : null;
  };
  const times = cmds.map((c) => (once(c) === null ? null : ([] as number[])));
  const rounds = Math.max(...cmds.map((c) => c.runs));
  for (let round = 0; round < rounds; round++) {
    cmds.forEach((c, i) => {
      const list = times[i];
      if (!list || round >= c.runs) return;
      const ms = once(c);
      if (ms === null) times[i] = null;
      else list.push(ms);
    });
  }
  return times.map((t) => (t === null ? null : median(t)));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Parse, first walk, a later walk and peak RSS, measured inside one fresh node process. */
function measureInProcess(file: string, packetArgs: { dst: string; dport: number }): { parse: number; firstWalk: number; walk: number; rssMb: number } {
  const engine = (p: string) => pathToFileURL(join(root, 'dist', 'src', 'engine', p)).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { parseIptablesSave } from ${JSON.stringify(engine('iptables/parse.js'))};
    import { walk } from ${JSON.stringify(engine('walk/walk.js'))};
    const bytes = readFileSync(${JSON.stringify(file)});
    const packet = { src: '203.0.113.7', sport: 40000, dst: ${JSON.stringify(packetArgs.dst)}, dport: ${packetArgs.dport}, proto: 'tcp', inIface: 'eth0' };
    const node = { localIps: [${JSON.stringify(packetArgs.dst)}] };
    let t = performance.now();
    const rs = parseIptablesSave(bytes);
    const parse = performance.now() - t;
    t = performance.now();
    const first = walk([rs], node, packet);
    const firstWalk = performance.now() - t;
    const again = [];
    for (let i = 0; i < 101; i++) { t = performance.now(); walk([rs], node, packet); again.push(performance.now() - t); }
    again.sort((a, b) => a - b);
    if (!first.outcomes.length) throw new Error('no outcome');
    console.log(JSON.stringify({ parse, firstWalk, walk: again[50], rssMb: process.resourceUsage().maxRSS / 1024 }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`in-process measurement failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { parse: number; firstWalk: number; walk: number; rssMb: number };
}

function benchOne(services: number, comments: boolean): Row {
  const label = `${services / 1000}k × 3${comments ? '' : ', no comments'}`;
  const dump = generateDump({ services, endpointsPerService: 3, comments });
  const file = join(outDir, `kube-proxy-${services}${comments ? '' : '-nc'}.rules`);
  writeFileSync(file, dump.text);
  // Trace a Cluster-policy NodePort: the walk crosses KUBE-SERVICES, KUBE-NODEPORTS, SVC and SEP.
  const np = dump.nodePorts.find((p) => p.policy === 'Cluster' && p.endpoints.length > 0 && p.proto === 'tcp');
  if (!np) throw new Error('the generated dump has no Cluster NodePort');
  const dst = dump.nodeIp;
  const traceArgs = [cli, 'trace', '--iptables', file, '--local-ip', dst, '--to', `${dst}:${np.port}`, '--in-iface', 'eth0', '-o', 'json'];
  const n = services >= 40000 ? Math.min(runs, 3) : runs;
  const [trace, nodeRead, restoreTest = null] = timeCommands([
    { cmd: process.execPath, args: traceArgs, runs: n },
    { cmd: process.execPath, args: ['-e', `require('fs').readFileSync(${JSON.stringify(file)}, 'utf8')`], runs: n },
    ...(process.getuid?.() === 0 ? [{ cmd: 'iptables-restore', args: ['--test', file], runs: services >= 40000 ? 1 : Math.min(n, 3) }] : []),
  ]);
  if (trace === null || trace === undefined) throw new Error(`np-doctor trace failed on ${file}`);
  if (nodeRead === null || nodeRead === undefined) throw new Error(`node could not read ${file}`);
  return {
    label, services, mb: statSync(file).size / 1e6, lines: dump.text.split('\n').length - 1,
    restoreTest, nodeRead, trace, ...measureInProcess(file, { dst, dport: np.port }),
  };
}

const fmt = (ms: number | null) => (ms === null ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const ratio = (a: number, b: number | null) => (b === null ? 'n/a' : `${(a / b).toFixed(2)}×`);
const check = (ok: boolean | null) => (ok === null ? ' ' : ok ? '✓' : '✗');

mkdirSync(outDir, { recursive: true });
const rows: Row[] = [];
for (const services of sizes) for (const comments of [true, false]) {
  process.stderr.write(`bench: ${services} services${comments ? '' : ' (no comments)'}…\n`);
  rows.push(benchOne(services, comments));
}

const header = ['dump', 'size', 'lines', 'restore --test', 'node read', 'np-doctor trace', 'trace/restore (10k ≤0.4)', 'trace/read (10k ≤2.5)', 'parse', 'first walk', 'walk <5ms', 'peak RSS ≤4×+80MB'];
const table = rows.map((r) => {
  const rssLimit = 4 * r.mb + 80;
  // The issue states the two cold-process targets for the 10k-Service dump; other sizes show the ratio only.
  const targeted = r.services === 10000;
  return [
    r.label, `${r.mb.toFixed(1)} MB`, String(r.lines), fmt(r.restoreTest), fmt(r.nodeRead), fmt(r.trace),
    `${ratio(r.trace, r.restoreTest)} ${check(!targeted || r.restoreTest === null ? null : r.trace <= 0.4 * r.restoreTest)}`,
    `${ratio(r.trace, r.nodeRead)} ${check(targeted ? r.trace <= 2.5 * r.nodeRead : null)}`,
    fmt(r.parse), fmt(r.firstWalk), `${fmt(r.walk)} ${check(r.walk < 5)}`,
    `${r.rssMb.toFixed(0)} MB ${check(r.rssMb <= rssLimit)}`,
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));

// The issue's two cold-start targets, for the 10k dump with and without comments.
for (const r of rows.filter((x) => x.services === 10000)) {
  const vsRead = r.trace / r.nodeRead;
  const vsRestore = r.restoreTest === null ? null : r.trace / r.restoreTest;
  console.log(`\n${r.label}: trace ${fmt(r.trace)} = ${vsRead.toFixed(2)}× node read ${check(vsRead <= 2.5)} (≤ 2.5×), `
    + `${vsRestore === null ? 'restore --test n/a' : `${vsRestore.toFixed(2)}× restore --test ${check(vsRestore <= 0.4)} (≤ 0.4×)`}`);
}

// Linearity: a 4× larger dump should cost at most 4.5× the cold trace time.
for (const comments of [true, false]) {
  const r10 = rows.find((r) => r.services === 10000 && r.label.includes('no comments') !== comments);
  const r40 = rows.find((r) => r.services === 40000 && r.label.includes('no comments') !== comments);
  if (r10 && r40) console.log(`\n40k / 10k trace time${comments ? '' : ' (no comments)'}: ${ratio(r40.trace, r10.trace)} ${check(r40.trace <= 4.5 * r10.trace)} (target ≤ 4.5×)`);
}
if (process.getuid?.() !== 0) console.log('\niptables-restore --test needs root; its column is n/a.');

runNftBench();
console.log('\nLarge clusters (snapshot size, load, diagnose, scan -A, the TUI at 3 × 1k … 100 × 10k): npm run bench:scale, about an hour.');
