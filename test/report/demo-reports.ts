/**
 * The demo snapshot's Reports, for the format tests: each NodePort Service diagnosed (as `scan`
 * does, one model for all), and one Report with hostile strings written into every field a cluster
 * controls (names, messages, evidence, commands) the way a snapshot could carry them.
 */
import { readFileSync } from 'node:fs';
import { CHECKS } from '../../checks/index.js';
import { catalogue, runDiagnosis } from '../../src/diagnose.js';
import type { FormatOptions } from '../../src/report/formats.js';
import type { Report } from '../../src/report/model.js';
import { ClusterModel } from '../../src/model/cluster.js';
import type { Snapshot } from '../../src/snapshot/schema.js';

export const demoSnapshot = (): Snapshot => JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;

export async function demoScan(snapshot: Snapshot = demoSnapshot()): Promise<Report[]> {
  const cluster = new ClusterModel(snapshot);
  const reports: Report[] = [];
  for (const s of cluster.services.filter((x) => x.ports.some((p) => p.nodePort !== null))) {
    reports.push((await runDiagnosis(snapshot, { namespace: s.namespace, service: s.name }, { checks: CHECKS, snapshotFile: 'examples/demo.json', cluster })).report);
  }
  return reports;
}

export const FORMAT_OPTIONS: FormatOptions = { checks: catalogue(CHECKS), failOn: 'error' };

/** Markup, XML, shell and terminal payloads: control characters, a lone surrogate, fences, pipes. */
export const EVIL = '<img src=x onerror=alert(1)> ]]> & "q" \'a\' | `x` ```sh **b** _i_ [l](https://evil.example) \x1b]52;c;ZXZpbA==\x07 \x00\x0b \ud800 #h';

/** A copy of `r` with EVIL in its names, verdict, findings (message, node, evidence, fix) and a skip reason. */
export function hostile(r: Report): Report {
  const h = structuredClone(r);
  h.target.namespace = `ns${EVIL}`;
  h.target.service = `svc${EVIL}`;
  h.verdict.summary = `${EVIL}\nsecond line`;
  for (const f of h.findings) {
    f.message = `${EVIL}\n- a list item`;
    f.title = EVIL;
    f.node = `node${EVIL}`;
    f.workingNodes = [`w${EVIL}`];
    f.evidence.push({ kind: 'rule', node: `n${EVIL}`, source: EVIL, table: 'filter', chain: `C${EVIL}`, line: 7, rule: EVIL });
    f.remediation.summary = EVIL;
    f.remediation.commands = [`echo '${EVIL}'`, '```', 'echo ````'];
  }
  const skipped = h.checks[0];
  if (skipped !== undefined) Object.assign(skipped, { status: 'skipped', reason: EVIL });
  return h;
}
