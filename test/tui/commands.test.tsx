/** k9s habits: the `:` command line (`:ns`, `:svc`, `:q`) and sorting the list with shift-letter keys. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { sortRows, type ServiceRow } from '../../src/tui/state/services.js';
import { DEMO, demoSession, KEY, renderApp, waitFor } from './support.js';

/** The demo as a snapshot of every namespace, with checkout moved to namespace billing. */
async function twoNamespaces() {
  const snapshot = await loadSnapshot(DEMO);
  const c = snapshot.cluster;
  for (const o of [...c.services, ...c.endpointSlices, ...c.pods]) if (o.metadata.name.startsWith('checkout')) o.metadata.namespace = 'billing';
  c.namespaces?.push({ ...c.namespaces[0]!, metadata: { ...c.namespaces[0]!.metadata, name: 'billing' } });
  snapshot.target.namespace = null;
  return demoSession({ snapshot });
}

test(':ns NAME shows that namespace, :ns alone every namespace; the key bar says : command', async () => {
  const app = renderApp(await twoNamespaces());
  let f = await app.until('3 with a nodePort in namespace shop');
  assert.match(f, /: command/);
  await app.press(':');
  await app.until(/^:.*ns NAME/m);
  await app.press(...'ns billing', KEY.enter);
  f = await app.until('1 with a nodePort in namespace billing');
  assert.match(f, /^np-doctor {2}ns billing/);
  assert.match(f, /✗ billing\s+checkout/);
  // `:ns` and Enter in one write, as typed fast.
  app.stdin.write(`:ns${KEY.enter}`);
  f = await app.until('4 with a nodePort in all namespaces');
  assert.match(f, /^np-doctor {2}all namespaces/);
  app.stdin.write(`:ns shop${KEY.enter}`);
  await app.until('3 with a nodePort in namespace shop');
  assert.doesNotMatch(app.frame(), /^Save|^Namespace/m, 'neither the Save dialog nor the namespace picker');
  app.unmount();
});

test(':ns with an unknown namespace or an unknown command says so; the namespace stays', async () => {
  const app = renderApp(await twoNamespaces());
  await app.until('namespace shop');
  await app.press(':', ...'ns nope', KEY.enter);
  let f = await app.until('no namespace nope; there are: billing, default');
  assert.match(f, /3 with a nodePort in namespace shop/);
  await app.press(':', ...'pods', KEY.enter);
  f = await app.until('unknown command :pods; the commands are :ns NAME');
  assert.match(f, /3 with a nodePort in namespace shop/);
  app.unmount();
});

test(':svc goes back to the list; Esc cancels a command line without leaving the screen', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press(':', 's', 'v', KEY.escape);
  await app.until((f) => f.includes('Findings (1)') && f.includes('Tab command'));
  assert.doesNotMatch(app.frame(), /^Save/m, 'the typed s was in the command line, not the save key');
  await app.press(':', ...'svc', KEY.enter);
  await app.until('TOP FINDING');
  app.unmount();
});

test(':q quits: the session is stopped (its debug pods deleted) and the app exits', async () => {
  const session = await demoSession();
  const stop = session.stop.bind(session);
  let stopped = 0;
  session.stop = () => {
    stopped++;
    return stop();
  };
  const app = renderApp(session);
  await app.until('payments');
  // In the command line q is a letter: :qx is no command, and nothing quits.
  await app.press(':', 'q', 'x', KEY.enter);
  await app.until('unknown command :qx');
  assert.equal(stopped, 0);
  await app.press(':', 'q', KEY.enter);
  await waitFor(() => stopped === 1, 'the session to be stopped');
  app.unmount();
});

test('N sorts by name, N again reverses it; the cursor stays on its Service; the header marks the column', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  const order = (f: string) => [...f.matchAll(/^[✓✗!?…] shop\s+(\S+)/gm)].map((m) => m[1]);
  await app.press('j', 'N');
  let f = await app.until(/NAME↑/);
  assert.deepEqual(order(f), ['checkout', 'frontend', 'payments', 'search']);
  assert.match(f, /by name ↑/);
  await app.press('N');
  f = await app.until(/NAME↓/);
  assert.deepEqual(order(f), ['search', 'payments', 'frontend', 'checkout']);
  await app.press(KEY.enter);
  f = await app.until('Findings (1)');
  assert.match(f, /shop\/frontend port/, 'still on frontend after two sorts');
  app.unmount();
});

test('H sorts by health, worst first; a Service not yet checked comes last', () => {
  const row = (name: string): ServiceRow => ({ key: `shop/${name}`, namespace: 'shop', name, type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [] });
  const rows = ['a', 'b', 'c', 'd', 'e'].map(row);
  const health = { 'shop/a': { health: 'ok' as const }, 'shop/b': { health: 'undecided' as const }, 'shop/c': { health: 'error' as const }, 'shop/d': { health: 'warning' as const } };
  assert.deepEqual(sortRows(rows, { by: 'health', descending: false }, health).map((r) => r.name), ['c', 'd', 'b', 'a', 'e']);
  assert.deepEqual(sortRows(rows, { by: 'health', descending: true }, health).map((r) => r.name), ['e', 'a', 'b', 'd', 'c']);
});

test('? lists the sort keys and the command line', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('?');
  const f = await app.until('Keys: Service list');
  assert.match(f, /N S H\s+sort by name, namespace or health/);
  assert.match(f, /:\s+command line: :ns NAME/);
  app.unmount();
});
