import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { healthOf } from '../../report/health.js';
import type { Report } from '../../report/model.js';
import { portText, wrap } from '../../report/text.js';
import Badge from '../components/Badge.js';
import type { WhatIf } from '../state/session.js';

export interface Props {
  readonly report: Report;
  readonly whatIf: WhatIf;
  readonly width: number;
  /** Lines it may take: the target line, then the verdict. */
  readonly height: number;
}

/** What was asked and what the client sees, in the words of the text report's first line. */
export default function Verdict({ report, whatIf, width, height }: Props) {
  const t = report.target;
  const asked = Object.entries(whatIf).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`);
  const summary = wrap(report.verdict.summary, 0, width - 2);
  const room = height - 1;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{`${t.namespace}/${t.service}`}</Text>
        <Text dimColor>{`${portText(t.port)}, client ${t.client.ip}:${t.client.port}`}</Text>
        {asked.length > 0 ? <Text color="magenta">{`  what-if: ${asked.join(' ')}`}</Text> : null}
      </Text>
      {summary.slice(0, room).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {i === 0 ? <><Badge health={healthOf(report)} />{' '}</> : '  '}
          {i === room - 1 && summary.length > room ? `${line.slice(0, Math.max(0, width - 4))}…` : line}
        </Text>
      ))}
    </Box>
  );
}
