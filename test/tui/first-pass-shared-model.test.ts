/**
 * The TUI's first pass replays every Service on the session's one model (each node parsed once):
 * the report it keeps for each Service, which opening the Service shows, must be the report of that
 * Service replayed alone, on every snapshot of the corpus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { healthOf } from '../../src/report/health.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { Session } from '../../src/tui/state/session.js';
import { aloneReport, comparable, sharedModelCorpus } from '../support/alone.js';

/** Resolves once every Service has its badge (the first pass is done). */
function firstPassDone(session: Session): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const { health, services } = session.getState();
      if (services.every((r) => health[r.key] !== undefined)) resolve();
    };
    session.subscribe(check);
    check();
  });
}

describe('the TUI\'s first pass on one shared model answers as each Service alone', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'np-doctor-first-pass-'));
  for (const file of await sharedModelCorpus()) {
    test(file, { timeout: 120_000 }, async () => {
      const session = new Session({ checks: CHECKS, snapshot: await loadSnapshot(file), file, namespace: null, cwd });
      await firstPassDone(session);
      for (const row of session.getState().services) {
        // Opening a Service as it is shows the first pass's report, without replaying it again.
        await session.open(row);
        const shown = session.getState().diagnosis?.report;
        assert.ok(shown, `${row.key} has its first-pass report`);
        assert.deepEqual(comparable(shown), await aloneReport(file, { namespace: row.namespace, service: row.name }), row.key);
        assert.deepEqual(session.getState().health[row.key], { health: healthOf(shown), top: shown.findings[0]?.id ?? null }, `${row.key}'s badge`);
      }
      await session.stop();
    });
  }
});
