/** What-if: change the ingress node, client, port or protocol and replay the snapshot, without gathering. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoSession, KEY, renderApp } from './support.js';

test('w → another ingress node replays the snapshot: node-2 runs a frontend pod, so it answers', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('w');
  let f = await app.until('What if… shop/frontend');
  assert.match(f, /▶ ingress node\s+◀ every node ▶/);
  await app.press(KEY.right, KEY.right);
  await app.until('◀ node-2 ▶');
  await app.press(KEY.enter);
  f = await app.until('what-if: node=node-2');
  assert.match(f, /✓ connections to 192\.168\.1\.102:30080 reach a pod/);
  assert.match(f, /Findings \(0\)/);
  assert.equal(session.getState().diagnosis?.report?.paths.map((p) => p.node).join(), 'node-2', 'only node-2 was replayed');

  // The path view follows the new question.
  await app.press('p');
  f = await app.until('Path ◀ node-2 ▶');
  assert.match(f, /node 1\/1/);
  app.unmount();
});

test('what-if client: a client inside the allowed block still fails through node-1 (the policy sees the SNATed source)', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', 'j', KEY.enter);
  await app.until('netpol-blocks-snated-source');
  await app.press('w', KEY.right);                   // ingress node-1
  await app.press(KEY.down, KEY.down, ...'203.0.113.9:5555'); // client
  await app.until('203.0.113.9:5555');
  await app.press(KEY.enter);
  const f = await app.until('what-if: node=node-1 from=203.');
  assert.match(f, /client 203\.0\.113\.9:5555/);
  assert.match(f, /✗ connections to 192\.168\.1\.101:30090 time out/);
  assert.match(f, /ERROR netpol-blocks-snated-source/);
  app.unmount();
});

test('a what-if the snapshot cannot answer says why and keeps the last answer', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('w', KEY.down, ...'10.9.9.9', KEY.enter);
  const f = await app.until('cannot replay that');
  assert.match(f, /cannot replay that: .*10\.9\.9\.9/);
  assert.match(f, /ERROR etp-local-no-local-endpoint/, 'the previous findings stay');
  app.unmount();
});

test('x in what-if goes back to the defaults (every node)', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('w', KEY.right, KEY.enter);
  await app.until('what-if: node=node-1');
  await app.press('w');
  await app.until('◀ node-1 ▶');
  await app.press('x', KEY.enter);
  await app.until((s) => s.includes('Findings (1)') && !s.includes('what-if:'));
  assert.equal(session.getState().diagnosis?.report?.paths.length, 3);
  app.unmount();
});

test('from the path view: w → node-3 shows node-3\'s path, and Esc from what-if keeps the node you were on', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('p');
  await app.until('Path ◀ node-1 ▶');
  await app.press('l', 'w');
  await app.until('What if…');
  await app.press(KEY.escape);
  await app.until('Path ◀ node-2 ▶');
  await app.press('w', KEY.left);
  await app.until('◀ node-3 ▶');
  await app.press(KEY.enter);
  const f = await app.until('Path ◀ node-3 ▶');
  assert.match(f, /node 1\/1/);
  assert.match(f, /▶ ● client/, 'a new answer starts at the top of its own ladder');
  app.unmount();
});
