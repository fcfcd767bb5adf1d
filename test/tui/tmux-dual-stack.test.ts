/**
 * The built binary in a real terminal (tmux) on a dual-stack snapshot: the diagnosis shows a
 * verdict line per family (IPv6 failing), and what-if takes a pasted IPv6 client.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { serializeSnapshot } from '../../src/snapshot/file.js';
import { dualStack } from '../support/dual-stack-fixture.js';
import { baseCluster, buildScenarioSnapshot } from '../support/scenario-kit/index.js';
import { builtCliSkip } from '../support/tier.js';
import { haveTmux, startTmux } from '../support/tmux.js';

const CLI = 'dist/src/cli.js';
const skip = builtCliSkip() || (!haveTmux() ? 'tmux is not installed (npm test installs it: scripts/test-deps.sh)' : false);

describe('np-doctor tui in tmux, dual-stack', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-doctor-tmux-dual-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dual.json');
  // shop/frontend is dual-stack; node-1's ip6tables FORWARD drops the pods' port.
  writeFileSync(file, serializeSnapshot(dualStack(buildScenarioSnapshot(baseCluster()), {
    editIp6tables: (node, text) => (node !== 'node-1' ? text : text.replace(':KUBE-SERVICES - [0:0]\n-A INPUT', ':KUBE-SERVICES - [0:0]\n-A FORWARD -p tcp -m tcp --dport 8080 -j DROP\n-A INPUT')),
  }), false));

  test('120×30: the frontend row, its per-family verdict, then what-if with an IPv6 client', async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
    const tty = await startTmux({ command: ['node', CLI, 'tui', '--snapshot', file], cols: 120, rows: 30, env: { NO_COLOR: '' } });
    try {
      let s = await tty.waitFor(/✗ shop\s+frontend/, 20_000);
      const rows = s.split('\n').filter((l) => /^[✗!✓?] shop\s/.test(l));
      const at = rows.findIndex((l) => /^✗ shop\s+frontend/.test(l));
      for (let i = 0; i < at; i++) await tty.send('j');
      await tty.send('Enter');
      s = await tty.waitFor('IPv6 client', 20_000);
      assert.match(s, /✓ IPv4 answers/);
      assert.match(s, /✗ IPv6 connections to port 30080 time out on node-1 \(fd00:c0:a8:1::65\)/);
      assert.match(s, /IPv6 host-firewall-drop \(node-1\)/);

      await tty.send('w');
      await tty.waitFor('What if… shop/frontend');
      await tty.send('Down');
      await tty.waitFor(/▶ ?node IP/);
      await tty.send('Down');
      await tty.waitFor(/▶ ?client/);
      await tty.sendText('[2001:db8::9]:41000');
      await tty.waitFor('[2001:db8::9]:41000');
      await tty.send('Enter');
      s = await tty.waitFor('what-if: from=[2001:db8::9]', 20_000);
      assert.match(s, /✗ connections to port 30080 time out on node-1 \(fd00:c0:a8:1::65\)/);
      await tty.send('q');
      assert.equal(await tty.waitForExit(), 0);
    } finally {
      await tty.kill();
    }
  });
});
