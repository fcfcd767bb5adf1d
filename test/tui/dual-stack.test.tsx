/** A dual-stack Service in the interactive session: a verdict line per family, IPv6 findings, IPv6 paths, and what-if per family. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dualStack } from '../support/dual-stack-fixture.js';
import { baseCluster, buildScenarioSnapshot } from '../support/scenario-kit/index.js';
import { demoSession, KEY, renderApp } from './support.js';

/** shop/frontend is dual-stack and its IPv6 connections through node-1 time out (node-1's ip6tables FORWARD drops the pods' port). */
const snapshot = () => dualStack(buildScenarioSnapshot(baseCluster()), {
  editIp6tables: (node, text) => (node !== 'node-1' ? text : text.replace(':KUBE-SERVICES - [0:0]\n-A INPUT', ':KUBE-SERVICES - [0:0]\n-A FORWARD -p tcp -m tcp --dport 8080 -j DROP\n-A INPUT')),
});


test('the diagnosis shows one verdict line per family, the IPv6 finding and the IPv6 path', async () => {
  const session = await demoSession({ snapshot: snapshot(), file: 'dual.json' });
  const app = renderApp(session);
  await app.until('frontend');
  const row = session.getState().services.findIndex((s) => s.key === 'shop/frontend');
  await app.press(...Array<string>(row).fill('j'), KEY.enter);
  let f = await app.until('IPv6 client');
  assert.match(f, /✓ IPv4 answers/);
  assert.match(f, /✗ IPv6 connections to port 30080 time out on node-1 \(fd00:c0:a8:1::65\)/);
  assert.match(f, /IPv6 host-firewall-drop \(node-1\)/);
  assert.match(f, /IPv6: A host firewall drops NodePort traffic/);
  // The path view opens on the first failing path: node-1 over IPv6, with the IPv6 client.
  await app.press('p');
  f = await app.until('Path ◀ node-1 IPv6 ▶');
  assert.match(f, /\[fd00:c0:a8:1::65\]:30080\/tcp\s+timeout/);
  assert.match(f, /client \[2001:db8::7\]:40000 → \[fd00:c0:a8:1::65\]:30080\/tcp/);
  app.unmount();
});

test('what-if IPv4 only (the family choice), then an IPv6 client: each replays its family alone', async () => {
  const session = await demoSession({ snapshot: snapshot(), file: 'dual.json' });
  const app = renderApp(session);
  await app.until('frontend');
  const row = session.getState().services.findIndex((s) => s.key === 'shop/frontend');
  await app.press(...Array<string>(row).fill('j'), KEY.enter);
  await app.until('IPv6 client');
  await app.press('w');
  await app.until(/family\s+◀ each the Service has/);
  await app.press(KEY.up);
  await app.until(/▶ ?connected/);
  await app.press(KEY.up);
  await app.until(/▶ ?family/);
  await app.press(KEY.right);
  await app.until('◀ IPv4 ▶');
  await app.press(KEY.enter);
  let f = await app.until('what-if: family=4');
  assert.match(f, /✓ connections to port 30080 reach a pod on node-1 \(192\.168\.1\.101\)/);
  assert.doesNotMatch(f, /IPv6/);

  await app.press('w');
  await app.until(/▶ ?ingress node/);
  await app.press('x');
  await app.until(/family\s+◀ each the Service has/);
  await app.press(KEY.down);
  await app.until(/▶ ?node IP/);
  await app.press(KEY.down);
  await app.until(/▶ ?client/);
  // Pasted, as an address usually is: one write, typed into the field key by key, in order.
  app.stdin.write('[2001:db8::9]:41000');
  await app.until('[2001:db8::9]:41000');
  await app.press(KEY.enter);
  f = await app.until('what-if: from=[2001:db8::9]');
  assert.match(f, /client \[2001:db8::9\]:41000/);
  assert.match(f, /✗ connections to port 30080 time out on node-1 \(fd00:c0:a8:1::65\)/);
  assert.deepEqual(session.getState().diagnosis?.report?.verdict.families?.map((x) => x.family), [6]);
  app.unmount();
});

test('the demo\'s dual-stack Service: IPv4 answers, IPv6 times out on node-1, which does not forward IPv6', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('search');
  const row = session.getState().services.findIndex((s) => s.key === 'shop/search');
  assert.ok(row >= 0);
  await app.press(...Array<string>(row).fill('j'), KEY.enter);
  const f = await app.until('IPv6 client');
  assert.match(f, /✓ IPv4 answers/);
  assert.match(f, /✗ IPv6 connections to port 30100 time out on node-1 \(fd00:192:168:1::101\)/);
  assert.match(f, /IPv6 ip-forward-disabled \(node-1\)/);
  app.unmount();
});
