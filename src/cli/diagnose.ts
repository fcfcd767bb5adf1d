/**
 * `np-doctor diagnose svc/NAME`: gather (or load a snapshot) → replay → checks → report.
 */
import { CHECKS } from '../../checks/index.js';
import type { Progress } from '../collect/gather-progress.js';
import { catalogue, runDiagnosis, type Diagnosis } from '../diagnose.js';
import { renderReportAs } from '../report/formats.js';
import { renderReport } from '../report/text.js';
import type { Check } from '../check-kit/define.js';
import { QuestionError, type Ask } from '../run/question.js';
import type { RunOptions } from '../run/runner.js';
import { command } from './command.js';
import { exitCodeFor, FAIL_ON_HELP, loadChecks, parseFailOn, parseFamily, parseOutput, parseProtocol, REPORT_FLAGS } from './diagnose-common.js';
import { GATHER_FLAGS, GATHER_HELP } from './gather-flags.js';
import { colorOn, inCi, outputWidth, UsageError, type Io } from './io.js';
import { checkOutputFile, OVERWRITE_HELP, writeSnapshotFile } from './output-file.js';
import { PROBE_FLAGS, PROBE_HELP, probeFlags, probeRequest } from './probe-flags.js';
import { RETURNING_CLIENT_FLAG, RETURNING_CLIENT_HELP, returningClient } from './returning-client.js';
import { checkHoldsNamespace, obtainSnapshot, snapshotSource, type SnapshotSource } from './snapshot-source.js';
import { serviceArg } from './target.js';

export const DIAGNOSE_HELP = `Usage: np-doctor diagnose svc/NAME [-n NS] [--node NODE | --node-ip IP | --all-nodes] [flags]

Names the root cause when a NodePort Service does not answer, and proves it: gathers the Service,
its endpoints and pods, the nodes, NetworkPolicies, kube-proxy and CoreDNS, and each involved
node's iptables, addresses, routes and sysctls; replays the client's connection through the real
rules node by node; reports findings with evidence and the commands that fix them. A dual-stack
Service is replayed once per address family (its IPv4 and IPv6 rules, addresses and endpoints),
with a verdict for each.

Question:
      --port PORT           Service port name or number, or the nodePort (default: the first port)
      --protocol P          tcp, udp or sctp (default: the port's protocol)
      --from IP[:PORT]      the client (default 203.0.113.7:40000, or [2001:db8::7]:40000 for IPv6, a host
                            outside the cluster); an IPv6 client replays IPv6 only: --from [2001:db8::7]:40000
      --node NODE           replay only connections that enter at NODE (at its InternalIP)
      --node-ip IP          replay connections to IP (any address of a node, IPv4 or IPv6)
      --family 4|6          replay one address family of a dual-stack Service (default: each it has)
      --all-nodes           replay every node (the default when neither --node nor --node-ip is given;
                            not with --node or --node-ip)
${RETURNING_CLIENT_HELP}

Input and output:
      --snapshot FILE       analyse a saved snapshot (np-doctor snapshot) instead of the live cluster;
                            demo: the snapshot that ships with np-doctor (a file named demo: ./demo)
      --save-snapshot FILE  also save what was gathered (FILE.gz to gzip)
${OVERWRITE_HELP}
  -o, --output FORMAT       text (default), json (the Report, schema/report.v1.json), yaml (the same),
                            sarif (SARIF 2.1.0, for code scanning), junit (a test case per check,
                            failed at --fail-on), markdown (for a ticket or a pull request)
      --timings             the Report also gives how long each check took (then two runs differ)
${FAIL_ON_HELP}
      --plugin FILE         load more checks from a JS module (repeatable)
  -v, --verbose             show every rule each branch passed
      --no-tui              plain text even in a terminal (the default when output is piped or CI is set);
                            in a terminal the live display draws on stderr, the report goes to stdout

${PROBE_HELP}
${GATHER_HELP}
Exit codes: 0 nothing at or above --fail-on and every check ran; 1 findings at or above --fail-on;
2 usage error, or a file a flag names is missing; 3 could not gather enough to decide (checks
skipped, nodes unread, the cluster unreachable); 130 interrupted. With --fail-on none: 0 whatever
the Report says; still 2 on a usage error, 3 when there is no Report (the cluster could not be
read, or the snapshot holds no data for the namespace), 130 on Ctrl-C.

Examples (the first three need no cluster: demo is the snapshot that ships with np-doctor):
  np-doctor diagnose svc/frontend -n shop --snapshot demo
  np-doctor diagnose svc/frontend -n shop --snapshot demo --node-ip 192.168.1.101
  np-doctor diagnose svc/frontend -n shop --snapshot demo -o json --fail-on warning > report.json
  np-doctor diagnose svc/frontend -n shop --node-ip fd00::101 --from 2001:db8::7
  np-doctor diagnose svc/frontend -n shop --probe
`;

const FLAGS = {
  ...GATHER_FLAGS,
  ...REPORT_FLAGS,
  ...PROBE_FLAGS,
  port: { type: 'string' },
  protocol: { type: 'string' },
  from: { type: 'string' },
  ...RETURNING_CLIENT_FLAG,
  family: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'no-tui': { type: 'boolean' },
} as const;

/** diagnose's flags, checked: what answering the question needs. */
interface DiagnoseOptions {
  /** null: the Service the snapshot file was gathered for. */
  service: string | null;
  /** -n; else the snapshot's namespace. */
  namespace: string | undefined;
  source: SnapshotSource;
  /** The question beyond its Service: port, protocol, client, ingress node. */
  ask: Omit<Ask, 'namespace' | 'service'>;
  checks: Check[];
  saveTo: { file: string; overwrite: boolean } | null;
  /** --timings: the Report keeps each check's duration. */
  timings: boolean;
}

export const run = command({
  help: DIAGNOSE_HELP,
  flags: FLAGS,
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`one Service at a time (got ${positionals.join(' ')}); np-doctor scan checks them all`);
    const output = parseOutput(values.output);
    const failOn = parseFailOn(values['fail-on']);
    const protocol = parseProtocol(values.protocol);
    const family = parseFamily(values.family);
    if (values['all-namespaces']) throw new UsageError('-A is for np-doctor scan; diagnose looks at one Service');
    const service = serviceArg(positionals[0]);
    if (service === null && values.snapshot === undefined) throw new UsageError('which Service? np-doctor diagnose svc/NAME -n NAMESPACE');
    const probing = probeFlags(values);
    const checks = await loadChecks(CHECKS, values.plugin ?? []);
    const saveTo = values['save-snapshot'] === undefined ? null : { file: values['save-snapshot'], overwrite: values.overwrite ?? false };
    if (saveTo !== null) await checkOutputFile(saveTo.file, saveTo.overwrite);
    const ask: DiagnoseOptions['ask'] = {
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(protocol !== undefined ? { protocol } : {}),
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values['node-ip'] !== undefined ? { nodeIp: values['node-ip'] } : {}),
      ...(values['all-nodes'] ? { allNodes: true } : {}),
      ...returningClient(values),
      ...(family !== undefined ? { family } : {}),
    };
    // Without a named ingress node every node is replayed, so every node is read.
    const source = snapshotSource(values.node === undefined && values['node-ip'] === undefined ? { ...values, 'all-nodes': true } : values);
    const opts: DiagnoseOptions = {
      service, namespace: values.namespace, checks, saveTo, timings: values.timings ?? false,
      source: probing === null || service === null || 'file' in source ? source : { ...source, probe: probeRequest(probing.timeoutMs, service, ask, values.namespace) },
      ask,
    };
    // Ink draws in a terminal only (on stderr): not piped, not under CI or --quiet, not for JSON or --no-tui.
    const live = output === 'text' && !values['no-tui'] && !inCi(io.env) && io.env.TERM !== 'dumb' && io.terminal !== undefined && io.progressStream !== undefined;
    const diagnosis = live ? await diagnoseLive(opts, { stdin: io.terminal!.stdin, stdout: io.progressStream! }, io) : await diagnoseOne(opts, io);
    const textOptions = { color: colorOn(io), verbose: values.verbose ?? false, width: outputWidth(io) };
    io.stdout(output === 'text' ? renderReport(diagnosis.report, textOptions) : renderReportAs(output, diagnosis.report, { checks: catalogue(checks), failOn }));
    return exitCodeFor([diagnosis], failOn);
  },
});

/**
 * In a terminal, Ink draws the gathering and the checks on stderr (`screen`), so stdout holds the
 * report alone; it follows as text. Anything else for stderr waits until Ink is done with the
 * screen, so the two never interleave.
 */
async function diagnoseLive(opts: DiagnoseOptions, screen: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream }, io: Io): Promise<Diagnosis> {
  const { runLiveDiagnose } = await import('../tui/run-diagnose.js');
  const held: string[] = [];
  const heldIo: Io = { ...io, stderr: (text) => held.push(text) };
  try {
    return await runLiveDiagnose({ ...screen, work: (progress) => diagnoseOne(opts, heldIo, progress) });
  } finally {
    for (const text of held) io.stderr(text);
  }
}

/** Progress that also shows each check as it runs (the Ink display). */
type LiveProgress = Progress & { check: NonNullable<RunOptions['onCheck']> };

/** Gathers or loads the snapshot, saves it if asked, and diagnoses the Service. */
async function diagnoseOne(opts: DiagnoseOptions, io: Io, display?: LiveProgress): Promise<Diagnosis> {
  // The Report lists what could not be gathered: not on stderr too.
  const { snapshot, file } = await obtainSnapshot(opts.source, opts.service, io, 'diagnose', { errorsOnStderr: false, display });
  if (opts.saveTo !== null) await writeSnapshotFile(snapshot, opts.saveTo.file, opts.saveTo.overwrite);
  const name = opts.service ?? snapshot.target.service;
  if (name === null) throw new UsageError(`${file} holds every NodePort Service of ${snapshot.target.namespace ?? 'the cluster'}: name one (svc/NAME), or run np-doctor scan --snapshot ${file}`);
  const namespace = opts.namespace ?? snapshot.target.namespace ?? 'default';
  checkHoldsNamespace(snapshot, namespace, file);
  try {
    const options = { checks: opts.checks, snapshotFile: file, timings: opts.timings, ...(display ? { onCheck: display.check } : {}) };
    return await runDiagnosis(snapshot, { namespace, service: name, ...opts.ask }, options);
  } catch (e) {
    if (e instanceof QuestionError) throw new UsageError(e.message);
    throw e;
  }
}
