/** The key help, copying a fix command (OSC 52), saving from inside the session. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReportSchema } from '../../src/report/model.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { GLOBAL_KEYS, SCREEN_KEYS } from '../../src/tui/keys.js';
import { copyCommand, osc52 } from '../../src/tui/terminal/clipboard.js';
import { DEMO, demoSession, KEY, renderApp } from './support.js';

test('? lists the keys of the screen underneath and the global ones; ? closes it', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('?');
  let f = await app.until('Keys: Service list');
  for (const k of [...SCREEN_KEYS.list, ...GLOBAL_KEYS]) assert.ok(f.includes(k.does.slice(0, 40)), `help mentions "${k.does}"`);
  await app.press('?');
  await app.until('TOP FINDING');
  // On the path view, the help is the path view's.
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  await app.press('p', '?');
  f = await app.until('Keys: Path');
  assert.match(f, /expand the chain of the selected rule/);
  await app.press(KEY.escape);
  await app.until('Path ◀');
  app.unmount();
});

test('q does nothing while typing a filter; it is a letter there', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('/', 'q');
  await app.until('filter /q');
  app.unmount();
});

test('c copies the selected fix command with OSC 52; Tab selects the next one', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('j', KEY.enter);
  await app.until('Findings (1)');
  const commands = (await demoSession().then(async (s) => {
    await s.open(s.getState().services.find((r) => r.name === 'frontend')!);
    return s.getState().diagnosis!.report!.findings[0]!.remediation.commands;
  }));
  assert.ok(commands.length >= 2);
  await app.press(KEY.tab, 'c');
  await app.until(`copied: ${commands[1]}`);
  assert.ok(app.stdout.frames.includes(osc52(commands[1]!)), 'the OSC 52 sequence went to the terminal');
  assert.equal(Buffer.from(osc52('kubectl get svc').slice(7, -1), 'base64').toString(), 'kubectl get svc');
  app.unmount();
});

test('a command holding a control character is never copied', () => {
  assert.equal(copyCommand("kubectl get pods -l 'app=x'"), osc52("kubectl get pods -l 'app=x'"));
  for (const c of ['\x1b', '\x07', '\r', '\n', '\x7f', '\x9b', '\u202e']) {
    assert.equal(copyCommand(`kubectl get pods -l 'app=x${c}y'`), null, `U+${c.codePointAt(0)?.toString(16)}`);
  }
});

test('s writes the snapshot and the open report; both read back', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('payments');
  await app.press(KEY.enter);
  await app.until('Findings (1)');
  await app.press('s');
  await app.until('Save');
  await app.press(...Array<string>(60).fill(KEY.backspace), ...'incident-42', KEY.enter);
  const f = await app.until('saved incident-42.snapshot.json and incident-42.report.json');
  assert.match(f, /Findings \(1\)/, 'back on the diagnosis');
  const snapshot = await loadSnapshot(join(session.cwd, 'incident-42.snapshot.json'));
  assert.equal(snapshot.cluster.services.length, 4);
  const report = ReportSchema.parse(JSON.parse(readFileSync(join(session.cwd, 'incident-42.report.json'), 'utf8')));
  assert.equal(report.target.service, 'checkout');
  assert.equal(report.findings[0]?.id, 'no-ready-endpoints');
  app.unmount();
});

test('saving into a directory that does not exist says so', async () => {
  const app = renderApp(await demoSession());
  await app.until('payments');
  await app.press('s', ...Array<string>(60).fill(KEY.backspace), ...'/no/such/dir/x', KEY.enter);
  await app.until(/cannot save: cannot write \/no\/such\/dir\/x\.snapshot\.json: ENOENT/);
  app.unmount();
});

test('a typed relative path is refused: a name stays in the session\'s directory', async () => {
  const session = await demoSession();
  const app = renderApp(session);
  await app.until('payments');
  await app.press('s', ...Array<string>(60).fill(KEY.backspace), ...'../escape', KEY.enter);
  await app.until(/cannot save: a name, not a path/);
  assert.deepEqual(readdirSync(join(session.cwd, '..')).filter((f) => f.startsWith('escape')), []);
  app.unmount();
});

test('a hostile namespace cannot steer the default name: the files land in the directory, 0600', async () => {
  const snapshot = await loadSnapshot(DEMO);
  for (const o of [...snapshot.cluster.services, ...snapshot.cluster.pods, ...snapshot.cluster.endpointSlices, ...snapshot.cluster.networkPolicies]) {
    if (o.metadata.namespace === 'shop') o.metadata.namespace = 'x/../../../tmp/owned';
  }
  snapshot.target.namespace = 'x/../../../tmp/owned';
  const session = await demoSession({ snapshot, namespace: 'x/../../../tmp/owned' });
  const app = renderApp(session);
  await app.until('payments');
  await app.press(KEY.enter);
  await app.until('Findings');
  await app.press('s');
  await app.until('Save');
  await app.press(KEY.enter);
  const f = await app.until(/saved np-doctor-x_\.\._\.\._\.\._tmp_owned-checkout-\d{8}-\d{6}\.snapshot\.json/);
  assert.doesNotMatch(f, /cannot save/);
  const written = readdirSync(session.cwd);
  assert.equal(written.length, 2, `two files in the session's directory: ${written.join(', ')}`);
  for (const file of written) {
    assert.match(file, /^np-doctor-[A-Za-z0-9._-]+\.(snapshot|report)\.json$/);
    assert.equal(statSync(join(session.cwd, file)).mode & 0o777, 0o600, `${file} is readable only by its owner`);
  }
  app.unmount();
});

test('an existing file is replaced only after y; n goes back to the name', async () => {
  const session = await demoSession();
  writeFileSync(join(session.cwd, 'incident.snapshot.json'), 'keep me', { mode: 0o644 });
  const app = renderApp(session);
  await app.until('payments');
  await app.press('s', ...Array<string>(60).fill(KEY.backspace), ...'incident', KEY.enter);
  await app.until('incident.snapshot.json exists. Replace?');
  await app.press('n');
  await app.until('Enter: save');
  assert.equal(readFileSync(join(session.cwd, 'incident.snapshot.json'), 'utf8'), 'keep me', 'n keeps the file');
  await app.press(KEY.enter);
  await app.until('exists. Replace?');
  await app.press('y');
  await app.until('saved incident.snapshot.json');
  assert.equal((await loadSnapshot(join(session.cwd, 'incident.snapshot.json'))).cluster.services.length, 4);
  assert.equal(statSync(join(session.cwd, 'incident.snapshot.json')).mode & 0o777, 0o600, 'replaced by a 0600 file');
  app.unmount();
});
