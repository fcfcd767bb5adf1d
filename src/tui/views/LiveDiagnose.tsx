import { Box, Static } from 'ink';
import { Text } from '../components/Text.js';
import type { ReactNode } from 'react';
import type { Report } from '../../report/model.js';
import Spinner from '../components/Spinner.js';
import { formatMs, StepLine } from '../components/Steps.js';
import { useStore } from '../hooks.js';
import type { ProgressStore } from '../state/progress-store.js';

export interface Props {
  readonly progress: ProgressStore;
  /** Set once the checks have run: the live lines end with their summary. */
  readonly report: Report | null;
}

/**
 * `np-doctor diagnose` in a terminal: each gathering step with a spinner while it runs and its
 * result and time once done, then the checks as they run. Finished lines go to <Static>, so they
 * stay in the scrollback however many nodes there are. The report itself is printed after Ink lets
 * go of the screen: Ink cuts long lines at the terminal's width, and a fix command split in two
 * lines no longer pastes into a shell; the terminal's own soft wrap keeps it whole.
 */
export default function LiveDiagnose({ progress, report }: Props) {
  const view = useStore(progress, progress.getSnapshot);
  const running = view.steps.filter((s) => s.state === 'running');
  const checks = view.checks;
  const done = checks.filter((c) => c.status !== 'running');
  const current = checks.find((c) => c.status === 'running');

  const items: { key: string; node: ReactNode }[] = view.ended.map((s, i) => ({ key: `${i}`, node: <StepLine step={s} /> }));
  if (report !== null) {
    const counts = new Map<string, number>();
    for (const c of report.checks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
    // The Report has durations only under --timings; the runner's events as they came always do.
    const ms = done.length === 0 ? null : Math.round(done.reduce((t, c) => t + ('durationMs' in c ? c.durationMs : 0), 0));
    items.push({
      key: 'checks',
      node: (
        <Text>
          <Text color="green">✓</Text>
          {` ${report.checks.length} checks: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`}
          {ms === null ? null : <Text dimColor>{`  ${formatMs(ms)}`}</Text>}
        </Text>
      ),
    });
  }
  return (
    <>
      <Static items={items}>{(item) => <Box key={item.key}>{item.node}</Box>}</Static>
      {report === null ? (
        <Box flexDirection="column">
          {running.map((s) => <StepLine key={s.id} step={s} />)}
          {checks.length > 0 ? <Text><Spinner />{` running checks: ${done.length} done${current ? `, ${current.id}` : ''}`}</Text> : null}
        </Box>
      ) : null}
    </>
  );
}
