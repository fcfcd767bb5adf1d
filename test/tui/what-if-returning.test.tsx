/** What-if: replay a returning client (session affinity) from the snapshot, without gathering. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { Session } from '../../src/tui/state/session.js';
import { KEY, renderApp } from './support.js';

const FILE = 'test/scenarios/healthy-session-affinity/snapshot.json';

test('w → connected before: a ClientIP Service replayed for a returning client, still healthy, the assumption changed', async () => {
  const session = new Session({ checks: CHECKS, snapshot: await loadSnapshot(FILE), file: FILE, namespace: 'shop', cwd: mkdtempSync(join(tmpdir(), 'np-doctor-tui-')) });
  const app = renderApp(session);
  await app.until('frontend');
  const row = session.getState().services.findIndex((r) => r.name === 'frontend');
  assert.ok(row >= 0);
  await app.press(...Array<string>(row).fill('j'), KEY.enter);
  await app.until('Findings (0)');
  const assumptions = () => session.getState().diagnosis?.report?.paths.flatMap((p) => p.assumptions) ?? [];
  assert.ok(assumptions().some((a) => a.startsWith('a new client: ')), assumptions().join('\n'));
  await app.press('w');
  await app.until('What if… shop/frontend');
  // Six keys at once, handled in order: the field below `family` is `connected`.
  await app.press(...Array<string>(6).fill(KEY.down));
  await app.until(/▶ connected\s+◀ never \(its first connection\) ▶/);
  await app.press(KEY.right);
  await app.until('◀ before (a returning client) ▶');
  await app.press(KEY.enter);
  const f = await app.until('what-if: returningClient=true');
  assert.match(f, /Findings \(0\)/);
  assert.ok(assumptions().length > 0 && assumptions().every((a) => !a.startsWith('a new client: ')), assumptions().join('\n'));
  assert.ok(assumptions().some((a) => a.startsWith('a returning client: ')), assumptions().join('\n'));
  app.unmount();
});
