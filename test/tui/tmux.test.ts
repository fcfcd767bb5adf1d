/**
 * The real built binary in a real terminal (tmux), driven by keys as a person would: the session on
 * the demo snapshot at 80×24 and 200×50, a resize, the path view with the dropping rule
 * highlighted, a clean exit; and `np-doctor diagnose` drawing its progress with Ink.
 */
import { CHECKS } from '../../checks/index.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { haveTmux, startTmux, type TmuxSession } from '../support/tmux.js';

const CLI = 'dist/src/cli.js';
const DEMO = 'examples/demo.json';
const skip = !haveTmux() ? 'tmux is not installed (npm test installs it: scripts/test-deps.sh)' : false;

async function session(cols: number, rows: number, args: string[] = ['tui', '--snapshot', DEMO]): Promise<TmuxSession> {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  return startTmux({ command: ['node', CLI, ...args], cols, rows, env: { NO_COLOR: '' } });
}

describe('np-doctor tui in tmux', { skip }, () => {
  test('80×24: list → finding → path with the dropping rule highlighted → another node → quit', async () => {
    const tty = await session(80, 24);
    try {
      let s = await tty.waitFor(/[✓✗] shop\s+search/);
      console.log(`80x24 service list:\n${s.replace(/^/gm, '| ')}`);
      assert.match(s, /Services 4 with a nodePort in namespace shop/);
      assert.match(s, /^ {2}NAMESPACE↑ NAME/m, 'sorted by namespace, as the arrow says');
      assert.match(s, /^✗ shop {7}checkout {2}NodePort {2}30443\/TCP/m);
      assert.match(s, /^✗ shop {7}frontend {2}NodePort/m, 'every row lines up with the header');
      assert.match(s.split('\n').at(-1) ?? '', /Enter open .*q quit$/, 'the key bar fits on the last line');
      assert.match(s.split('\n')[0] ?? '', /^np-doctor {2}ns shop {2}· {2}examples\/demo\.json/);

      await tty.send('j', 'Enter');
      s = await tty.waitFor('Findings (1)');
      assert.match(s, /ERROR etp-local-no-local-endpoint/);
      assert.match(s, /Evidence|drops connections/);
      assert.match(s, /^▶ \$ nc -vz 192\.168\.1\.102 30080$/m, 'the selected fix command is on the screen at 80×24');
      await tty.send('Tab');
      await tty.waitFor(/^▶ \$ kubectl -n shop patch svc frontend/m);

      await tty.send('p');
      s = await tty.waitFor('Path ◀ node-1 ▶');
      assert.match(s, /filter\/KUBE-EXTERNAL-SERVICES\s+line 42\s+DROP\s+◀ dropped here/);
      const colored = await tty.screenWithEscapes();
      const line = colored.split('\n').find((l) => l.includes('dropped here')) ?? '';
      // eslint-disable-next-line no-control-regex -- an SGR escape sequence is what this looks for
      assert.match(line, /\x1b\[[0-9;]*(7|31)[;m]/, `the dropping rule is drawn in reverse video or red: ${JSON.stringify(line)}`);

      await tty.send('Enter');
      s = await tty.waitFor('filter/KUBE-EXTERNAL-SERVICES on node-1');
      assert.match(s, /▶\s+42\s+-A KUBE-EXTERNAL-SERVICES/);

      await tty.send('l');
      s = await tty.waitFor('Path ◀ node-2 ▶');
      assert.match(s, /delivered/);

      await tty.send('?');
      await tty.waitFor('Keys: Path');
      await tty.send('Escape');
      await tty.waitFor('Path ◀ node-2 ▶');

      await tty.send('q');
      assert.equal(await tty.waitForExit(), 0);
      s = await tty.screen();
      assert.doesNotMatch(s, /Path ◀|TOP FINDING/, 'the alternate screen is left: the terminal shows what it showed before');
    } finally {
      await tty.kill();
    }
  });

  test('a paste and a burst of keys arrive whole: /payments, Enter Enter; then :ns', async () => {
    const tty = await session(80, 24);
    try {
      await tty.waitFor(/[✓✗] shop\s+search/);
      await tty.sendText('/payments');
      let s = await tty.waitFor('filter /payments');
      assert.doesNotMatch(s, /checkout|frontend/);
      await tty.send('Enter', 'Enter');
      s = await tty.waitFor('Findings (1)');
      assert.match(s, /shop\/payments port/);
      await tty.sendText(':svc');
      await tty.send('Enter');
      await tty.waitFor('filter /payments');
      await tty.sendText(':ns');
      await tty.send('Enter');
      s = await tty.waitFor('holds namespace shop only');
      assert.doesNotMatch(s, /^Save/m, ':ns does not land in the Save dialog');
      await tty.sendText(':q');
      await tty.send('Enter');
      assert.equal(await tty.waitForExit(), 0);
    } finally {
      await tty.kill();
    }
  });

  test('a real paste is text: on the list a pasted q does not quit; in the filter it types, its newline does not submit', async () => {
    const tty = await session(80, 24);
    try {
      await tty.waitFor(/[✓✗] shop\s+search/);
      // tmux brackets the paste because np-doctor asked for it (mode 2004); typed, q would quit and n open namespaces.
      await tty.paste('qn');
      await tty.sendText('/');
      let s = await tty.waitFor('filter /');
      assert.match(s, /checkout[^]*frontend[^]*payments[^]*search/, 'the paste did nothing to the list');
      await tty.paste('pay\nments');
      s = await tty.waitFor('filter /payments');
      assert.doesNotMatch(s, /checkout|frontend/);
      // Still typing: the pasted newline did not submit the filter.
      await tty.sendText('x');
      await tty.waitFor('filter /paymentsx');
      await tty.send('Escape');
      await tty.waitFor(/checkout[^]*frontend/);
      await tty.send('q');
      assert.equal(await tty.waitForExit(), 0);
    } finally {
      await tty.kill();
    }
  });

  test('200×50 shows the list; a resize to 80×24 and back redraws to fit', async () => {
    const tty = await session(200, 50);
    try {
      let s = await tty.waitFor(/[✓✗] shop\s+search/);
      console.log(`200x50 service list:\n${s.split('\n').slice(0, 8).join('\n').replace(/^/gm, '| ')}`);
      assert.match(s, /✗ shop\s+frontend\s+NodePort\s+30080\/TCP\s+Local\s+etp-local-no-local-endpoint/);
      await tty.send('j', 'Enter');
      s = await tty.waitFor('Findings (1)');
      // Wide terminals put the detail beside the list.
      assert.match(s, /Findings \(1\) +ERROR {2}externalTrafficPolicy Local/);
      await tty.resize(80, 24);
      s = await tty.waitFor((x) => /^Findings \(1\)$/m.test(x), 5000);
      await tty.resize(40, 12);
      await tty.waitFor(/np-doctor needs at least 60×16; this\s+terminal is 40×12/);
      await tty.resize(200, 50);
      s = await tty.waitFor(/Findings \(1\) +ERROR {2}externalTrafficPolicy Local/);
      await tty.send('C-c');
      assert.equal(await tty.waitForExit(), 0, 'Ctrl-C quits cleanly');
    } finally {
      await tty.kill();
    }
  });

  test('np-doctor diagnose in a terminal: Ink draws the steps and checks, then the report; exit 1', async () => {
    const tty = await session(120, 60, ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', DEMO]);
    try {
      assert.equal(await tty.waitForExit(), 1);
      const s = await tty.screen();
      assert.match(s, /✓ examples\/demo\.json: 4 services, 3 nodes, gathered 2026-11-22T08:00:00\.000Z {2}\d+ ms/);
      assert.match(s, new RegExp(`✓ ${CHECKS.length} checks: ${CHECKS.length - 1} passed, 1 failed {2}\\d+ ms`));
      assert.match(s, /✗ shop\/frontend: times out via node-1 — etp-local-no-local-endpoint\s*\n {2}connections to port 30080 time out on node-1/);
      assert.doesNotMatch(s, /running checks/, 'the live line is gone once done');
    } finally {
      await tty.kill();
    }
  });

  test('np-doctor alone in a terminal with no kubeconfig: the whole reason, what works without a cluster, exit 2', async () => {
    assert.ok(existsSync(CLI));
    const tty = await startTmux({ command: ['node', CLI], cols: 100, rows: 30, env: { KUBECONFIG: '/nonexistent/kubeconfig', HOME: '/nonexistent' } });
    try {
      const s = await tty.waitFor('All commands: np-doctor --help');
      assert.match(s, /^np-doctor: KUBECONFIG names no file that exists \(\/nonexistent\/kubeconfig\)\nWithout a cluster: np-doctor demo, or np-doctor tui --snapshot demo\./);
      assert.equal(await tty.waitForExit(), 2);
    } finally {
      await tty.kill();
    }
  });
});
