/**
 * The session driven through stdin as a person would: the Service list with its first-pass badges,
 * a Service's findings, the packet's path with the dropping rule, the chain behind a rule, and back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoSession, KEY, renderApp } from './support.js';

test('the list shows every NodePort Service of the demo with its nodePort and top finding', async () => {
  const app = renderApp(await demoSession());
  const f = await app.until(/[✓✗] shop\s+search/);
  for (const [name, port, top] of [['checkout', '30443/TCP', 'no-ready-endpoints'], ['frontend', '30080/TCP', 'etp-local-no-local-endpoint'], ['payments', '30090/TCP', 'netpol-blocks-snated-source']]) {
    assert.match(f, new RegExp(`✗ shop\\s+${name}\\s+NodePort\\s+${port}.*${top}`), `row for ${name}`);
  }
  assert.match(f, /4 with a nodePort in namespace shop/);
  app.unmount();
});

test('Enter opens the selected Service; p shows its path with the dropping rule marked; Esc goes back', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  let f = await app.until('Findings (1)');
  assert.match(f, /shop\/frontend port http\/TCP nodePort 30080/);
  assert.match(f, /ERROR etp-local-no-local-endpoint \(node-1\)/);
  assert.match(f, /▶ \$ nc -vz 192\.168\.1\.102 30080\n/, 'the fix commands stay at the foot of the detail');
  await app.press(KEY.pageDown);
  f = await app.until(/Evidence\n\s+• node-1 filter\/KUBE-EXTERNAL-SERVICES line 42/);
  assert.match(f, /↑ \d+ lines above \(PgUp\)/);

  await app.press('p');
  f = await app.until('Path ◀ node-1 ▶');
  assert.match(f, /▶\s+│ ▸ filter\/KUBE-EXTERNAL-SERVICES\s+line 42\s+DROP\s+◀ dropped here/, 'the cursor starts on the rule that dropped');
  assert.match(f, /-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "shop\/frontend:http has no local endpoints"/);

  // The next ingress node runs a pod: its path is delivered, through DNAT to a pod.
  await app.press('l');
  f = await app.until('Path ◀ node-2 ▶');
  assert.match(f, /delivered/);
  assert.match(f, /DNAT 10\.244\.1\.2:8080/);
  assert.doesNotMatch(f, /dropped here/);

  await app.press(KEY.escape);
  await app.until('Findings (1)');
  await app.press(KEY.escape);
  await app.until('TOP FINDING');
  await app.press(KEY.enter);
  f = await app.until('Findings (1)');
  assert.match(f, /shop\/frontend port http/, 'the list kept the selection');
  app.unmount();
});

test('Enter on a rule expands its chain from the node\'s dump, with the matched rule marked', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('p');
  await app.until('dropped here');
  await app.press(KEY.enter);
  const f = await app.until('filter/KUBE-EXTERNAL-SERVICES on node-1');
  assert.match(f, /\s41\s+-A KUBE-EXTERNAL-SERVICES .*shop\/checkout:https has no endpoint/, 'the chain\'s other rules are listed');
  assert.match(f, /▶\s+42\s+-A KUBE-EXTERNAL-SERVICES .*shop\/frontend:http has no local end/);
  assert.match(f, /filter\/KUBE-EXTERNAL-SERVICES on node-1, node-1:iptables-nft-save · rules by line/, 'iptables rules are numbered by dump line');
  await app.press(KEY.enter);
  await app.until((s) => !s.includes('KUBE-EXTERNAL-SERVICES on node-1') && s.includes('Enter shows the whole chain'));
  app.unmount();
});

test('/ filters the list as you type; Esc clears the filter', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('/', 'p', 'a', 'y');
  let f = await app.until('filter /pay');
  assert.match(f, /payments/);
  assert.doesNotMatch(f, /checkout|frontend/);
  await app.press(KEY.enter, KEY.enter);
  await app.until('Findings (1)');
  assert.match(app.frame(), /shop\/payments/, 'Enter kept the filter and opened the one match');
  await app.press(KEY.escape);
  await app.until('filter /pay');
  await app.press(KEY.escape);
  f = await app.until((s) => s.includes('checkout') && s.includes('frontend'));
  assert.doesNotMatch(f, /filter \//);
  app.unmount();
});

test('n switches namespace; one the offline snapshot does not hold is explained, not shown empty', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('n');
  let f = await app.until('Namespace');
  assert.match(f, /the snapshot holds namespace shop/);
  assert.match(f, /kube-system\s+\(not in this snapshot\)/);
  assert.match(f, /▶ shop {2}●/, 'the cursor starts on the namespace shown');
  await app.press('k', KEY.enter);
  f = await app.until('holds namespace shop only');
  assert.match(f, /4 with a nodePort in namespace shop/);
  app.unmount();
});
