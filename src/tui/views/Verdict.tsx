import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { familyHealth, healthOf } from '../../report/health.js';
import type { Report } from '../../report/model.js';
import { clientText, portText, wrap } from '../../report/text.js';
import Badge from '../components/Badge.js';
import type { WhatIf } from '../state/session.js';

export interface Props {
  readonly report: Report;
  readonly whatIf: WhatIf;
  readonly width: number;
  /** Lines it may take: the target line, then the verdict. */
  readonly height: number;
}

/**
 * What was asked and what the client sees, in the words of the text report's first line; for a
 * dual-stack Service, one line per address family, each with its own badge.
 */
export default function Verdict({ report, whatIf, width, height }: Props) {
  const t = report.target;
  const asked = Object.entries(whatIf).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`);
  const room = height - 1;
  const families = report.verdict.families ?? [];
  // A large snapshot's default replay (verdict.notReplayed): said, so a green badge is not read as every node's.
  const left = report.verdict.notReplayed;
  const clients = families.length > 1 ? families.map((f) => `IPv${f.family} client ${clientText(f.client)}`).join(', ') : `client ${clientText(t.client)}`;
  const head = (
    <Text wrap="truncate-end">
      <Text bold>{`${t.namespace}/${t.service}`}</Text>
      <Text dimColor>{`${portText(t.port)}, ${clients}`}</Text>
      {asked.length > 0 ? <Text color="magenta">{`  what-if: ${asked.join(' ')}`}</Text> : null}
      {left !== undefined ? <Text dimColor>{`  ${left.count} more node${left.count === 1 ? '' : 's'} not replayed (w: what-if node)`}</Text> : null}
    </Text>
  );
  if (families.length > 1) {
    return (
      <Box flexDirection="column">
        {head}
        {families.slice(0, room).map((f) => {
          const health = familyHealth(report, f.family);
          return (
            <Text key={f.family} wrap="truncate-end">
              <Badge health={health} />{` IPv${f.family} ${health === 'ok' ? 'answers' : f.summary}`}
            </Text>
          );
        })}
      </Box>
    );
  }
  const summary = wrap(report.verdict.summary, 0, width - 2);
  return (
    <Box flexDirection="column">
      {head}
      {summary.slice(0, room).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {i === 0 ? <><Badge health={healthOf(report)} />{' '}</> : '  '}
          {i === room - 1 && summary.length > room ? `${line.slice(0, Math.max(0, width - 4))}…` : line}
        </Text>
      ))}
    </Box>
  );
}
