/**
 * The probe against the real kernel: the node command (probeArgv: bash's /dev/tcp under coreutils'
 * timeout) run in a network namespace as a node would run it, and the probe from here (node:net)
 * run in the same namespace, each read back as connected, refused, timed out (an nft drop) and
 * unreachable (an nft reject with an ICMP error). Then LocalShell.probe with real sockets.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LocalShell } from '../../src/collect/node/local.js';
import { probeArgv, probeOutcome, probeTarget } from '../../src/snapshot/probe.js';
import { run, start, stop } from '../kernel/lab/exec.js';
import { cleanupOwn, NS_PREFIX } from '../kernel/lab/netns.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { addNamespace } from '../kernel/lab/topology.js';
import { runInNetns } from '../support/fake-apiserver/netns-exec.js';

const runs = labGate('probe wire tests', missingPrerequisites(), 'root and the kernel lab tools (ip, nft)');
const NS = `${NS_PREFIX}probe`;
const PORT = { listening: 7001, closed: 7002, dropped: 7003, rejected: 7004 } as const;
const RULES = `table inet probe {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${PORT.dropped} drop
    tcp dport ${PORT.rejected} reject with icmpx host-unreachable
  }
}
`;

describe('probes in a network namespace', { skip: !runs }, () => {
  let server: ReturnType<typeof start> | undefined;
  before(async () => {
    await addNamespace(NS);
    await run('nft', ['-f', '-'], { ns: NS, input: RULES });
    server = start(process.execPath, ['-e', `require('node:net').createServer((s) => s.destroy()).listen(${PORT.listening}, '127.0.0.1', () => console.log('ready'))`], { ns: NS });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      server!.on('exit', (code) => reject(new Error(`listener exited ${code}`)));
    });
  });
  after(async () => {
    if (server !== undefined) await stop(server);
    await cleanupOwn();
  });

  test('the node command: exit status and stderr read as connected, refused, timed out, unreachable', async () => {
    const outcome = async (port: number, timeoutMs = 3000) => {
      const r = await runInNetns(NS, probeArgv(probeTarget('127.0.0.1', port), timeoutMs), 10_000);
      return probeOutcome({ exitCode: r.exitCode, stderr: r.stderr.toString() });
    };
    assert.deepEqual(await outcome(PORT.listening), { result: 'connected' });
    assert.deepEqual(await outcome(PORT.closed), { result: 'refused' });
    assert.deepEqual(await outcome(PORT.dropped, 500), { result: 'timed-out' });
    // Over loopback the ICMP error meets the first SYN while connect() holds the socket, so it is a
    // soft error and the kernel says "No route to host" at the retransmission, a second later.
    const unreachable = await outcome(PORT.rejected);
    assert.equal(unreachable.result, 'unreachable');
    assert.match(unreachable.detail ?? '', /No route to host/);
  });

  test('from here: node:net in the namespace, with the source address learnt without a packet', async () => {
    // A child process in the namespace runs the probe code itself (a process cannot change its own namespace).
    const script = `
      import { connectOnce, sourceAddress } from ${JSON.stringify(new URL('../../src/collect/probe/from-here.ts', import.meta.url).href)};
      const out = {};
      for (const port of ${JSON.stringify(Object.values(PORT))}) {
        const t = { ip: '127.0.0.1', port };
        out[port] = { ...(await connectOnce(t, port === ${PORT.dropped} ? 500 : 3000)), from: await sourceAddress(t) };
      }
      console.log(JSON.stringify(out));`;
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    const got = JSON.parse(stdout) as Record<string, { result: string; ms: number | null; detail?: string; from: string | null }>;
    assert.deepEqual(Object.fromEntries(Object.entries(got).map(([port, r]) => [port, [r.result, r.detail ?? null, r.from]])), {
      [PORT.listening]: ['connected', null, '127.0.0.1'],
      [PORT.closed]: ['refused', null, '127.0.0.1'],
      [PORT.dropped]: ['timed-out', null, '127.0.0.1'],
      [PORT.rejected]: ['unreachable', 'EHOSTUNREACH', '127.0.0.1'],
    });
    assert.ok(got[PORT.dropped]!.ms! >= 500, 'a drop waits out the timeout');
  });
});

describe('LocalShell.probe: the node command run here, with real sockets', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('connected to a listener; refused once it is gone', async () => {
    const session = await new LocalShell({ commandTimeoutMs: 10_000 }).open({ name: 'here', address: undefined });
    const accepted = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    const r = await session.probe!(probeTarget('127.0.0.1', port), 2000);
    assert.deepEqual(probeOutcome(r), { result: 'connected' });
    await accepted;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.deepEqual(probeOutcome(await session.probe!(probeTarget('127.0.0.1', port), 2000)), { result: 'refused' });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
