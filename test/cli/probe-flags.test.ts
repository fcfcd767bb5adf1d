/** --probe at the command line: live only, its timeout bounded, and said in the help. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMain } from '../support/run-main.js';

test('--probe with --snapshot is a usage error naming the flag; so is a timeout out of bounds or without --probe', async () => {
  const withSnapshot = await runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'examples/demo.json', '--probe']);
  assert.equal(withSnapshot.code, 2);
  assert.match(withSnapshot.err, /--probe needs the live cluster: it connects to the nodes and pods now, while --snapshot FILE holds what was gathered then/);
  assert.equal(withSnapshot.out, '');
  for (const [args, said] of [
    [['--probe', '--probe-timeout', '50ms'], /--probe-timeout 50ms: use between 100ms and 30s/],
    [['--probe', '--probe-timeout', '1m'], /--probe-timeout 1m: use between 100ms and 30s/],
    [['--probe-timeout', '2s'], /--probe-timeout only applies with --probe/],
  ] as const) {
    const r = await runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--collect', 'none', ...args]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, said);
  }
});

test('the help says what --probe sends, from where, and that it is off by default', async () => {
  const r = await runMain(['diagnose', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Probes \(off by default: without --probe np-doctor sends nothing to the Service\)/);
  assert.match(r.out, /from here, a TCP connect to each ingress\s+node's nodePort/);
  assert.match(r.out, /Each connect is\s+closed at once and carries no data; at most 64 in all/);
});

test('snapshot --probe: one Service, live only; the help lists it too', async () => {
  const all = await runMain(['snapshot', '-n', 'shop', '--collect', 'none', '--probe', '-o', '-']);
  assert.equal(all.code, 2);
  assert.match(all.err, /--probe needs one Service: np-doctor snapshot svc\/NAME -n NAMESPACE --probe/);
  const timeout = await runMain(['snapshot', 'svc/frontend', '-n', 'shop', '--collect', 'none', '--probe-timeout', '2s', '-o', '-']);
  assert.equal(timeout.code, 2);
  assert.match(timeout.err, /--probe-timeout only applies with --probe/);
  const help = await runMain(['snapshot', '--help']);
  assert.match(help.out, /Probes \(off by default: without --probe np-doctor sends nothing to the Service\)/);
});
