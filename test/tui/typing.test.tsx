/**
 * Keys that arrive together: a paste, a fast typist, a slow SSH link. Each key is handled, in
 * order, against what the keys before it did: none is lost and none acts on a stale screen. A
 * bracketed paste (ESC [ 200 ~ … ESC [ 201 ~) is text: only a text field takes it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoSession, KEY, renderApp } from './support.js';

const onlyPayments = (f: string) => f.includes('filter /payments') && f.includes('1 with a nodePort') && !/checkout|frontend/.test(f);

test('/payments in a single write (a paste) filters by the whole word', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write('/payments');
  const f = await app.until(onlyPayments);
  assert.match(f, /✗ shop\s+payments\s+NodePort\s+30090\/TCP/);
  app.unmount();
});

test('/payments typed key by key with no pause between keys arrives whole', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('/', ...'payments');
  await app.until(onlyPayments);
  // Backspace and more keys in the same burst: edits of the latest value, in order.
  await app.press(KEY.backspace, KEY.backspace, 'x', KEY.backspace, 't', 's');
  await app.until('filter /payments');
  app.unmount();
});

test('j\\r in one write moves down, then opens the Service it moved to', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write(`j${KEY.enter}`);
  const f = await app.until('Findings (1)');
  assert.match(f, /shop\/frontend port http\/TCP nodePort 30080/);
  app.unmount();
});

test('a burst across screens: filter, keep it, open the one match, all in one write', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write(`/pay${KEY.enter}${KEY.enter}`);
  const f = await app.until('Findings (1)');
  assert.match(f, /shop\/payments port/);
  app.unmount();
});

test('arrows in one write are separate keys, and an Escape sequence is never read as letters', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write(`${KEY.down}${KEY.down}${KEY.up}${KEY.enter}`);
  const f = await app.until('Findings (1)');
  assert.match(f, /shop\/frontend port http/, 'down, down, up: the second row');
  app.unmount();
});

const PASTE = (text: string) => `\x1b[200~${text}\x1b[201~`;

test('a bracketed paste on the list is no keys: a pasted q does not quit, a pasted j does not move', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write(PASTE('qjn'));
  // Keys are handled in order: once Enter has opened a Service, the paste before it was handled.
  app.stdin.write(KEY.enter);
  const f = await app.until('Findings (1)');
  assert.match(f, /shop\/checkout port/, 'Enter opened the first row: the pasted j moved nothing');
  app.unmount();
});

test('a bracketed paste types into the filter, split across reads; its newline does not submit', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  app.stdin.write('/');
  await app.until('filter /');
  app.stdin.write('\x1b[200~pay\r');
  app.stdin.write('ments\x1b[201~');
  await app.until(onlyPayments);
  app.stdin.write('x');
  await app.until('filter /paymentsx');
  app.unmount();
});

test('after a paste longer than a chunk is read, keys are keys again', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  // 70,000 characters: past the 64 KiB a chunk is cut at and the 4,096 keys the queue holds.
  app.stdin.write(PASTE('q'.repeat(70_000)));
  app.stdin.write(KEY.enter);
  const f = await app.until('Findings (1)');
  assert.match(f, /shop\/checkout port/);
  app.unmount();
});
