/**
 * The live session through the real binary in tmux, against the fake API server and the scenario
 * kit's cluster lab with debug pods: it gathers, lists the Service with its badge, gathers again on
 * `r`, and Ctrl-C in the middle of a gathering deletes the running debug pod before the process
 * leaves. The session reads every node (it replays each Service on each): one debug pod a node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { startClusterLab, type ClusterLab } from '../support/cluster-lab.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { haveTmux, startTmux, type TmuxSession } from '../support/tmux.js';
import { CLI } from './cli.js';

const problem = missingPrerequisites() ?? (haveTmux() ? null : 'tmux is not installed');
const runs = labGate('live TUI tests', problem, 'root, the kernel lab tools and tmux');

describe('np-doctor tui, live, against the fake API server and the kit\'s cluster lab', { skip: !runs }, () => {
  let lab: ClusterLab;
  before(async () => {
    lab = await startClusterLab();
  });
  after(async () => {
    await lab?.close();
  });

  const debugPodsLeft = () => debugPodsIn(lab.apiserver.store);
  const open = (): Promise<TmuxSession> => startTmux({
    command: ['node', CLI, 'tui', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'debug-pod'],
    cols: 120, rows: 40, env: { HOME: lab.home, NO_COLOR: '' },
  });

  test('gathers with debug pods, lists the Service, gathers again on r; no pod is left', async () => {
    const before = lab.apiserver.deletions.length;
    const tty = await open();
    try {
      let s = await tty.waitFor(/[✓✗!?] shop\s+frontend\s+NodePort\s+30080\/TCP/, 30_000);
      assert.match(s, /^np-doctor {2}ns shop {2}· {2}live · /);
      const podNames = () => lab.apiserver.deletions.slice(before).map((d) => d.name.replace(/-[a-z0-9]+$/, '')).sort();
      const everyNode = lab.nodes.map((n) => `np-doctor-${n.name}`).sort();
      assert.deepEqual(podNames(), everyNode, 'one debug pod a node, each deleted after the first gathering');
      await tty.send('r');
      for (let i = 0; i < 600 && lab.apiserver.deletions.length - before < 2 * everyNode.length; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(podNames(), [...everyNode, ...everyNode].sort(), 'and again after r');
      s = await tty.waitFor(/[✓✗!?] shop\s+frontend/, 30_000);
      assert.match(s, /gathered \S+/);
      await tty.send('Enter');
      s = await tty.waitFor(/Findings \(\d+\)/);
      await tty.send('q');
      assert.equal(await tty.waitForExit(), 0);
      assert.deepEqual(debugPodsLeft(), []);
    } finally {
      await tty.kill();
    }
  });

  test('Ctrl-C while a debug pod runs: the pod is deleted, then the session ends', async () => {
    const hang = lab.apiserver.delay({ path: /\/exec$/, ms: 60_000 });
    const seen = lab.apiserver.requests.length;
    const before = lab.apiserver.deletions.length;
    const tty = await open();
    try {
      await tty.waitFor('Gathering', 15_000);
      for (let i = 0; i < 300 && !lab.apiserver.requests.slice(seen).some((q) => q.path.endsWith('/exec')); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(lab.apiserver.requests.slice(seen).some((q) => q.path.endsWith('/exec')), 'a debug pod was running a command');
      await tty.send('C-c');
      assert.equal(await tty.waitForExit(30_000), 0);
      assert.ok(lab.apiserver.deletions.length - before >= 1, 'the running debug pod was deleted');
      assert.deepEqual(debugPodsLeft(), [], 'no debug pod left');
    } finally {
      hang.remove();
      await tty.kill();
    }
  });
});
