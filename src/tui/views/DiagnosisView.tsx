import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import type { Report, ReportFinding } from '../../report/model.js';
import { evidenceText, probeLines, wrap } from '../../report/text.js';
import Spinner from '../components/Spinner.js';
import { useStore, windowStart } from '../hooks.js';
import type { Diagnosis } from '../state/session.js';
import Verdict from './Verdict.js';

export interface Props {
  readonly diagnosis: Diagnosis;
  readonly width: number;
  readonly height: number;
  readonly active: boolean;
  readonly onCopy: (command: string) => void;
}

const SEVERITY: Record<ReportFinding['severity'], { label: string; color: string }> = {
  error: { label: 'ERROR', color: 'red' },
  warning: { label: 'WARN ', color: 'yellow' },
  info: { label: 'INFO ', color: 'cyan' },
};

interface Line {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** The findings by severity, and a detail pane for the selected one: message, evidence, fix. */
export default function DiagnosisView({ diagnosis, width, height, active, onCopy }: Props) {
  const [selected, setSelected] = useState(0);
  const [command, setCommand] = useState(0);
  const [scroll, setScroll] = useState(0);
  const report = diagnosis.report;
  const findings = report?.findings ?? [];
  const at = Math.min(selected, Math.max(0, findings.length - 1));
  const finding = findings[at];
  const commands = finding?.remediation.commands ?? [];
  const cmd = Math.min(command, Math.max(0, commands.length - 1));

  const pick = (i: number) => {
    setSelected(i);
    setCommand(0);
    setScroll(0);
  };
  useKeys((input, key) => {
    if (key.downArrow || input === 'j') pick(Math.min(at + 1, findings.length - 1));
    else if (key.upArrow || input === 'k') pick(Math.max(at - 1, 0));
    else if (key.tab && commands.length > 0) setCommand((cmd + 1) % commands.length);
    else if (input === 'c' && commands[cmd] !== undefined) onCopy(commands[cmd]);
    else if (key.pageDown || input === ' ') setScroll(Math.min(top + page, maxTop));
    else if (key.pageUp) setScroll(Math.max(0, top - page));
  }, { isActive: active && report !== null });

  if (report === null) return <Running diagnosis={diagnosis} />;

  const side = width >= 110;
  const listWidth = side ? Math.min(48, Math.floor(width * 0.35)) : width;
  const detailWidth = side ? width - listWidth - 1 : width;
  const verdictHeight = 3;
  const listHeight = side ? height - verdictHeight - 1 : Math.min(findings.length + 1, Math.max(2, Math.floor((height - verdictHeight) / 3)));
  const detailHeight = side ? height - verdictHeight - 1 : height - verdictHeight - listHeight - 1;
  const lines = [...(finding ? detailLines(finding, detailWidth - 2) : noFindingLines(report, detailWidth - 2)), ...probeBlock(report)];
  // The fix commands stay at the foot of the pane, so Tab and c act on a line on the screen; above
  // them the rest scrolls (PgUp PgDn), with one line saying what is above and below.
  const fix = fixLines(commands, cmd, Math.max(2, Math.floor(detailHeight / 2)));
  const visible = Math.max(1, detailHeight - fix.length - 1);
  const maxTop = Math.max(0, lines.length - visible);
  const page = Math.max(1, visible - 1);
  const top = Math.min(scroll, maxTop);
  const below = lines.length - top - visible;
  const listStart = windowStart(findings.length, at, listHeight - 1);

  return (
    <Box flexDirection="column" height={height}>
      <Verdict report={report} whatIf={diagnosis.whatIf} width={width} height={verdictHeight} />
      {diagnosis.error ? <Text color="red" wrap="truncate-end">{`cannot replay that: ${diagnosis.error}`}</Text> : null}
      <Box flexDirection={side ? 'row' : 'column'} marginTop={diagnosis.error ? 0 : 1}>
        <Box flexDirection="column" width={listWidth} height={listHeight}>
          <Text bold>{`Findings (${findings.length})`}</Text>
          {findings.slice(listStart, listStart + listHeight - 1).map((f, i) => {
            const mine = listStart + i === at;
            return (
              <Text key={`${f.id}-${f.node ?? ''}-${i}`} inverse={mine} wrap="truncate-end">
                <Text color={SEVERITY[f.severity].color}>{mine ? '▶' : ' '}{SEVERITY[f.severity].label}</Text>
                {` ${f.family ? `IPv${f.family} ` : ''}${f.id}${f.node ? ` (${f.node})` : ''}`}
              </Text>
            );
          })}
        </Box>
        <Box flexDirection="column" width={detailWidth} height={detailHeight} paddingLeft={side ? 1 : 0}>
          {lines.slice(top, top + visible).map((l, i) => (
            <Text key={i} color={l.color} bold={l.bold} dimColor={l.dim} inverse={l.inverse} wrap="truncate-end">{l.text}</Text>
          ))}
          {top > 0 || below > 0 ? <Text dimColor>{[top > 0 ? `↑ ${top} lines above (PgUp)` : '', below > 0 ? `↓ ${below} more lines (PgDn)` : ''].filter((x) => x !== '').join('  ')}</Text> : null}
          {fix.map((l, i) => (
            <Text key={`fix-${i}`} color={l.color} dimColor={l.dim} inverse={l.inverse} wrap="truncate-end">{l.text}</Text>
          ))}
        </Box>
      </Box>
    </Box>
  );
}

function detailLines(f: ReportFinding, width: number): Line[] {
  const lines: Line[] = [{ text: `${SEVERITY[f.severity].label.trim()}  ${f.family ? `IPv${f.family}: ` : ''}${f.title}${f.node ? ` (${f.node})` : ''}`, color: SEVERITY[f.severity].color, bold: true }];
  lines.push({ text: f.id, dim: true });
  lines.push(...wrap(f.message, 0, width).map((text) => ({ text })));
  if (f.evidence.length > 0) {
    lines.push({ text: '' }, { text: 'Evidence', bold: true });
    for (const e of f.evidence) {
      const [first, ...rest] = wrap(evidenceText(e), 4, width);
      lines.push({ text: `  • ${first!.trimStart()}`, ...(e.kind === 'rule' ? { color: 'yellow' } : {}) });
      lines.push(...rest.map((text) => ({ text, ...(e.kind === 'rule' ? { color: 'yellow' } : {}) })));
    }
  }
  lines.push({ text: '' }, { text: 'Fix', bold: true }, ...wrap(f.remediation.summary, 2, width).map((text) => ({ text })));
  return lines;
}

/** The fix commands, the selected one marked, in at most `room` lines: a window around the selected one. */
function fixLines(commands: readonly string[], selected: number, room: number): Line[] {
  if (commands.length === 0) return [];
  const shown = Math.max(1, room - 1);
  const start = windowStart(commands.length, selected, shown);
  const lines: Line[] = commands.slice(start, start + shown).map((c, i) => {
    const mine = start + i === selected;
    return { text: `${mine ? '▶' : ' '} $ ${c}`, color: 'green', inverse: mine };
  });
  const more = commands.length > shown ? ` (command ${selected + 1}/${commands.length})` : '';
  return [...lines, { text: `Tab: next command  c: copy it${more}`, dim: true }];
}

function noFindingLines(report: Report, width: number): Line[] {
  const skipped = report.checks.filter((c) => c.status !== 'passed' && c.status !== 'failed');
  const lines: Line[] = [{ text: 'No findings.', bold: true }];
  const dual = (report.verdict.families?.length ?? 0) > 1;
  lines.push(...report.verdict.nodes.map((n) => ({ text: `  ${n.result === 'delivered' ? '✓' : '✗'} ${dual ? `IPv${n.family} ` : ''}${n.node} ${n.address}: ${n.result}`, color: n.result === 'delivered' ? 'green' : 'red' })));
  for (const c of skipped) lines.push(...wrap(`${c.status} ${c.id}: ${c.reason ?? ''}`, 2, width).map((text) => ({ text, dim: true })));
  return lines;
}

/** What --probe (the P key) saw, below the detail: every probe and its result. */
function probeBlock(report: Report): Line[] {
  if (report.probes === undefined) return [];
  const [head, ...rest] = probeLines(report.probes);
  return [{ text: '' }, { text: head ?? '', bold: true }, ...rest.map((text) => ({ text }))];
}

/** While the checks run: each one as it starts and ends. */
function Running({ diagnosis }: { readonly diagnosis: Diagnosis }) {
  const view = useStore(diagnosis.progress, diagnosis.progress.getSnapshot);
  const done = view.checks.filter((c) => c.status !== 'running').length;
  const running = view.checks.find((c) => c.status === 'running');
  return (
    <Box flexDirection="column">
      <Text bold>{diagnosis.row.key}</Text>
      {diagnosis.error ? <Text color="red">{diagnosis.error}</Text> : (
        <Text><Spinner />{` running checks: ${done} done${running ? `, ${running.id}` : ''}`}</Text>
      )}
    </Box>
  );
}
