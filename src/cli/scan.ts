/**
 * `np-doctor scan`: diagnose every NodePort (and LoadBalancer) Service in a namespace or the
 * cluster, one summary line each; for CI gates.
 */
import { CHECKS } from '../../checks/index.js';
import { catalogue, runDiagnosis, type Diagnosis } from '../diagnose.js';
import { renderScanAs } from '../report/formats.js';
import { ClusterModel } from '../model/cluster.js';
import { noServicesText, scanTable } from '../report/scan-text.js';
import { command } from './command.js';
import { exitCodeFor, FAIL_ON_HELP, loadChecks, parseFailOn, parseOutput, REPORT_FLAGS } from './diagnose-common.js';
import { GATHER_FLAGS, GATHER_HELP } from './gather-flags.js';
import { colorOn, outputWidth, UsageError } from './io.js';
import { checkOutputFile, OVERWRITE_HELP, writeSnapshotFile } from './output-file.js';
import { RETURNING_CLIENT_FLAG, RETURNING_CLIENT_HELP, returningClient } from './returning-client.js';
import { checkHoldsNamespace, InterruptedError, obtainSnapshot, snapshotSource } from './snapshot-source.js';

export const SCAN_HELP = `Usage: np-doctor scan [-n NS | -A] [--snapshot FILE] [flags]

Diagnoses every Service with a nodePort (NodePort and LoadBalancer) in the namespace, or in all
namespaces with -A, and prints one line per Service: what a client sees and the top finding.

      --snapshot FILE       scan a saved snapshot (np-doctor snapshot -A -f FILE) instead; demo: the
                            snapshot that ships with np-doctor
      --save-snapshot FILE  also save what was gathered
${OVERWRITE_HELP}
  -o, --output FORMAT       text (default: a table, a row per Service as it finishes), json
                            ({"kind": "ScanReport", "reports": [Report…]}), yaml (the same), sarif,
                            junit (a test suite per Service), markdown
      --timings             the JSON Reports also give how long each check took
${FAIL_ON_HELP}
      --plugin FILE         load more checks from a JS module (repeatable)
${RETURNING_CLIENT_HELP}

${GATHER_HELP}
Each Service's line is printed as soon as it is diagnosed. Ctrl-C stops the scan: the Services
finished so far are printed (as JSON with -o json) and the exit code is 130.

Exit codes as for diagnose, over all Services; and 3 when a snapshot holds no data for the
namespace asked about (it names the namespaces it holds).

Examples:
  np-doctor scan --snapshot demo
  np-doctor scan --snapshot demo -o json --fail-on warning > scan.json
  np-doctor scan -A
`;

const FLAGS = { ...GATHER_FLAGS, ...REPORT_FLAGS, ...RETURNING_CLIENT_FLAG } as const;

export const run = command({
  help: SCAN_HELP,
  flags: FLAGS,
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`scan takes no Service name (got ${positionals[0]}); use np-doctor diagnose for one`);
    if (values.node !== undefined || values['node-ip'] !== undefined) throw new UsageError('scan replays every node of every Service; --node and --node-ip are for np-doctor diagnose');
    const output = parseOutput(values.output);
    const failOn = parseFailOn(values['fail-on']);
    const checks = await loadChecks(CHECKS, values.plugin ?? []);
    if (values['save-snapshot'] !== undefined) await checkOutputFile(values['save-snapshot'], values.overwrite ?? false);
    // A scan's lines do not list what could not be gathered: stderr does, in text.
    const { snapshot, file } = await obtainSnapshot(snapshotSource(values), null, io, 'scan', { errorsOnStderr: output === 'text' });
    if (values['save-snapshot'] !== undefined) await writeSnapshotFile(snapshot, values['save-snapshot'], values.overwrite ?? false);
    const cluster = new ClusterModel(snapshot);
    const ns = values['all-namespaces'] ? null : values.namespace ?? snapshot.target.namespace;
    if (ns !== null) checkHoldsNamespace(snapshot, ns, file);
    const targets = cluster.services.filter((s) => (ns === null || s.namespace === ns) && s.ports.some((p) => p.nodePort !== null));
    // Text is printed a row per Service as it finishes, in the columns of the whole table.
    const table = scanTable(targets, { color: colorOn(io), width: outputWidth(io) });
    if (output === 'text' && targets.length > 0) io.stdout(table.header);
    const diagnoses: Diagnosis[] = [];
    for (const svc of targets) {
      // A turn of the event loop between Services, so Ctrl-C is heard while the scan runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (io.interrupt?.aborted) break;
      // One model for every Service: each node's dumps are parsed once for the whole scan.
      const options = { checks, snapshotFile: file, cluster, timings: values.timings ?? false };
      const d = await runDiagnosis(snapshot, { namespace: svc.namespace, service: svc.name, ...(values['all-nodes'] ? { allNodes: true } : {}), ...returningClient(values) }, options);
      diagnoses.push(d);
      if (output === 'text') io.stdout(table.row(svc, d.report));
    }
    const reports = diagnoses.map((d) => d.report);
    if (output !== 'text') {
      io.stdout(renderScanAs(output, reports, { checks: catalogue(checks), failOn }));
    } else if (targets.length === 0) {
      io.stdout(noServicesText(ns));
    }
    // Stopped: what finished is printed (JSON too, as a ScanReport of those), and the exit says it was not all.
    if (io.interrupt?.aborted) throw new InterruptedError(`interrupted after ${diagnoses.length} of ${targets.length} Services`);
    return exitCodeFor(diagnoses, failOn);
  },
});

