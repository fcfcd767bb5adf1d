/** np-doctor diagnose in a terminal: gathering steps with spinners, results and times; checks live. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { ProgressStore } from '../../src/tui/state/progress-store.js';
import LiveDiagnose from '../../src/tui/views/LiveDiagnose.js';
import { DEMO, waitFor } from './support.js';

test('each step spins while it runs, then shows its result and time; checks count up as they run', async () => {
  const progress = new ProgressStore();
  const app = render(<LiveDiagnose progress={progress} report={null} />);
  progress.start('services', 'reading service shop/frontend');
  progress.start('node:node-1', 'node-1: connecting (ssh)');
  const frame = () => app.lastFrame() ?? '';
  const shows = (re: RegExp, of: () => string = frame) => waitFor(() => re.test(of()), String(re), { detail: of });
  await shows(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] reading service shop\/frontend\n[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] node-1: connecting \(ssh\)/);

  progress.succeed('services', '1 service');
  progress.start('node:node-1', 'node-1: iptables-save');
  progress.fail('node:node-2', 'node-2: ssh: connect ECONNREFUSED');
  const all = () => app.frames.join('');
  await shows(/✓ 1 service {2}\d+ ms/, all);
  await shows(/✗ node-2: ssh: connect ECONNREFUSED {2}\d+ ms/, all);
  await shows(/node-1: iptables-save/);
  assert.equal(frame().match(/node-1:/g)?.length, 1, 'a node keeps one line while its commands change');

  progress.succeed('node:node-1', 'node-1: read via ssh');
  const snapshot = await loadSnapshot(DEMO);
  const report = await diagnose(snapshot, { namespace: 'shop', service: 'frontend', allNodes: true }, { checks: CHECKS, onCheck: progress.check });
  assert.ok(app.frames.some((s) => /running checks: \d+ done, [a-z-]+/.test(s)), 'checks are shown while they run');
  app.rerender(<LiveDiagnose progress={progress} report={report} />);
  await shows(new RegExp(`✓ ${CHECKS.length} checks: ${CHECKS.length - 1} passed, 1 failed {2}\\d+ ms`), all);
  await waitFor(() => !frame().includes('running checks'), 'the live line to go once the report is in', { detail: frame });
  app.unmount();
});
