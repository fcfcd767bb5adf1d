/**
 * nftables benchmark: np-doctor parsing and walking the JSON kube-proxy's nftables mode leaves on a
 * node (`nft -j list ruleset`), side by side with `nft -c -f` checking the same ruleset as text,
 * both in the same run so the ratio holds on any machine.
 *
 * The JSON is the real kernel's: the generated text (gen-nft.ts) is loaded into a throwaway network
 * namespace and listed back. Needs root (a network namespace, and `nft -c` talks to the kernel); as
 * another user it prints one skip line.
 *
 *   BENCH_NFT_SIZES=10000 (default; "none" skips)   BENCH_NFT_ENDPOINTS=2   BENCH_NFT_RUNS=3 (nft -c -f, median)
 *   BENCH_DIST=dist (the build np-doctor is measured from)
 *
 * Run by `npm run bench` after the iptables table, or alone: npm run build && node --import tsx bench/nft.ts
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateNftRuleset, type NftNodePortCase } from './gen-nft.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const distDir = resolve(root, process.env.BENCH_DIST ?? 'dist');
const TIME_BIN = '/usr/bin/time';

interface CommandTime {
  /** Wall time, ms. */
  wall: number;
  /** CPU time of the command, s (from /usr/bin/time when it is installed). */
  user: number | null;
  sys: number | null;
}

interface InProcess {
  read: number;
  parse: number;
  firstWalk: number;
  walk: number;
  heapMb: number;
  rulesetHeapMb: number;
  rssMb: number;
  outcomes: { probability: number; verdict: string; dnat: { ip: string; port: number | null } | null; indeterminate: string | null }[];
}

interface NftRow {
  label: string;
  jsonMb: number;
  textMb: number;
  counts: { chains: number; rules: number; sets: number; elements: number };
  check: CommandTime;
  load: number;
  dump: number;
  netnsExec: number;
  target: NftNodePortCase;
  measured: InProcess | null;
  /** Why np-doctor's side was not measured (engine missing). */
  skipped: string | null;
}

/** Runs a command; throws with its stderr when it fails. `stdoutFile` receives its output. */
function run(cmd: string, args: string[], stdoutFile?: string): number {
  const fd = stdoutFile === undefined ? null : openSync(stdoutFile, 'w');
  try {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', fd ?? 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    return ms;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Wall (and, with /usr/bin/time, user and sys) time of a command: median of `n` runs. */
function timeCommand(cmd: string, args: string[], n: number): CommandTime {
  const withTime = existsSync(TIME_BIN);
  const once = (): CommandTime => {
    const argv = withTime ? [TIME_BIN, '-f', 'npd-time %U %S', cmd, ...args] : [cmd, ...args];
    const t = process.hrtime.bigint();
    const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    const m = /npd-time ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    return { wall, user: m ? Number(m[1]) : null, sys: m ? Number(m[2]) : null };
  };
  const times = Array.from({ length: n }, once).sort((a, b) => a.wall - b.wall);
  return times[Math.floor(times.length / 2)] as CommandTime;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Read, parse, first walk, 101 more walks, heap and peak RSS, in one fresh node process. */
function measureInProcess(jsonFile: string, nodeIp: string, target: NftNodePortCase): InProcess {
  const dist = (p: string) => pathToFileURL(join(distDir, 'src', 'engine', p)).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { parseNftJson } from ${JSON.stringify(dist('nft/index.js'))};
    import { walk } from ${JSON.stringify(dist('walk/walk.js'))};
    const packet = { src: '203.0.113.7', sport: 40000, dst: ${JSON.stringify(nodeIp)}, dport: ${target.port}, proto: ${JSON.stringify(target.proto)}, inIface: 'eth0' };
    const node = { localIps: [${JSON.stringify(nodeIp)}], interfaceOf: { ${JSON.stringify(nodeIp)}: 'eth0' },
                   routes: [{ dst: 'default', dev: 'eth0' }], sysctls: { ipForward: true } };
    let t = performance.now();
    const text = readFileSync(${JSON.stringify(jsonFile)}, 'utf8');
    const read = performance.now() - t;
    globalThis.gc();
    const heap0 = process.memoryUsage().heapUsed;
    t = performance.now();
    const rs = parseNftJson(text, { source: 'bench:nft-ruleset' });
    const parse = performance.now() - t;
    const plane = { iptables: [], nft: [rs] };
    t = performance.now();
    const first = walk(plane, node, packet);
    const firstWalk = performance.now() - t;
    const again = [];
    for (let i = 0; i < 101; i++) { t = performance.now(); walk(plane, node, packet); again.push(performance.now() - t); }
    again.sort((a, b) => a - b);
    globalThis.gc();
    const heap = process.memoryUsage().heapUsed;
    if (text.length === 0 || rs === null) throw new Error('unreachable'); // keeps both alive up to here
    console.log(JSON.stringify({
      read, parse, firstWalk, walk: again[50],
      heapMb: heap / 1048576, rulesetHeapMb: (heap - heap0) / 1048576, rssMb: process.resourceUsage().maxRSS / 1024,
      outcomes: first.outcomes.map((o) => ({ probability: o.probability, verdict: o.verdict, dnat: o.dnat, indeterminate: o.indeterminate })),
    }));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`in-process measurement failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as InProcess;
}

/** The Cluster-policy TCP NodePort nearest the middle of the Service list: external → service → endpoint chains. */
function pickTarget(nodePorts: NftNodePortCase[], services: number, endpoints: number): NftNodePortCase {
  const candidates = nodePorts.filter((p) => p.policy === 'Cluster' && p.proto === 'tcp' && p.endpoints.length === endpoints && endpoints > 0);
  let best: NftNodePortCase | undefined;
  for (const c of candidates) if (!best || Math.abs(c.index - services / 2) < Math.abs(best.index - services / 2)) best = c;
  if (!best) throw new Error('the generated ruleset has no Cluster-policy TCP NodePort with endpoints');
  return best;
}

/** Problems with the walk's answer; empty when the packet is DNATed to the Service's endpoints with probabilities summing to 1. */
function walkProblems(m: InProcess, target: NftNodePortCase): string[] {
  const problems: string[] = [];
  if (m.outcomes.length === 0) problems.push('no outcome');
  const sum = m.outcomes.reduce((acc, o) => acc + o.probability, 0);
  if (Math.abs(sum - 1) > 1e-9) problems.push(`probabilities sum to ${sum}, not 1`);
  const expected = new Set(target.endpoints);
  const seen = new Set<string>();
  for (const o of m.outcomes) {
    const to = o.dnat ? `${o.dnat.ip}:${o.dnat.port ?? ''}` : null;
    if (o.verdict !== 'ACCEPT') problems.push(`an outcome is ${o.verdict}${o.indeterminate ? ` (${o.indeterminate})` : ''}`);
    if (to === null) problems.push('an outcome has no DNAT');
    else if (!expected.has(to)) problems.push(`DNAT to ${to}, not an endpoint of ${target.name}`);
    else seen.add(to);
  }
  for (const ep of expected) if (!seen.has(ep)) problems.push(`no outcome reaches endpoint ${ep}`);
  return problems;
}

function benchOne(services: number, endpoints: number, runs: number, ns: string): NftRow {
  const label = `${services >= 1000 ? `${services / 1000}k` : services} × ${endpoints}`;
  const gen = generateNftRuleset({ services, endpointsPerService: endpoints });
  const base = join(outDir, `kube-proxy-nft-${services}x${endpoints}`);
  const textFile = `${base}.nft`;
  const jsonFile = `${base}.json`;
  writeFileSync(textFile, gen.text);
  const target = pickTarget(gen.nodePorts, services, endpoints);
  const inNs = (...args: string[]) => ['netns', 'exec', ns, ...args];

  run('ip', ['netns', 'add', ns]);
  let check: CommandTime;
  let load: number;
  let dump: number;
  let netnsExec: number;
  try {
    // The namespace is empty: nft -c checks the whole ruleset (check mode never commits it).
    netnsExec = median(Array.from({ length: 5 }, () => run('ip', inNs('true'))));
    process.stderr.write(`bench: nft -c -f on ${services} services (${runs} run${runs === 1 ? '' : 's'})…\n`);
    check = timeCommand('ip', inNs('nft', '-c', '-f', textFile), runs);
    process.stderr.write(`bench: loading into netns ${ns} and listing it as JSON…\n`);
    load = run('ip', inNs('nft', '-f', textFile));
    dump = run('ip', inNs('nft', '-j', 'list', 'ruleset'), jsonFile);
  } finally {
    spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  }

  const row: NftRow = {
    label, jsonMb: statSync(jsonFile).size / 1e6, textMb: statSync(textFile).size / 1e6, counts: gen.counts,
    check, load, dump, netnsExec, target, measured: null, skipped: null,
  };
  const engine = join(distDir, 'src', 'engine', 'nft', 'index.js');
  if (!existsSync(engine)) {
    row.skipped = `${engine} is missing (run npm run build)`;
    return row;
  }
  process.stderr.write('bench: np-doctor parse + walk…\n');
  row.measured = measureInProcess(jsonFile, gen.nodeIp, target);
  return row;
}

const fmt = (ms: number | null) => (ms === null ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`;
const check = (ok: boolean) => (ok ? '✓' : '✗');

function printRows(rows: NftRow[]): void {
  const header = ['nft ruleset (JSON)', 'size', 'chains', 'rules', 'elements', 'nft -c -f (text)', 'user+sys', 'parse+walk', 'ratio (≤1.0×)', 'read', 'parse', 'first walk', 'walk', 'heap (ruleset)', 'peak RSS'];
  const table = rows.map((r) => {
    const m = r.measured;
    const cpu = r.check.user === null || r.check.sys === null ? 'n/a' : `${r.check.user.toFixed(2)}+${r.check.sys.toFixed(2)} s`;
    const cold = m ? m.parse + m.firstWalk : null;
    return [
      r.label, `${r.jsonMb.toFixed(1)} MB`, String(r.counts.chains), String(r.counts.rules), String(r.counts.elements),
      fmt(r.check.wall), cpu, fmt(cold), cold === null ? 'n/a' : `${ratio(cold, r.check.wall)} ${check(cold <= r.check.wall)}`,
      fmt(m?.read ?? null), fmt(m?.parse ?? null), fmt(m?.firstWalk ?? null), fmt(m?.walk ?? null),
      m ? `${m.heapMb.toFixed(0)} MB (${m.rulesetHeapMb.toFixed(0)} MB)` : 'n/a', m ? `${m.rssMb.toFixed(0)} MB` : 'n/a',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${line(header)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));

  for (const r of rows) {
    const t = r.target;
    console.log(`\nnft ${r.label}: text ${r.textMb.toFixed(1)} MB; load (nft -f) ${fmt(r.load)}, nft -j list ruleset ${fmt(r.dump)}; ip netns exec alone ${fmt(r.netnsExec)} (included in nft -c -f)`);
    if (r.skipped !== null || r.measured === null) {
      console.log(`nft ${r.label}: np-doctor not measured: ${r.skipped ?? 'unknown reason'}`);
      continue;
    }
    const m = r.measured;
    const problems = walkProblems(m, t);
    const dnats = m.outcomes.map((o) => `${o.dnat ? `${o.dnat.ip}:${o.dnat.port ?? ''}` : o.verdict} (${o.probability.toFixed(3)})`).join(', ');
    console.log(`walk: 203.0.113.7 → ${t.port}/${t.proto} NodePort of ${t.name} (service #${t.index}): ${m.outcomes.length} outcome(s): ${dnats} ${check(problems.length === 0)}`);
    if (problems.length > 0) {
      console.log(`walk result is wrong, so the timing means nothing: ${problems.join('; ')}`);
      process.exitCode = 1;
      continue;
    }
    const cold = m.parse + m.firstWalk;
    const pass = cold <= r.check.wall;
    console.log(`nft ${r.label}: parse+walk ${fmt(cold)} vs nft -c -f ${fmt(r.check.wall)} = ${ratio(cold, r.check.wall)} → ${pass ? 'PASS' : 'FAIL'} (target ≤ 1.0× nft -c -f; with the file read: ${ratio(cold + m.read, r.check.wall)})`);
  }
}

function sizesFromEnv(): number[] {
  const text = process.env.BENCH_NFT_SIZES ?? '10000';
  if (text === '' || text === 'none') return [];
  return text.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_NFT_SIZES: ${JSON.stringify(s)} is not a positive integer`);
    return n;
  });
}

/** Prints the nftables table (or one skip line). */
export function runNftBench(): void {
  const sizes = sizesFromEnv();
  if (sizes.length === 0) return;
  const endpoints = Number(process.env.BENCH_NFT_ENDPOINTS ?? 2);
  const runs = Number(process.env.BENCH_NFT_RUNS ?? 3);
  if (!Number.isInteger(endpoints) || endpoints < 1) throw new Error(`BENCH_NFT_ENDPOINTS must be a positive integer, got ${process.env.BENCH_NFT_ENDPOINTS}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_NFT_RUNS must be a positive integer, got ${process.env.BENCH_NFT_RUNS}`);
  if (process.getuid?.() !== 0) {
    console.log('\nnft benchmark skipped: it needs root (a network namespace for the real kernel\'s JSON, and CAP_NET_ADMIN for nft -c).');
    return;
  }
  for (const tool of ['nft', 'ip']) {
    const r = spawnSync(tool, tool === 'nft' ? ['--version'] : ['-V'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) {
      console.log(`\nnft benchmark skipped: \`${tool}\` is not installed.`);
      return;
    }
  }
  mkdirSync(outDir, { recursive: true });
  const rows: NftRow[] = [];
  for (const services of sizes) rows.push(benchOne(services, endpoints, runs, `npdbench${process.pid}`));
  printRows(rows);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runNftBench();
}
