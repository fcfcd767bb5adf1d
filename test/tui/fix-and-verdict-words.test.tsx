/**
 * At 80×24 the selected fix command is on the screen, so Tab and c act on a line you can see; a
 * REJECT is named "rejected", a DROP "dropped"; nftables rules by handle, iptables rules by line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { Session } from '../../src/tui/state/session.js';
import { demoSession, KEY, renderApp } from './support.js';

const scenario = async (name: string) => {
  const file = `test/scenarios/${name}/snapshot.json`;
  return new Session({ checks: CHECKS, snapshot: await loadSnapshot(file), file, namespace: 'shop', cwd: mkdtempSync(join(tmpdir(), 'np-doctor-tui-')) });
};

test('80×24: the selected fix command is on the screen; Tab moves the selection to a command on the screen, c copies it', async () => {
  const app = renderApp(await demoSession(), {}, 80);
  await app.until((f) => f.split('\n')[0]!.length <= 80 && f.includes('payments'));
  await app.press('j', KEY.enter);
  let f = await app.until('Findings (1)');
  assert.ok(f.split('\n').length <= 24);
  assert.match(f, /^▶ \$ nc -vz 192\.168\.1\.102 30080$/m, 'the first command, selected');
  await app.press(KEY.tab);
  f = await app.until(/^▶ \$ kubectl -n shop patch svc frontend/m);
  assert.match(f, /^ {2}\$ nc -vz/m, 'the first command is no longer selected');
  await app.press('c');
  f = await app.until('copied: kubectl -n shop patch svc frontend');
  assert.match(f, /^▶ \$ kubectl -n shop patch svc frontend/m, 'the copied command is the one shown selected');
  // Scrolling the detail leaves the commands where they are.
  await app.press(KEY.pageDown, KEY.pageDown);
  f = await app.until(/lines above \(PgUp\)/);
  assert.match(f, /^▶ \$ kubectl -n shop patch svc frontend/m);
  app.unmount();
});

test('an nftables REJECT: "rejected here", the rule named by its handle everywhere', async () => {
  const app = renderApp(await scenario('nftables-selector-typo'));
  await app.until('frontend');
  await app.press(KEY.enter);
  await app.until('Findings (1)');
  await app.press('p');
  let f = await app.until('Path ◀ node-1 ▶');
  assert.match(f, /ip kube-proxy\/reject-chain\s+handle 46\s+REJECT\s+◀ rejected here/);
  assert.match(f, /rejected with icmp-port-unreachable by kube-proxy\/reject-chain handle 46 on node-1/, 'the leg and the end name it as the rung does');
  assert.match(f, /node-1 ip kube-proxy\/reject-chain handle 46:/);
  assert.doesNotMatch(f, /line 46|dropped here/);
  await app.press(KEY.enter);
  f = await app.until('rules by handle');
  assert.match(f, /▶\s+46\s+reject/);
  app.unmount();
});

test('an iptables REJECT: "rejected here", the rule named by its line', async () => {
  const app = renderApp(await scenario('selector-typo'));
  await app.until('frontend');
  await app.press(KEY.enter);
  await app.until('Findings (1)');
  await app.press('p');
  const f = await app.until('Path ◀ node-1 ▶');
  assert.match(f, /filter\/KUBE-EXTERNAL-SERVICES\s+line 41\s+REJECT\s+◀ rejected here/);
  assert.doesNotMatch(f, /handle 41|dropped here/);
  app.unmount();
});

test('an nftables DROP: "dropped here", by handle', async () => {
  const app = renderApp(await scenario('nftables-etp-local-pod-elsewhere'));
  await app.until('frontend');
  await app.press(KEY.enter);
  await app.until('Findings (1)');
  await app.press('p');
  const f = await app.until('Path ◀ node-1 ▶');
  assert.match(f, /ip kube-proxy\/nodeport-endpoints-check\s+handle 48\s+DROP\s+◀ dropped here/);
  app.unmount();
});
