/**
 * What the socket checks show as proof (the ss lines and the pod's namespace, the --probe connects
 * to the pod), that one cause gives one finding across backend-not-listening and
 * target-port-mismatch, and the address rules a socket follows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import backendNotListening from '../../../checks/backend-not-listening.js';
import { listenerFor, reaches } from '../../../checks/lib/backend-sockets.js';
import targetPortMismatch from '../../../checks/target-port-mismatch.js';
import type { Check } from '../../../src/check-kit/index.js';
import { parseListeningSockets } from '../../../src/model/sockets.js';
import type { Probe } from '../../../src/snapshot/probe.js';
import { caseContext, type CheckCase } from '../tester.js';

const run = async (check: Check, c: CheckCase) => {
  const { ctx } = await caseContext(c);
  return check.run(ctx);
};

const probe: Probe = {
  kind: 'node-to-pod', from: 'node-1', node: 'node-2', pod: { namespace: 'shop', name: 'frontend-xgf88pr6rs-5hr8x' },
  ip: '10.244.1.2', port: 8080, protocol: 'TCP', result: 'refused', ms: 1.5, at: '2026-11-22T08:00:01.000Z',
};

describe('socket findings', () => {
  test('the evidence is the ss lines of the pod\'s own namespace, and the --probe connect to it', async () => {
    const [first] = await run(backendNotListening, { scenario: 'app-listens-on-localhost', snapshot: (s) => { s.probes = [probe]; } });
    const output = first?.evidence.find((e) => e.kind === 'output');
    assert.ok(output?.kind === 'output');
    assert.match(output.command, /^ip -all netns exec ss -H -l -n -t -u -p \(network namespace "cni-[0-9a-f-]+"\)$/);
    assert.match(output.excerpt, /^tcp +LISTEN .* 127\.0\.0\.1:8080 .*"frontend"/);
    assert.deepEqual(first?.evidence.filter((e) => e.kind === 'probe'), [
      { kind: 'probe', probe: 'node-to-pod', from: 'node-1', target: '10.244.1.2:8080/TCP', result: 'refused', ms: 1.5, at: '2026-11-22T08:00:01.000Z' },
    ]);
  });

  test('one cause, one finding: the targetPort mismatch the sockets prove is target-port-mismatch\'s alone', async () => {
    const c = { scenario: 'targetport-nothing-listens' };
    assert.deepEqual((await run(backendNotListening, c)).map((f) => f.messageId), []);
    const found = await run(targetPortMismatch, c);
    assert.deepEqual(found.map((f) => [f.messageId, f.severity ?? 'error']), [['numericProven', 'error']]);
    assert.equal(found[0]?.evidence.filter((e) => e.kind === 'output').length, 2, 'both pods\' sockets');
  });
});

describe('what reaches a socket', () => {
  const [v4, dual, v6only, loop, addr] = parseListeningSockets([
    'tcp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:*',
    'tcp LISTEN 0 4096 *:80 *:*',
    'tcp LISTEN 0 4096 [::]:80 [::]:*',
    'tcp LISTEN 0 4096 127.0.0.1:80 0.0.0.0:*',
    'tcp LISTEN 0 4096 10.244.1.2:80 0.0.0.0:*',
  ].join('\n'));

  test('wildcards by family, a bound address only itself, loopback nothing from outside', () => {
    const table = [v4, dual, v6only, loop, addr].map((s) => (s === undefined ? null : [reaches(s, '10.244.1.2'), reaches(s, 'fd00::2'), reaches(s, '10.244.1.3')]));
    assert.deepEqual(table, [[true, false, true], [true, true, true], [false, true, false], [false, false, false], [true, false, false]]);
  });

  test('TCP wanted, only UDP on the port: the other protocol', () => {
    const sockets = parseListeningSockets('udp UNCONN 0 0 0.0.0.0:8080 0.0.0.0:*');
    assert.equal(listenerFor(sockets, '10.244.1.2', 8080, 'TCP').state, 'other-protocol');
    assert.equal(listenerFor(sockets, '10.244.1.2', 8080, 'UDP').state, 'listens');
  });
});
