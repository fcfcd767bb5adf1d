/**
 * `np-doctor diagnose svc/NAME`: gather (or load a snapshot) → replay → checks → report.
 */
import { CHECKS } from '../../checks/index.js';
import type { Progress } from '../collect/progress.js';
import type { Report } from '../report/model.js';
import type { Check } from '../check-kit/define.js';
import type { RunOptions } from '../run/runner.js';
import { renderReport } from '../report/text.js';
import { diagnose } from '../run/diagnose.js';
import { QuestionError } from '../run/question.js';
import { parseFlags } from './flags.js';
import { GATHER_FLAGS, GATHER_HELP } from './gather-flags.js';
import { checkOutputFile, OVERWRITE_FLAG, OVERWRITE_HELP, writeSnapshotFile } from './output-file.js';
import { EXIT, inCi, UsageError, type Io } from './io.js';
import { exitCodeFor, loadChecks, obtainSnapshot, parseFailOn, parseOutput, parseProtocol } from './diagnose-common.js';
import { serviceArg } from './target.js';

export const DIAGNOSE_HELP = `Usage: np-doctor diagnose svc/NAME [-n NS] [--node NODE | --node-ip IP | --all-nodes] [flags]

Names the root cause when a NodePort Service does not answer, and proves it: gathers the Service,
its endpoints and pods, the nodes, NetworkPolicies, kube-proxy and CoreDNS, and each involved
node's iptables, addresses, routes and sysctls; replays the client's connection through the real
rules node by node; reports findings with evidence and the commands that fix them.

Question:
      --port PORT           Service port name or number, or the nodePort (default: the first port)
      --protocol P          tcp, udp or sctp (default: the port's protocol)
      --from IP[:PORT]      the client (default 203.0.113.7:40000, a host outside the cluster)
      --node NODE           replay only connections that enter at NODE (at its InternalIP)
      --node-ip IP          replay connections to IP (any address of a node)
      --all-nodes           replay every node (the default when neither --node nor --node-ip is given)

Input and output:
      --snapshot FILE       analyse a saved snapshot (np-doctor snapshot) instead of the live cluster
      --save-snapshot FILE  also save what was gathered (FILE.gz to gzip)
${OVERWRITE_HELP}
  -o, --output FORMAT       text (default) or json (the Report, schema/report.v1.json)
      --fail-on LEVEL       exit 1 on findings at or above error (default), warning, info; none: never
      --plugin FILE         load more checks from a JS module (repeatable)
  -v, --verbose             show every rule each branch passed
      --no-tui              plain text even in a terminal (the default when output is piped or CI is set)

${GATHER_HELP}
Exit codes: 0 nothing at or above --fail-on and every check ran; 1 findings at or above --fail-on;
2 usage error; 3 could not gather enough to decide (checks skipped, nodes unread); 130 interrupted.

Examples:
  np-doctor diagnose svc/frontend -n shop --node-ip 192.168.1.101
  np-doctor diagnose svc/frontend -n shop --snapshot examples/demo.json
  np-doctor diagnose svc/frontend -n shop -o json --fail-on warning > report.json
`;

export const DIAGNOSE_FLAGS = {
  ...GATHER_FLAGS,
  port: { type: 'string' },
  protocol: { type: 'string' },
  from: { type: 'string' },
  snapshot: { type: 'string' },
  'save-snapshot': { type: 'string' },
  ...OVERWRITE_FLAG,
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  plugin: { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  'no-tui': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type DiagnoseValues = ReturnType<typeof parseFlags<{ options: typeof DIAGNOSE_FLAGS }>>['values'];

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags({ args: argv, options: DIAGNOSE_FLAGS, allowPositionals: true });
  if (values.help) {
    io.stdout(DIAGNOSE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`one Service at a time (got ${positionals.join(' ')}); np-doctor scan checks them all`);
  const output = parseOutput(values.output);
  const failOn = parseFailOn(values['fail-on']);
  parseProtocol(values.protocol);
  if (values['all-namespaces']) throw new UsageError('-A is for np-doctor scan; diagnose looks at one Service');
  const service = serviceArg(positionals[0]);
  if (service === null && values.snapshot === undefined) throw new UsageError('which Service? np-doctor diagnose svc/NAME -n NAMESPACE');
  const checks = await loadChecks(CHECKS, values.plugin ?? []);
  if (values['save-snapshot'] !== undefined) await checkOutputFile(values['save-snapshot'], values.overwrite ?? false);
  const answer = (out: Io, display?: LiveProgress) => diagnoseOne(values, service, checks, out, output === 'json', display);

  const color = io.isTTY && io.env.NO_COLOR === undefined;
  const terminal = io.terminal;
  if (output === 'json' || values['no-tui'] || terminal === undefined || inCi(io.env) || io.env.TERM === 'dumb') {
    const got = await answer(io);
    if (typeof got === 'number') return got;
    io.stdout(output === 'json' ? `${JSON.stringify(got, null, 2)}\n` : renderReport(got, { color, verbose: values.verbose ?? false }));
    return exitCodeFor([got], failOn);
  }
  // In a terminal, Ink draws the gathering and the checks; the report follows as text. Anything for
  // stderr waits until Ink is done with the screen, so the two never interleave.
  const { runLiveDiagnose } = await import('../tui/run-diagnose.js');
  const held: string[] = [];
  const heldIo: Io = { ...io, stderr: (text) => held.push(text) };
  let code: number = EXIT.ok;
  try {
    const report = await runLiveDiagnose({
      ...terminal,
      work: async (progress) => {
        const got = await answer(heldIo, progress);
        if (typeof got === 'number') code = got;
        return typeof got === 'number' ? null : got;
      },
    });
    if (report === null) return code;
    io.stdout(renderReport(report, { color, verbose: values.verbose ?? false }));
    return exitCodeFor([report], failOn);
  } finally {
    for (const text of held) io.stderr(text);
  }
}

/** Progress that also shows each check as it runs (the Ink display). */
type LiveProgress = Progress & { check: NonNullable<RunOptions['onCheck']> };

/** Gathers or loads the snapshot, saves it if asked, and diagnoses the Service. A number is an exit code. */
async function diagnoseOne(values: DiagnoseValues, service: string | null, checks: Check[], io: Io, quiet: boolean, display?: LiveProgress): Promise<Report | number> {
  // Without a named ingress node every node is replayed, so every node is read.
  const gatherValues = values.node === undefined && values['node-ip'] === undefined ? { ...values, 'all-nodes': true } : values;
  const got = await obtainSnapshot(values.snapshot === undefined ? gatherValues : values, service, io, quiet, 'diagnose', display);
  if (typeof got === 'number') return got;
  const { snapshot, file } = got;
  if (values['save-snapshot'] !== undefined) await writeSnapshotFile(snapshot, values['save-snapshot'], values.overwrite ?? false);
  const name = service ?? snapshot.target.service;
  if (name === null) throw new UsageError(`${file} holds every NodePort Service of ${snapshot.target.namespace ?? 'the cluster'}: name one (svc/NAME), or run np-doctor scan --snapshot ${file}`);
  const namespace = values.namespace ?? snapshot.target.namespace ?? 'default';
  const protocol = parseProtocol(values.protocol);
  try {
    return await diagnose(snapshot, {
      namespace, service: name,
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(protocol !== undefined ? { protocol } : {}),
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values['node-ip'] !== undefined ? { nodeIp: values['node-ip'] } : {}),
      ...(values['all-nodes'] ? { allNodes: true } : {}),
    }, { checks, snapshotFile: file, ...(display ? { onCheck: display.check } : {}) });
  } catch (e) {
    if (e instanceof QuestionError) throw new UsageError(e.message);
    throw e;
  }
}

