/** np-doctor diagnose in a terminal: gathering steps with spinners, results and times; checks live. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { ProgressStore } from '../../src/tui/state/progress-store.js';
import LiveDiagnose from '../../src/tui/views/LiveDiagnose.js';
import { DEMO, tick } from './support.js';

test('each step spins while it runs, then shows its result and time; checks count up as they run', async () => {
  const progress = new ProgressStore();
  const app = render(<LiveDiagnose progress={progress} report={null} />);
  progress.start('services', 'reading service shop/frontend');
  progress.start('node:node-1', 'node-1: connecting (ssh)');
  await tick();
  assert.match(app.lastFrame() ?? '', /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] reading service shop\/frontend\n[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] node-1: connecting \(ssh\)/);

  progress.succeed('services', '1 service');
  progress.start('node:node-1', 'node-1: iptables-save');
  progress.fail('node:node-2', 'node-2: ssh: connect ECONNREFUSED');
  await tick();
  const f = app.frames.join('');
  assert.match(f, /✓ 1 service {2}\d+ ms/);
  assert.match(f, /✗ node-2: ssh: connect ECONNREFUSED {2}\d+ ms/);
  assert.match(app.lastFrame() ?? '', /node-1: iptables-save/, 'a node keeps one line while its commands change');

  progress.succeed('node:node-1', 'node-1: read via ssh');
  const snapshot = await loadSnapshot(DEMO);
  const report = await diagnose(snapshot, { namespace: 'shop', service: 'frontend', allNodes: true }, { checks: CHECKS, onCheck: progress.check });
  assert.ok(app.frames.some((s) => /running checks: \d+ done, [a-z-]+/.test(s)), 'checks are shown while they run');
  app.rerender(<LiveDiagnose progress={progress} report={report} />);
  await tick();
  assert.match(app.frames.join(''), new RegExp(`✓ ${CHECKS.length} checks: ${CHECKS.length - 1} passed, 1 failed {2}\\d+ ms`));
  assert.doesNotMatch(app.lastFrame() ?? '', /running checks/);
  app.unmount();
});
