import { EXIT } from '../exit.js';
import { serializeSnapshot } from '../snapshot/file.js';
import { redactSnapshot } from '../snapshot/redact.js';
import { SnapshotSchema } from '../snapshot/schema.js';
import { SNAPSHOT_FORMATS, type SnapshotFormat } from '../snapshot/stream-format.js';
import { snapshotLines } from '../snapshot/stream-write.js';
import { command } from './command.js';
import { renderGatherErrors } from './gather-errors.js';
import { checkExclusiveFlags, GATHER_FLAGS, GATHER_HELP, gatherRequest } from './gather-flags.js';
import { UsageError } from './io.js';
import { checkOutputFile, OVERWRITE_FLAG, OVERWRITE_HELP, writeSnapshotFile } from './output-file.js';
import { PROBE_FLAGS, PROBE_HELP, probeFlags, probeRequest } from './probe-flags.js';
import { gatherLive } from './snapshot-source.js';
import { spinner } from './spinner.js';
import { serviceArg } from './target.js';

export const SNAPSHOT_HELP = `Usage: np-doctor snapshot [svc/NAME] [-n NS | -A] -f FILE [flags]

Gathers what np-doctor needs from the live cluster (API objects, and each node's iptables, nft,
IPVS, addresses, routes and sysctls) into one snapshot file that replays anywhere:
np-doctor trace --snapshot FILE --node NODE ... Without a Service name, it takes every NodePort
and LoadBalancer Service in the namespace (or in all namespaces with -A).

Output:
  -f, --file FILE           where to write it (readable only by you); FILE.gz is gzipped; - is stdout
  -o FILE                   the same, for scripts written before -f; a format word (json, yaml…)
                            is refused: the snapshot's format is --format
      --format v2|v1        v2 (default): JSON Lines, any size, each command output stored once
                            however many nodes print it. v1: one JSON document (schema/snapshot.v1.json),
                            for tools that read it whole; at most 512 MiB, about 3 nodes of a
                            10,000-Service cluster. np-doctor reads both.
${OVERWRITE_HELP}
      --redact              replace names, labels and public addresses with stable pseudonyms
                            (for sharing in a ticket)

${GATHER_HELP}
${PROBE_HELP}
Exit codes: 0 written, 2 usage error, 3 written but incomplete (see the problems listed), or
nothing written because the cluster could not be read, 130 interrupted.

Example:
  np-doctor snapshot svc/frontend -n shop --collect ssh --ssh-user admin -f frontend.json.gz
`;

/** Words -o takes as a format in every other command: here they would silently name a file. */
const FORMAT_WORDS = ['text', 'json', 'yaml', 'yml', 'sarif', 'junit', 'markdown', 'md', 'wide', 'name', 'v1', 'v2'];

/** -f FILE, or -o FILE when it cannot be read as a format. */
function outputFile(values: { file?: string | undefined; output?: string | undefined }): string {
  if (values.file !== undefined && values.output !== undefined) throw new UsageError('-f and -o both name the file: give -f FILE only');
  const o = values.output;
  if (o !== undefined && FORMAT_WORDS.includes(o.toLowerCase())) {
    throw new UsageError(`-o ${o}: snapshot writes a file: use -f FILE (the file format is --format v2|v1)`);
  }
  const file = values.file ?? o;
  if (file === undefined) throw new UsageError('-f FILE is required (FILE.gz to gzip, - for stdout)');
  return file;
}

export const run = command({
  help: SNAPSHOT_HELP,
  flags: { ...GATHER_FLAGS, ...PROBE_FLAGS, file: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, format: { type: 'string' }, redact: { type: 'boolean' }, ...OVERWRITE_FLAG },
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`one Service at a time (got ${positionals.join(' ')})`);
    const target = outputFile(values);
    const toStdout = target === '-';
    checkExclusiveFlags(values);
    const format = snapshotFormat(values.format);
    const service = serviceArg(positionals[0]);
    const probing = probeFlags(values);
    if (probing !== null && service === null) throw new UsageError('--probe needs one Service: np-doctor snapshot svc/NAME -n NAMESPACE --probe');
    if (!toStdout) await checkOutputFile(target, values.overwrite ?? false);
    const progress = await spinner(io);
    const request = gatherRequest(values, { service }, io, progress);
    const ask = {
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values['node-ip'] !== undefined ? { nodeIp: values['node-ip'] } : {}),
      ...(values['all-nodes'] === true || (values.node === undefined && values['node-ip'] === undefined) ? { allNodes: true } : {}),
    };
    const probe = probing === null || service === null ? undefined : probeRequest(probing.timeoutMs, service, ask, values.namespace);
    const snapshot = await gatherLive({ ...request, probe }, io, 'snapshot', 'interrupted; nothing written');
    const out = values.redact ? redactSnapshot(snapshot) : snapshot;
    if (toStdout && format === 'v1') {
      // What we write must load again: a cluster object the schema does not expect is our bug, caught here (v2 checks each record as it writes it).
      const check = SnapshotSchema.safeParse(out);
      if (!check.success) throw new Error(`np-doctor built an invalid snapshot: ${check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      io.stdout(serializeSnapshot(out, false).toString('utf8'));
    } else if (toStdout) {
      for await (const lines of snapshotLines(out)) io.stdout(lines);
    } else {
      await writeSnapshotFile(out, target, values.overwrite ?? false, format);
    }
    io.stderr(renderGatherErrors(snapshot.errors));
    if (!toStdout && !io.quiet) {
      io.stderr(`wrote ${target}: ${snapshot.cluster.services.length} service(s), ${snapshot.nodes.length} node(s)${values.redact ? ', redacted' : ''}\n`);
    }
    return snapshot.errors.length > 0 ? EXIT.cannotDecide : EXIT.ok;
  },
});

function snapshotFormat(text: string | undefined): SnapshotFormat {
  if (text === undefined) return 'v2';
  const format = SNAPSHOT_FORMATS.find((f) => f === text);
  if (format === undefined) throw new UsageError(`--format ${text}: not a snapshot format (v2, or v1 for one JSON document)`);
  return format;
}
