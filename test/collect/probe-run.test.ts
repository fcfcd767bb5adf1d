/**
 * One gathering's probes (ProbeRun) with real sessions and sockets: a node's probes go through its
 * session (LocalShell here), a --node-dump node has no shell to probe from, a node never reached
 * says so, and a deadline that passed before the probes from here leaves them not sent, saying why.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { gatherSignal } from '../../src/collect/deadline.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { FilesShell } from '../../src/collect/node/files.js';
import { LocalShell } from '../../src/collect/node/local.js';
import type { PlannedProbe } from '../../src/collect/probe/plan.js';
import { ProbeRun } from '../../src/collect/probe/run.js';

let server: Server;
let open = 0;
let closed = 0;
before(async () => {
  server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open = (server.address() as { port: number }).port;
  // A port nothing listens on: a second server's, once it is closed.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  closed = (gone.address() as { port: number }).port;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const probe = (from: string, port: number, kind: PlannedProbe['kind'] = from === 'here' ? 'client-to-node' : 'node-to-pod'): PlannedProbe =>
  ({ kind, from, node: 'node-1', ip: '127.0.0.1', port, protocol: 'TCP' });

test('through each node\'s session, from here, and for nodes without one: every planned probe has one result, in order', async () => {
  const run = new ProbeRun([probe('node-1', open), probe('node-1', closed), probe('node-2', open), probe('node-3', open), probe('here', open), probe('here', closed)], 2000);
  await run.onNode('node-1', await new LocalShell({ commandTimeoutMs: 10_000 }).open({ name: 'node-1', address: undefined }), undefined);
  const files = new FilesShell(new Map([['node-2', '/dev/null']]));
  await run.onNode('node-2', await files.open({ name: 'node-2', address: undefined }), undefined);
  await run.fromHere(undefined, SILENT);
  const got = run.probes(undefined);
  assert.deepEqual(got.map((p) => [p.from, p.result, p.detail ?? null]), [
    ['node-1', 'connected', null],
    ['node-1', 'refused', null],
    ['node-2', 'not-run', 'node-2 was read from a --node-dump file: np-doctor has no shell there to probe from'],
    ['node-3', 'not-run', 'np-doctor had no session on node-3 to probe from (see the gathering errors)'],
    ['here', 'connected', null],
    ['here', 'refused', null],
  ]);
  assert.deepEqual(got.filter((p) => p.from === 'here').map((p) => p.fromAddress), ['127.0.0.1', '127.0.0.1']);
  assert.ok(got.filter((p) => p.result !== 'not-run').every((p) => typeof p.ms === 'number' && !Number.isNaN(Date.parse(p.at))));
});

test('past the gathering deadline nothing more is sent, and each probe says why', async () => {
  const deadline = gatherSignal(undefined, 1);
  try {
    await new Promise<void>((resolve) => deadline.signal.addEventListener('abort', () => resolve(), { once: true }));
    const run = new ProbeRun([probe('node-1', open), probe('here', open)], 2000);
    await run.onNode('node-1', await new LocalShell({ commandTimeoutMs: 10_000 }).open({ name: 'node-1', address: undefined }), deadline.signal);
    await run.fromHere(deadline.signal, SILENT);
    assert.deepEqual(run.probes(deadline.signal).map((p) => [p.result, p.detail]), [
      ['not-run', 'not sent: the gathering did not finish within 0 s (--timeout)'],
      ['not-run', 'not sent: the gathering did not finish within 0 s (--timeout)'],
    ]);
  } finally {
    deadline.dispose();
  }
});
