/**
 * `npm run bench:gather`: np-doctor's API gathering at scale against kubectl, the anchor. A fake
 * API server (test/support/fake-apiserver, in its own process) holds a large cluster
 * (bench/gather-objects.ts); then, taking turns so load on a shared machine falls on all alike:
 *
 *   - np-doctor's API gathering for `scan -A` (gatherCluster, in a fresh process; its own clock
 *     around the reads, and the process's wall time and peak RSS);
 *   - `kubectl get services,endpointslices,pods,nodes,networkpolicies,namespaces -A -o json` of the
 *     same objects (kubectl's default --chunk-size 500), its JSON written to a file;
 *   - with dist/ built, `np-doctor snapshot -A --collect none` end to end (gather and write).
 *
 * It prints the median of each and the ratios to kubectl; the target is to be no slower and no
 * heavier than kubectl (ratio ≤ 1). kubectl is the one `npm run lab:build` built from Go modules
 * (~/.cache/np-doctor/k8s/VERSION/bin), else kubectl on PATH.
 *
 *   BENCH_GATHER_SERVICES=10000  BENCH_GATHER_ENDPOINTS=3  BENCH_GATHER_NODES=100
 *   BENCH_GATHER_NAMESPACES=50   BENCH_GATHER_RUNS=3
 *
 * Roles of this file in the child processes: `--serve` (the fake API server) and `--np-doctor
 * KUBECONFIG` (one API gathering).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clusterObjects, type ClusterSize } from './gather-objects.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const KINDS = ['services', 'endpointslices', 'pods', 'nodes', 'networkpolicies', 'namespaces'] as const;

export interface Measured {
  /** Wall time of the process, ms. */
  ms: number;
  /** Peak RSS of the process, MB. */
  rssMb: number;
}

export interface GatherBenchResult {
  size: ClusterSize;
  kubectl: string;
  runs: number;
  /** np-doctor's own clock around gatherCluster (no process start, no module loading). */
  npDoctorApiMs: number;
  npDoctor: Measured;
  kubectlGet: Measured & { items: number; mb: number };
  /** `np-doctor snapshot -A --collect none`, when dist/src/cli.js is built. */
  snapshotCli: (Measured & { mb: number }) | null;
  /** What np-doctor kept, by kind: the NodePort Services' namespaces only, so at most kubectl's. */
  kept: Record<string, number>;
}

/** The kubectl to compare with: the newest lab build, else PATH's. */
async function findKubectl(): Promise<string> {
  const { k8sCache, pinnedVersions, binary } = await import('../test/support/k8s-lab/binaries.js');
  for (const v of [...pinnedVersions()].reverse()) {
    if (existsSync(binary(v, 'kubectl'))) return binary(v, 'kubectl');
  }
  const onPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((f) => existsSync(f));
  if (onPath === undefined) throw new Error(`no kubectl: none built in ${k8sCache()} (npm run lab:build) and none on PATH`);
  return onPath;
}

/** Runs argv under /usr/bin/time; wall ms, peak RSS and stdout (or stdout into `toFile`). */
async function measure(argv: string[], toFile?: string): Promise<Measured & { stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'npd-bench-time-'));
  const timeFile = join(dir, 'time');
  const script = toFile === undefined ? argv : ['sh', '-c', 'exec "$@" > "$0"', toFile, ...argv];
  const t0 = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const p = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
    p.on('close', (c) => done({ code: c, stdout: out, stderr: err }));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const kb = Number((await readFile(timeFile, 'utf8')).trim().split('\n').at(-1));
  await rm(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${code}): ${stderr}`);
  return { ms, rssMb: kb / 1024, stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchGather(size: ClusterSize, runs: number): Promise<GatherBenchResult> {
  const kubectl = await findKubectl();
  const work = await mkdtemp(join(tmpdir(), 'npd-bench-gather-'));
  const server = spawn(process.execPath, ['--import', 'tsx', self, '--serve', JSON.stringify(size)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const first = await new Promise<string>((ok, fail) => {
      createInterface({ input: server.stdout }).once('line', ok);
      server.once('exit', (c) => fail(new Error(`the fake API server exited (${c})`)));
    });
    const { kubeconfig } = JSON.parse(first) as { kubeconfig: string };
    const cli = join(root, 'dist', 'src', 'cli.js');
    const haveCli = existsSync(cli);
    const api: number[] = [];
    const np: Measured[] = [];
    const kc: Measured[] = [];
    const snap: Measured[] = [];
    let kept: Record<string, number> = {};
    let items = 0;
    let kubectlMb = 0;
    let snapMb = 0;
    // One round first to warm the fake server's caches and the page cache; not counted.
    for (let round = 0; round <= runs; round++) {
      const a = await measure([process.execPath, '--import', 'tsx', self, '--np-doctor', kubeconfig]);
      const r = JSON.parse(a.stdout) as { ms: number; kept: Record<string, number> };
      const out = join(work, 'kubectl.json');
      const k = await measure([kubectl, '--kubeconfig', kubeconfig, 'get', KINDS.join(','), '-A', '-o', 'json'], out);
      if (round === 0) {
        items = (JSON.parse(await readFile(out, 'utf8')) as { items: unknown[] }).items.length;
        kubectlMb = (await stat(out)).size / 2 ** 20;
        kept = r.kept;
      }
      let s: Measured | undefined;
      if (haveCli) {
        const file = join(work, 'snapshot.json');
        s = await measure([process.execPath, cli, 'snapshot', '-A', '--collect', 'none', '--kubeconfig', kubeconfig, '-o', file, '--overwrite']);
        if (round === 0) snapMb = (await stat(file)).size / 2 ** 20;
      }
      if (round === 0) continue;
      api.push(r.ms);
      np.push(a);
      kc.push(k);
      if (s !== undefined) snap.push(s);
    }
    const med = (xs: Measured[]): Measured => ({ ms: median(xs.map((x) => x.ms)), rssMb: median(xs.map((x) => x.rssMb)) });
    return {
      size, kubectl, runs, npDoctorApiMs: median(api), npDoctor: med(np),
      kubectlGet: { ...med(kc), items, mb: kubectlMb },
      snapshotCli: haveCli ? { ...med(snap), mb: snapMb } : null,
      kept,
    };
  } finally {
    server.stdin.end();
    await new Promise((ok) => server.once('close', ok));
    await rm(work, { recursive: true, force: true });
  }
}

export function renderGatherBench(r: GatherBenchResult): string {
  const { size: z } = r;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}× ${a / b <= 1 ? 'ok' : 'OVER'}`;
  const rows: string[][] = [
    ['', 'time', '/ kubectl (≤1)', 'peak RSS', '/ kubectl (≤1)'],
    ['kubectl get … -A -o json', `${(r.kubectlGet.ms / 1000).toFixed(2)} s`, '', `${r.kubectlGet.rssMb.toFixed(0)} MB`, ''],
    ['np-doctor API gathering (process)', `${(r.npDoctor.ms / 1000).toFixed(2)} s`, ratio(r.npDoctor.ms, r.kubectlGet.ms), `${r.npDoctor.rssMb.toFixed(0)} MB`, ratio(r.npDoctor.rssMb, r.kubectlGet.rssMb)],
    ['  of which the reads (own clock)', `${(r.npDoctorApiMs / 1000).toFixed(2)} s`, ratio(r.npDoctorApiMs, r.kubectlGet.ms), '', ''],
    ...(r.snapshotCli === null ? [['np-doctor snapshot -A --collect none', 'not run: npm run build first', '', '', '']]
      : [['np-doctor snapshot -A --collect none', `${(r.snapshotCli.ms / 1000).toFixed(2)} s`, ratio(r.snapshotCli.ms, r.kubectlGet.ms), `${r.snapshotCli.rssMb.toFixed(0)} MB`, ratio(r.snapshotCli.rssMb, r.kubectlGet.rssMb)]]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  const kept = Object.entries(r.kept).map(([k, n]) => `${n} ${k}`).join(', ');
  return [
    `API gathering: ${z.services} NodePort Services × ${z.endpointsPerService} endpoints (pods) in ${z.namespaces} namespaces, ${z.nodes} nodes; median of ${r.runs}`,
    `kubectl: ${r.kubectl}; ${r.kubectlGet.items} objects, ${r.kubectlGet.mb.toFixed(1)} MB of JSON` +
      (r.snapshotCli === null ? '' : `; np-doctor's snapshot ${r.snapshotCli.mb.toFixed(1)} MB`),
    `np-doctor kept ${kept}`,
    table,
  ].join('\n');
}

/** Child role: the fake API server with the cluster; prints its kubeconfig, stops when stdin closes. */
async function serve(size: ClusterSize): Promise<void> {
  const { startFakeApiserver } = await import('../test/support/fake-apiserver/index.js');
  const server = await startFakeApiserver({ objects: clusterObjects(size) });
  process.stdout.write(`${JSON.stringify({ kubeconfig: await server.writeKubeconfig({ context: 'bench' }) })}\n`);
  process.stdin.resume();
  await new Promise((ok) => process.stdin.once('end', ok));
  await server.stop();
}

/** Child role: one API gathering as `np-doctor scan -A` does it; prints its own time and what it kept. */
async function gatherOnce(kubeconfig: string): Promise<void> {
  const { resolveKubeconfig } = await import('../src/collect/kube/kubeconfig.js');
  const { makeKubeApi } = await import('../src/collect/kube/api.js');
  const { gatherCluster } = await import('../src/collect/kube/cluster.js');
  const { SILENT } = await import('../src/collect/gather-progress.js');
  const kube = await resolveKubeconfig({ kubeconfig, env: {}, homeDir: '/nonexistent' });
  const t0 = process.hrtime.bigint();
  const api = await makeKubeApi(kube.kc, kube.server, 60_000);
  const { cluster, errors } = await gatherCluster(api, { namespace: null, service: null }, SILENT);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const failed = errors.filter((e) => e.code !== 404);
  if (failed.length > 0) throw new Error(`gathering failed: ${JSON.stringify(failed).slice(0, 2000)}`);
  const kept = { services: cluster.services.length, endpointslices: cluster.endpointSlices.length, pods: cluster.pods.length, nodes: cluster.nodes.length, networkpolicies: cluster.networkPolicies.length, namespaces: cluster.namespaces?.length ?? 0 };
  process.stdout.write(`${JSON.stringify({ ms, kept })}\n`);
}

function sizeFromEnv(): ClusterSize {
  const n = (name: string, fallback: number) => {
    const v = Number(process.env[name] ?? fallback);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name}=${process.env[name]}: expected a whole number above 0`);
    return v;
  };
  return {
    services: n('BENCH_GATHER_SERVICES', 10_000),
    endpointsPerService: n('BENCH_GATHER_ENDPOINTS', 3),
    nodes: n('BENCH_GATHER_NODES', 100),
    namespaces: n('BENCH_GATHER_NAMESPACES', 50),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [role, arg] = process.argv.slice(2);
  const run = role === '--serve' ? serve(JSON.parse(arg!) as ClusterSize)
    : role === '--np-doctor' ? gatherOnce(arg!)
    : benchGather(sizeFromEnv(), Number(process.env.BENCH_GATHER_RUNS ?? 3)).then((r) => console.log(renderGatherBench(r)));
  run.catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
