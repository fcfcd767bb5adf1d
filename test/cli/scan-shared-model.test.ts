/**
 * scan diagnoses every Service on one shared model (each node parsed once, indexes built once):
 * its reports must be those of each Service replayed alone, on every snapshot of the corpus. And
 * it prints a line per Service as it finishes, and stops on Ctrl-C with what finished and 130.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main } from '../../src/main.js';
import { EXIT } from '../../src/exit.js';
import { aloneReport, comparable, sharedModelCorpus } from '../support/alone.js';

interface Run { code: number; out: string; err: string }

async function scan(args: string[], onOut: (all: string) => void = () => undefined, interrupt?: AbortSignal): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(['scan', ...args], {
    stdout: (s) => { out += s; onOut(out); },
    stderr: (s) => { err += s; },
    env: {}, isTTY: false,
    ...(interrupt ? { trapInterrupts: () => interrupt } : {}),
  });
  return { code, out, err };
}

describe('scan -A on one shared model answers as each Service alone', async () => {
  const files = await sharedModelCorpus();
  let compared = 0;
  for (const file of files) {
    test(file, async () => {
      const run = await scan(['-A', '-o', 'json', '--snapshot', file]);
      assert.ok(run.code !== EXIT.usage && run.code !== EXIT.interrupted, run.err);
      const reports = (JSON.parse(run.out) as { reports: { target: { namespace: string; service: string } }[] }).reports;
      for (const r of reports) {
        const alone = await aloneReport(file, { namespace: r.target.namespace, service: r.target.service });
        assert.deepEqual(comparable(r), alone, `${r.target.namespace}/${r.target.service}`);
        compared++;
      }
    });
  }
  test('the corpus gave Services to compare (a snapshot of ClusterIP Services alone gives none)', () => {
    assert.ok(compared > files.length, `${compared} Services over ${files.length} snapshots`);
  });
});

test('scan prints each line as its Service finishes, in the table\'s order and alignment', async () => {
  const whole = await scan(['-A', '--snapshot', 'examples/demo.json']);
  const lines: string[] = [];
  const streamed = await scan(['-A', '--snapshot', 'examples/demo.json'], (all) => lines.push(all));
  assert.equal(streamed.out, whole.out);
  const count = whole.out.split('\n').filter(Boolean).length;
  assert.ok(count >= 4, whole.out);
  // One write per Service: the output grew a line at a time.
  assert.equal(lines.length, count);
  lines.forEach((soFar, i) => assert.equal(soFar.split('\n').filter(Boolean).length, i + 1));
});

test('Ctrl-C stops scan: the Services finished are printed, the rest are not, exit 130', async () => {
  const whole = await scan(['-A', '--snapshot', 'examples/demo.json']);
  const stop = new AbortController();
  // Interrupted as soon as the first row is out (after the table's header), as a person pressing Ctrl-C mid-scan.
  const run = await scan(['-A', '--snapshot', 'examples/demo.json'], (out) => {
    if (out.split('\n').length > 2) stop.abort(new Error('interrupted by SIGINT'));
  }, stop.signal);
  assert.equal(run.code, EXIT.interrupted);
  const [header, first, ...rest] = whole.out.split('\n').filter(Boolean);
  assert.equal(run.out, `${header}\n${first}\n`, 'the header and the first Service\'s row, exactly as in the whole table');
  assert.match(run.err, new RegExp(`interrupted after 1 of ${rest.length + 1} Services`));
});

test('Ctrl-C with -o json: still one ScanReport (of the Services finished: none here), exit 130', async () => {
  const stop = new AbortController();
  stop.abort(new Error('interrupted by SIGTERM'));
  const run = await scan(['-A', '-o', 'json', '--snapshot', 'examples/demo.json'], () => undefined, stop.signal);
  assert.equal(run.code, EXIT.interrupted);
  assert.deepEqual(JSON.parse(run.out), { apiVersion: 'np-doctor/v1', kind: 'ScanReport', reports: [] });
  assert.match(run.err, /interrupted after 0 of \d+ Services/);
});
