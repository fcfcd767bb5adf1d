/**
 * Assembles the Report from a finished analysis: the question, the replayed paths, the check
 * results. The verdict is what the client sees on each ingress node, said in one line; for a
 * dual-stack Service, one verdict per address family and a line that says each in turn.
 */
import { hostPort } from '../engine/address.js';
import type { ClientResult, NodePath } from '../engine/path.js';
import { renderCommand } from '../check-kit/command.js';
import type { Analysis } from '../check-kit/context.js';
import { endpointSlicesOf } from '../check-kit/cluster-queries.js';
import { CHECK_STATUSES, SEVERITIES, type Finding } from '../check-kit/model.js';
import type { RunResult } from '../run/runner.js';
import type { Family } from '../model/node-data.js';
import type { Probe } from '../snapshot/probe.js';
import { VERSION } from '../version.js';
import { fingerprintOf, type FingerprintScope } from './fingerprint.js';
import { CLIENT_RESULTS, REPORT_API_VERSION, type Report, type ReportFamilyVerdict, type ReportFinding, type ReportNodeVerdict } from './model.js';
import { markSameWalks } from './same-walk.js';

const SAYS: Record<ClientResult, string> = {
  delivered: 'reach a pod',
  refused: 'are refused',
  timeout: 'time out',
  blocked: 'are blocked (ICMP error)',
  indeterminate: 'cannot be decided',
};

/** One address family's analysis and the checks run on it. */
export interface FamilyAnalysis {
  ctx: Analysis;
  run: RunResult;
}

export interface ReportMeta {
  snapshotFile: string | null;
  /** Keep each check's durationMs (--timings); without it two runs on one snapshot give the same Report. */
  timings?: boolean;
  /** A check's documentation page, or undefined (a plugin's check has none of np-doctor's). */
  docsUrlOf?: (checkId: string) => string | undefined;
}

/**
 * `analyses`: one per family replayed, primary first (one for a single-family question); `run`:
 * their checks merged (run/families.ts).
 */
export function buildReport(analyses: readonly FamilyAnalysis[], run: RunResult, meta: ReportMeta): Report {
  const ctx = analyses[0]!.ctx;
  const { question: q, snapshot } = ctx;
  const families = analyses.map(familyVerdict);
  const nodes = families.flatMap((f) => f.nodes);
  const probes = snapshot.probes === undefined ? undefined : [...new Set(analyses.flatMap((a) => probesFor(a.ctx, snapshot.probes!)))];
  const scope: FingerprintScope = { namespace: q.namespace, service: q.service, port: q.port };
  const findings = run.findings.map((f) => findingOut(f, scope, meta.docsUrlOf?.(f.id)));
  // The Report keeps each skip's words and each gather error's words: the kinds beside them are
  // for np-doctor's own decisions (the exit code, which checks a gather error skips).
  const checks = run.checks.map(({ unmet: _kinds, durationMs, ...c }) => (meta.timings === true ? { ...c, durationMs } : c));
  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'Report',
    tool: { name: 'np-doctor', version: VERSION },
    snapshot: {
      createdAt: snapshot.createdAt, context: snapshot.source.context, collect: snapshot.source.collect, file: meta.snapshotFile,
      ...(snapshot.source.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    },
    target: {
      namespace: q.namespace,
      service: q.service,
      port: q.port === null ? null : { name: q.port.name, port: q.port.port, nodePort: q.port.nodePort, protocol: q.port.protocol },
      client: q.client,
    },
    verdict: {
      summary: families.length === 1 ? families[0]!.summary : dualSummary(families, analyses), nodes, families,
      ...(q.notReplayed !== undefined ? { notReplayed: q.notReplayed } : {}),
    },
    summary: {
      findings: tally(SEVERITIES, findings.map((f) => f.severity)),
      checks: tally(CHECK_STATUSES, checks.map((c) => c.status)),
      nodes: tally(CLIENT_RESULTS, nodes.map((n) => n.result)),
    },
    findings,
    paths: markSameWalks(analyses.flatMap((a) => a.ctx.paths.map((p) => pathOut(p, a.ctx.question.family)))),
    checks,
    gatherErrors: snapshot.errors.map(({ step: _step, ...e }) => e),
    ...(probes !== undefined ? { probes } : {}),
  };
}

function familyVerdict({ ctx, run }: FamilyAnalysis): ReportFamilyVerdict {
  const family = ctx.question.family;
  const nodes = ctx.paths.map((p) => nodeVerdict(p, family));
  return { family, client: ctx.question.client, summary: summary(ctx, nodes, run), nodes };
}

/**
 * `IPv4 answers; IPv6: connections to port 30080 time out on node-1 (fd00::1): …`: a family whose
 * nodes all deliver and whose own checks found nothing (info aside) answers; any other says its line.
 */
function dualSummary(families: readonly ReportFamilyVerdict[], analyses: readonly FamilyAnalysis[]): string {
  return families.map((f, i) => {
    const clean = f.nodes.length > 0 && f.nodes.every((n) => n.result === 'delivered') && !analyses[i]!.run.findings.some((x) => x.severity !== 'info');
    return clean ? `${familyName(f.family)} answers` : `${familyName(f.family)}: ${f.summary}`;
  }).join('; ');
}

export const familyName = (f: Family): string => `IPv${f}`;

/**
 * The probes that belong to this question: to its nodePort, or to its Service port's endpoints. A
 * snapshot gathered for one Service may be read for another (the interactive session).
 */
function probesFor(ctx: Analysis, probes: readonly Probe[]): Probe[] {
  const port = ctx.question.port;
  if (ctx.service === null || port === null) return [];
  const endpoints = new Set(endpointSlicesOf(ctx.cluster, ctx.question.family).used(ctx.service, port).map((e) => `${e.address} ${e.port}`));
  return probes.filter((p) => p.protocol === port.protocol.toUpperCase() && (p.kind === 'node-to-pod' ? endpoints.has(`${p.ip} ${p.port}`) : p.port === port.nodePort));
}

/** Every key of `keys` with how often it occurs in `values`, in the keys' order. */
function tally<K extends string>(keys: readonly K[], values: readonly K[]): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const v of values) out[v] += 1;
  return out;
}

/** Commands leave the run as the lines a person copies, with their words beside them. */
function findingOut(f: Finding, scope: FingerprintScope, docsUrl: string | undefined): ReportFinding {
  const { commands, ...rest } = f.remediation;
  return {
    ...f,
    fingerprint: fingerprintOf(f, scope),
    ...(docsUrl === undefined ? {} : { docsUrl }),
    remediation: { ...rest, commands: commands.map(renderCommand), pipelines: commands.map((c) => c.pipeline.map((stage) => [...stage])) },
  };
}

function nodeVerdict(p: NodePath, family: Family): ReportNodeVerdict {
  const failing = p.branches.filter((b) => b.result === p.result).sort((a, b) => b.probability - a.probability)[0];
  const why = p.unavailable ?? (p.result === 'delivered' ? 'every branch reaches a pod' : failing?.why ?? 'no outcome');
  return { node: p.node, address: p.address, port: p.port, result: p.unavailable ? 'indeterminate' : p.result, deliveredShare: p.deliveredShare, why, family };
}

function summary(ctx: Analysis, nodes: ReportNodeVerdict[], run: RunResult): string {
  const q = ctx.question;
  const top = run.findings.find((f) => f.severity !== 'info') ?? null;
  const svc = `${q.namespace}/${q.service}`;
  if (nodes.length === 0) {
    return top ? `Service ${svc}: ${top.message}` : `Service ${svc}: nothing to replay (${q.port === null ? 'no port' : 'no nodePort'})`;
  }
  const port = nodes[0]!.port;
  let head: string;
  if (nodes.length === 1) {
    const n = nodes[0]!;
    head = `connections to ${hostPort(n.address, port)} ${SAYS[n.result]}${partial(n)}`;
  } else {
    const groups = new Map<ClientResult, ReportNodeVerdict[]>();
    for (const n of nodes) groups.set(n.result, [...(groups.get(n.result) ?? []), n]);
    const order: ClientResult[] = ['timeout', 'blocked', 'refused', 'indeterminate', 'delivered'];
    const parts = order.filter((r) => groups.has(r)).map((r) => `${SAYS[r]} on ${groups.get(r)!.map((n) => `${n.node} (${n.address})${partial(n)}`).join(', ')}`);
    head = `connections to port ${port} ${parts.join('; ')}`;
  }
  const allGood = nodes.every((n) => n.result === 'delivered');
  // A cause only --probe saw contradicts the replay's "reach a pod": say which is which.
  if (top !== null && top.evidence.some((e) => e.kind === 'probe') && nodes.some((n) => n.result === 'delivered')) {
    return `by the nodes' rules, ${head}; on the wire: ${top.message}`;
  }
  if (top !== null) return `${head}: ${top.message}`;
  if (allGood) return head;
  const why = nodes.find((n) => n.result !== 'delivered')?.why;
  return why ? `${head}: ${why}` : head;
}

function partial(n: ReportNodeVerdict): string {
  return n.result !== 'delivered' && n.deliveredShare > 0 ? ` (${Math.round((1 - n.deliveredShare) * 100)}% of connections)` : '';
}

function pathOut(p: NodePath, family: Family): Report['paths'][number] {
  return {
    node: p.node, family, address: p.address, port: p.port, protocol: p.protocol, result: p.result, deliveredShare: p.deliveredShare,
    unavailable: p.unavailable, assumptions: p.assumptions,
    branches: p.branches.map((b) => ({
      probability: b.probability, result: b.result, failedAt: b.failedAt, why: b.why, backend: b.backend, sourceAtPod: b.sourceAtPod,
      stages: b.stages.map((s) => ({
        stage: s.stage, ...(s.node !== undefined ? { node: s.node } : {}), ok: s.ok, summary: s.summary,
        ...(s.outcome ? { hops: s.outcome.hops } : {}),
      })),
    })),
  };
}
