import { Box } from 'ink';
import { Text } from './Text.js';
import type { Step } from '../state/progress-store.js';
import Spinner from './Spinner.js';

const MARK = { ok: ['✓', 'green'], warn: ['!', 'yellow'], fail: ['✗', 'red'], stopped: ['–', 'gray'] } as const;

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One gathering step: a spinner while it runs, then its result and the time it took. */
export function StepLine({ step }: { readonly step: Step }) {
  return (
    <Text wrap="truncate-end">
      {step.state === 'running' ? <Spinner /> : <Text color={MARK[step.state][1]}>{MARK[step.state][0]}</Text>}
      {` ${step.text}`}
      {step.ms !== null ? <Text dimColor>{`  ${formatMs(step.ms)}`}</Text> : null}
    </Text>
  );
}

/** Every gathering step so far (the API reads, then each node), oldest first. */
export default function Steps({ steps }: { readonly steps: readonly Step[] }) {
  return (
    <Box flexDirection="column">
      {steps.map((s) => <StepLine key={s.id} step={s} />)}
    </Box>
  );
}
