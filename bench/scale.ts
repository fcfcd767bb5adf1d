/**
 * `npm run bench:scale`: np-doctor on large clusters (issue 18). For each size it generates a
 * consistent snapshot (gen-snapshot.ts), then measures, each in a fresh process with its peak RSS:
 * reading the file's bytes (the reference: a bare `node`), loading it, loading and writing it
 * again, `diagnose svc/x` on the default nodes and on every node, `scan -A`, and the TUI's first
 * pass (its first screen of badges, then all of them). It prints a table with each time and peak
 * RSS against the issue's targets, and its ratio to the reference read, so it reads the same on
 * any machine. An operation that runs past its timeout (2× its target, else BENCH_SCALE_TIMEOUT;
 * generating: 15 s per node) is stopped and shows "> timeout".
 *
 *   BENCH_SCALE=3x1000,10x10000,100x10000 (default)   BENCH_SCALE_TIMEOUT=300 (seconds, untargeted operations)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const dist = (p: string): string => pathToFileURL(join(root, 'dist', p)).href;
const cli = join(root, 'dist', 'src', 'cli.js');
const MiB = 1024 * 1024;

interface Size {
  label: string;
  nodes: number;
  services: number;
}

function sizes(): Size[] {
  return (process.env.BENCH_SCALE ?? '3x1000,10x10000,100x10000').split(',').map((text) => {
    const m = /^(\d+)x(\d+)$/.exec(text.trim());
    if (m === null) throw new Error(`BENCH_SCALE: "${text}" is not NODESxSERVICES (e.g. 10x10000)`);
    return { label: `${m[1]} × ${Number(m[2]) / 1000}k`, nodes: Number(m[1]), services: Number(m[2]) };
  });
}

const untargetedTimeoutMs = 1000 * Number(process.env.BENCH_SCALE_TIMEOUT ?? 300);

type Op = 'generate' | 'reference' | 'read' | 'write' | 'diagnose' | 'all-nodes' | 'scan' | 'tui-first' | 'tui-all';

const OP_NAMES: Record<Op, string> = {
  generate: 'generate (gen-snapshot.ts)',
  reference: 'reference: node reads the bytes',
  read: 'read (loadSnapshot)',
  write: 'write (load + save again)',
  diagnose: 'diagnose svc/x',
  'all-nodes': 'diagnose svc/x --all-nodes',
  scan: 'scan -A',
  'tui-first': 'TUI first screen of badges',
  'tui-all': 'TUI all badges',
};

interface Target {
  ms?: number;
  rssMb?: number;
}

/** The issue's targets, per "NODESxSERVICES". */
const TARGETS: Record<string, Partial<Record<Op, Target>>> = {
  '100x10000': { write: { rssMb: 4096 }, read: { rssMb: 4096 }, diagnose: { ms: 10_000, rssMb: 2048 }, 'all-nodes': { ms: 60_000 } },
  '10x10000': { scan: { ms: 300_000 }, 'tui-first': { ms: 3_000 }, 'tui-all': { ms: 300_000 } },
  '3x1000': { scan: { ms: 10_000 } },
};

interface Result {
  op: Op;
  /** Wall time in ms; for a timeout, the limit. */
  ms: number | null;
  rssMb: number | null;
  status: 'ok' | 'failed' | 'timeout' | 'skipped';
  note: string;
}

/** Writes the process's peak RSS (KiB) where BENCH_RSS_FILE says, at exit. */
const RSS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import { writeFileSync } from 'node:fs'; process.on('exit', () => { if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); });",
)}`;

interface Run {
  ms: number;
  rssMb: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node ARGS` with the peak-RSS preload, killing it at the timeout. Peak RSS comes from the
 * preload at exit; a process stopped at its timeout never exits on its own, so for it the last
 * VmHWM read from /proc (polled) stands in.
 */
function runNode(args: string[], timeoutMs: number, onLine?: (line: string) => void): Promise<Run> {
  const rssFile = join(outDir, `rss-${process.pid}.txt`);
  rmSync(rssFile, { force: true });
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', RSS_PRELOAD, ...args], { cwd: root, env: { ...process.env, BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      // Keep the first MiB: enough for every result read here, bounded for scan's long lists.
      if (outBytes < MiB) out.push(b);
      outBytes += b.length;
      if (onLine !== undefined) {
        const lines = (partial + b.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        lines.forEach(onLine);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    let hwmKb: number | null = null;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m !== null) hwmKb = Number(m[1]);
      } catch {
        // The process has just ended; its preload has the exact figure.
      }
    }, 250);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      const ms = performance.now() - started;
      let rssKb: number | null = hwmKb;
      try {
        rssKb = Number(readFileSync(rssFile, 'utf8'));
      } catch {
        // Killed, or died before its exit handler: keep the polled figure.
      }
      rmSync(rssFile, { force: true });
      done({ ms, rssMb: rssKb === null ? null : rssKb / 1024, code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The line of stderr that says why: V8's fatal error (out of memory) if there is one, else the first. */
function why(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return (lines.find((l) => l.startsWith('FATAL ERROR')) ?? lines[0] ?? '').slice(0, 80);
}

const ended = (r: Run): string => (r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`);

/**
 * One operation as a Result. For np-doctor's commands, 0 (answered), 1 (findings) and 3 (answered,
 * but something undecided: a check that ran past its own timeout, for one) all mean it finished;
 * the table notes a code other than 0.
 */
async function measure(op: Op, key: string, args: string[], okCodes: number[] = [0], timeoutMs = timeoutOf(key, op)): Promise<Result & { stdout: string }> {
  process.stderr.write(`bench:scale: ${key} ${OP_NAMES[op]}…\n`);
  const r = await runNode(args, timeoutMs);
  if (r.timedOut) return { op, ms: timeoutMs, rssMb: r.rssMb, status: 'timeout', note: '', stdout: r.stdout };
  const ok = r.code !== null && okCodes.includes(r.code);
  const note = ok ? (r.code === 0 ? '' : ended(r)) : `${ended(r)}: ${why(r.stderr)}`;
  return { op, ms: r.ms, rssMb: r.rssMb, status: ok ? 'ok' : 'failed', note, stdout: r.stdout };
}

/** Twice the operation's target, else BENCH_SCALE_TIMEOUT. */
function timeoutOf(key: string, op: Op): number {
  const target = TARGETS[key]?.[op];
  return target?.ms !== undefined ? 2 * target.ms : untargetedTimeoutMs;
}

/** Generating takes about a second per node of 10k Services on an idle machine: it gets 15 s per node, at least BENCH_SCALE_TIMEOUT. */
const GENERATE_MS_PER_NODE = 15_000;

/** A child `node --input-type=module -e SCRIPT`. */
const script = (text: string): string[] => ['--input-type=module', '-e', text];

interface Case {
  namespace: string;
  service: string;
}

async function benchSize(size: Size): Promise<Result[]> {
  const key = `${size.nodes}x${size.services}`;
  const file = join(outDir, `scale-${key}.jsonl`);
  const results: Result[] = [];
  rmSync(file, { force: true });
  const gen = await measure('generate', key, ['--import', 'tsx', join(root, 'bench', 'gen-snapshot.ts'), '--nodes', String(size.nodes), '--services', String(size.services), '-o', file, '--overwrite'], [0], Math.max(untargetedTimeoutMs, size.nodes * GENERATE_MS_PER_NODE));
  results.push(gen);
  if (gen.status !== 'ok') {
    const rest: Op[] = ['reference', 'read', 'write', 'diagnose', 'all-nodes', 'scan', 'tui-first', 'tui-all'];
    return [...results, ...rest.map((op): Result => ({ op, ms: null, rssMb: null, status: 'skipped', note: 'no snapshot file' }))];
  }
  const generated = JSON.parse(gen.stdout) as { cases: (Case & { expect: { health: string } })[] };
  const healthy = generated.cases.find((c) => c.expect.health === 'ok');
  if (healthy === undefined) throw new Error(`${key}: the generator found no healthy Service to diagnose`);
  const quoted = JSON.stringify(file);
  results.push(await measure('reference', key, ['-e', `require('fs').readFileSync(${quoted})`]));
  results.push(await measure('read', key, script(`import { loadSnapshot } from ${JSON.stringify(dist('src/snapshot/file.js'))}; await loadSnapshot(${quoted});`)));
  const again = join(outDir, `scale-${key}.again.jsonl`);
  results.push(await measure('write', key, script(
    `import { loadSnapshot } from ${JSON.stringify(dist('src/snapshot/file.js'))};
     import { writeSnapshotStream } from ${JSON.stringify(dist('src/snapshot/stream-write.js'))};
     await writeSnapshotStream(${JSON.stringify(again)}, await loadSnapshot(${quoted}), { overwrite: true });`,
  )));
  rmSync(again, { force: true });
  const svc = [`svc/${healthy.service}`, '-n', healthy.namespace, '--snapshot', file, '-o', 'json'];
  const answered = [0, 1, 3];
  results.push(await measure('diagnose', key, [cli, 'diagnose', ...svc], answered));
  results.push(await measure('all-nodes', key, [cli, 'diagnose', ...svc, '--all-nodes'], answered));
  results.push(await measure('scan', key, [cli, 'scan', '-A', '--snapshot', file], answered));
  results.push(...await benchTui(key, file));
  return results.map(({ op, ms, rssMb, status, note }) => ({ op, ms, rssMb, status, note }));
}

/** Rows of the service list on a 24-line terminal (App: rows - 5 for the body; ServiceList: 3 for its header). */
const SCREEN_ROWS = 16;

/**
 * The TUI's first pass, driven through its Session (src/tui/state) in a child process rather than
 * in a terminal: the badges are the Session's first-pass health per Service, which is what Ink
 * draws, without a terminal's timing in the way. Times count from the process start (loading the
 * snapshot included). The child prints the first screen's time as soon as it has it, so it is
 * kept when the whole pass runs past its timeout.
 */
async function benchTui(key: string, file: string): Promise<Result[]> {
  const timeoutMs = timeoutOf(key, 'tui-all');
  process.stderr.write(`bench:scale: ${key} TUI first pass…\n`);
  const child = `
    import { CHECKS } from ${JSON.stringify(dist('checks/index.js'))};
    import { loadSnapshot } from ${JSON.stringify(dist('src/snapshot/file.js'))};
    import { Session } from ${JSON.stringify(dist('src/tui/state/session.js'))};
    import { visibleRows } from ${JSON.stringify(dist('src/tui/state/services.js'))};
    const snapshot = await loadSnapshot(${JSON.stringify(file)});
    const session = new Session({ checks: CHECKS, snapshot, file: ${JSON.stringify(file)}, namespace: null, cwd: process.cwd() });
    let first = false;
    await new Promise((resolve) => {
      const check = () => {
        const s = session.getState();
        const rows = visibleRows(s.services, s.namespace, '');
        if (!first && rows.slice(0, ${SCREEN_ROWS}).every((r) => s.health[r.key] !== undefined)) {
          first = true;
          console.log(JSON.stringify({ first: performance.now() }));
        }
        if (rows.every((r) => s.health[r.key] !== undefined)) resolve();
      };
      session.subscribe(check);
      check();
    });
    console.log(JSON.stringify({ all: performance.now() }));
    await session.stop();
  `;
  let firstMs: number | null = null;
  const r = await runNode(script(child), timeoutMs, (line) => {
    if (line.startsWith('{"first"')) firstMs = (JSON.parse(line) as { first: number }).first;
  });
  const allLine = r.stdout.split('\n').find((l) => l.startsWith('{"all"'));
  const failed = !r.timedOut && (r.code !== 0 || allLine === undefined);
  const note = failed ? `${ended(r)}: ${why(r.stderr)}` : '';
  const first: Result = firstMs !== null
    ? { op: 'tui-first', ms: firstMs, rssMb: null, status: 'ok', note: '' }
    : { op: 'tui-first', ms: r.timedOut ? timeoutMs : null, rssMb: null, status: r.timedOut ? 'timeout' : 'failed', note };
  const all: Result = r.timedOut
    ? { op: 'tui-all', ms: timeoutMs, rssMb: r.rssMb, status: 'timeout', note: '' }
    : { op: 'tui-all', ms: allLine === undefined ? null : (JSON.parse(allLine) as { all: number }).all, rssMb: r.rssMb, status: failed ? 'failed' : 'ok', note };
  return [first, all];
}

// ---------------------------------------------------------------------------------------------
// The table

const seconds = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const megabytes = (mb: number): string => (mb >= 1024 ? `${(mb / 1024).toFixed(2)} GB` : `${mb.toFixed(0)} MB`);
const mark = (ok: boolean): string => (ok ? '✓' : '✗');

function timeCell(r: Result): string {
  if (r.status === 'skipped') return `– (${r.note})`;
  if (r.status === 'timeout') return `> ${seconds(r.ms ?? 0)} timeout`;
  if (r.status === 'failed' || r.ms === null) return `failed (${r.note})`;
  return r.note === '' ? seconds(r.ms) : `${seconds(r.ms)} (${r.note})`;
}

function targetCell(r: Result, target: Target | undefined): string {
  const parts: string[] = [];
  if (target?.ms !== undefined) {
    const within = r.status === 'ok' && r.ms !== null && r.ms <= target.ms;
    const over = r.status === 'timeout' ? '> ' : '';
    const measured = r.ms !== null && (r.status === 'ok' || r.status === 'timeout');
    parts.push(`${measured ? `${over}${((r.ms ?? 0) / target.ms).toFixed(2)}×` : '–'} of ${seconds(target.ms)} ${mark(within)}`);
  }
  if (target?.rssMb !== undefined) {
    const within = r.status === 'ok' && r.rssMb !== null && r.rssMb <= target.rssMb;
    parts.push(`${r.rssMb === null ? '–' : `${(r.rssMb / target.rssMb).toFixed(2)}×`} of ${megabytes(target.rssMb)} RSS ${mark(within)}`);
  }
  return parts.join(', ');
}

function printTable(size: Size, fileBytes: number | null, results: Result[]): void {
  const key = `${size.nodes}x${size.services}`;
  const reference = results.find((r) => r.op === 'reference' && r.status === 'ok')?.ms ?? null;
  const header = ['operation', 'time', '× reference', 'peak RSS', 'target'];
  const rows = results.map((r) => [
    OP_NAMES[r.op],
    timeCell(r),
    reference === null || r.ms === null || r.op === 'reference' || r.status === 'skipped' ? '' : `${r.status === 'timeout' ? '> ' : ''}${(r.ms / reference).toFixed(0)}×`,
    r.rssMb === null ? '' : megabytes(r.rssMb),
    targetCell(r, TARGETS[key]?.[r.op]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(`\n${size.label} Services (${size.nodes} nodes × ${size.services} Services)${fileBytes === null ? '' : `: snapshot file ${megabytes(fileBytes / MiB)}`}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

mkdirSync(outDir, { recursive: true });
for (const size of sizes()) {
  const results = await benchSize(size);
  const file = join(outDir, `scale-${size.nodes}x${size.services}.jsonl`);
  let bytes: number | null = null;
  try {
    bytes = statSync(file).size;
  } catch {
    // Not written: the generate row says why.
  }
  printTable(size, bytes, results);
  rmSync(file, { force: true });
}
console.log(`\nTimes are wall times of fresh processes; "× reference" divides by a bare node reading the same file. The TUI rows drive its Session's first pass (${SCREEN_ROWS} rows make the first screen: a 24-line terminal).`);
