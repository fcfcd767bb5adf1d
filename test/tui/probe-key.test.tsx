/**
 * P in a diagnosis: a live session gathers again with probes for the open question and shows them;
 * a session on a snapshot file says probes need a live cluster (and sends nothing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ask } from '../../src/run/question.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Probe } from '../../src/snapshot/probe.js';
import { demoSession, DEMO, KEY, renderApp } from './support.js';

test('on a snapshot file, P says probes need a live cluster', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('P');
  await app.until('probes need a live cluster');
  assert.equal(session.getState().phase, 'ready');
  app.unmount();
});

test('live, P gathers again with probes for the open Service and shows each one', async () => {
  const demo = await loadSnapshot(DEMO);
  const asked: (Ask | undefined)[] = [];
  const probe: Probe = { kind: 'node-to-self', from: 'node-2', node: 'node-2', ip: '192.168.1.102', port: 30080, protocol: 'TCP', result: 'connected', ms: 7, at: '2026-12-07T10:00:00.000Z' };
  const session = await demoSession({
    gather: (_namespace, _progress, _signal, ask) => {
      asked.push(ask);
      return Promise.resolve(ask === undefined ? demo : { ...demo, probes: [probe] });
    },
  });
  const app = renderApp(session);
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('P');
  await app.until((f) => /gathered .*; 1 probe: 1 connected \(listed below the detail\)/.test(f) && session.getState().diagnosis?.report?.probes !== undefined);
  // To the foot of the detail: PgDn (space) stops at its last line.
  await app.press(...Array<string>(6).fill(' '));
  const f = await app.until('node-to-self   node-2 → 192.168.1.102:30080/TCP  connected in 7 ms');
  assert.match(f, /Probes \(--probe: a TCP connect each, closed at once\)/);
  assert.deepEqual(asked, [{ namespace: 'shop', service: 'frontend' }]);
  // r gathers again without probes: no packet unless asked.
  await app.press('r');
  await app.until((s) => !s.includes('node-to-self') && s.includes('Findings (1)'));
  assert.deepEqual(asked.slice(1), [undefined]);
  app.unmount();
});
