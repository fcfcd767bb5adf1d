/**
 * The Session outside Ink: gathering again, stopping a gathering (the session waits for its clean-up
 * before it lets the app exit), namespaces, the first pass. The Gatherer is the seam the CLI fills
 * with the real gathering (test/tui/tmux-live covers that end to end).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Progress } from '../../src/collect/gather-progress.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { demoSession, DEMO, waitFor } from './support.js';

const settled = (s: Awaited<ReturnType<typeof demoSession>>) =>
  waitFor(() => Object.keys(s.getState().health).length === s.getState().services.length && s.getState(), 'the first pass to reach every Service');

test('the first pass gives every Service a health and its top finding', async () => {
  const state = await settled(await demoSession());
  assert.deepEqual(state.health, {
    'shop/checkout': { health: 'error', top: 'no-ready-endpoints' },
    'shop/frontend': { health: 'error', top: 'etp-local-no-local-endpoint' },
    'shop/payments': { health: 'error', top: 'netpol-blocks-snated-source' },
    // Dual-stack, broken only over IPv6 (node-1 does not forward IPv6): the worst family decides.
    'shop/search': { health: 'error', top: 'ip-forward-disabled' },
  });
});

test('r gathers again: the new snapshot replaces the old, and the open Service is replayed on it', async () => {
  const demo = await loadSnapshot(DEMO);
  const steps: string[] = [];
  const session = await demoSession({
    gather: (namespace: string | null, progress: Progress): Promise<Snapshot> => {
      steps.push(`gather ${namespace}`);
      progress.start('services', 'listing');
      progress.succeed('services', '3 services');
      return Promise.resolve({ ...demo, createdAt: '2026-11-22T09:30:00.000Z' });
    },
  });
  await session.open(session.getState().services[1]!);
  await session.regather();
  const state = await settled(session);
  assert.deepEqual(steps, ['gather shop']);
  assert.equal(state.snapshot?.createdAt, '2026-11-22T09:30:00.000Z');
  assert.equal(state.phase, 'ready');
  assert.match(state.notice?.text ?? '', /^gathered /);
  await waitFor(() => session.getState().diagnosis?.report, 'the open Service replayed on the new snapshot');
  assert.equal(session.getState().diagnosis?.row.key, 'shop/frontend');
  assert.equal(session.getState().diagnosis?.report?.snapshot.createdAt, '2026-11-22T09:30:00.000Z');
});

test('a failed gathering keeps the snapshot and says why', async () => {
  const session = await demoSession({ gather: () => Promise.reject(new Error('Forbidden: services is forbidden: User "dev" cannot list')) });
  await session.regather();
  assert.equal(session.getState().phase, 'ready');
  assert.equal(session.getState().services.length, 4);
  assert.deepEqual(session.getState().notice, { text: 'cannot gather: Forbidden: services is forbidden: User "dev" cannot list', tone: 'error' });
});

test('a gathering that returns what it had after being stopped is not taken as the new snapshot', async () => {
  const demo = await loadSnapshot(DEMO);
  const session = await demoSession({
    gather: (_ns: string | null, _p: Progress, signal: AbortSignal) => new Promise<Snapshot>((resolve) => {
      // Like the debug-pod gathering: an abort ends the node reads early, and what was read comes back.
      signal.addEventListener('abort', () => resolve({ ...demo, createdAt: '2026-11-22T09:45:00.000Z', nodes: [] }));
    }),
  });
  const gathering = session.regather();
  await session.stop();
  await gathering;
  assert.equal(session.getState().snapshot?.createdAt, demo.createdAt, 'the old snapshot stays');
  assert.equal(session.getState().notice?.text, 'gathering stopped');
});

test('stop() aborts a gathering and resolves only after it has cleaned up', async () => {
  const events: string[] = [];
  // Deleting debug pods takes a while: here, until the test says they are deleted.
  let deleted = () => {};
  const session = await demoSession({
    gather: (_ns: string | null, _p: Progress, signal: AbortSignal) => new Promise<Snapshot>((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        events.push('abort seen');
        deleted = () => {
          events.push('debug pods deleted');
          reject(new Error('interrupted'));
        };
      });
    }),
  });
  const gathering = session.regather();
  assert.equal(session.getState().phase, 'gathering');
  const stopping = session.stop().then(() => events.push('stopped'));
  await waitFor(() => events.includes('abort seen'), 'the gathering to see the abort');
  // Turns of the event loop enough for anything stop() waits on but the clean-up (it has none left).
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['abort seen'], 'stop() is still waiting for the clean-up');
  deleted();
  await stopping;
  await gathering;
  assert.deepEqual(events, ['abort seen', 'debug pods deleted', 'stopped']);
  assert.equal(session.getState().notice?.text, 'gathering stopped');
});

test('offline, r and a namespace the snapshot lacks explain themselves', async () => {
  const session = await demoSession();
  await session.regather();
  assert.match(session.getState().notice?.text ?? '', /^offline: /);
  await session.setNamespace('kube-system');
  assert.equal(session.getState().namespace, 'shop');
  assert.match(session.getState().notice?.text ?? '', /holds namespace shop only/);
});

test('live, a namespace the snapshot lacks is gathered', async () => {
  const demo = await loadSnapshot(DEMO);
  const asked: (string | null)[] = [];
  const session = await demoSession({
    gather: (namespace: string | null) => {
      asked.push(namespace);
      return Promise.resolve({ ...demo, target: { namespace: null, service: null } });
    },
  });
  await session.setNamespace(null);
  assert.deepEqual(asked, [null]);
  assert.equal(session.getState().namespace, null);
});
