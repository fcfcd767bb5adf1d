import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import type { ClusterModel } from '../../model/cluster.js';
import type { Report } from '../../report/model.js';
import { clientText } from '../../report/text.js';
import { position } from '../../report/trace-text.js';
import { windowStart } from '../hooks.js';
import { chainRules } from '../state/chain-rules.js';
import { firstBranch, firstInterest, ladder, legTitle, pathClient, stopped, type LadderRow } from '../state/ladder.js';

export interface Props {
  readonly report: Report;
  readonly model: ClusterModel | null;
  readonly height: number;
  readonly active: boolean;
}

const RESULT_COLOR: Record<string, string> = { delivered: 'green', refused: 'red', timeout: 'red', blocked: 'red', indeterminate: 'magenta' };

/** Per ingress node, the packet's journey as a ladder; the rule that dropped or rejected it stands out. */
export default function PathView({ report, model, height, active }: Props) {
  const paths = report.paths;
  // Start on the first node that fails: that is the one the person came to see.
  const [nodeAt, setNodeAt] = useState(() => Math.max(0, paths.findIndex((p) => p.result !== 'delivered')));
  const path = paths[Math.min(nodeAt, paths.length - 1)];
  const [branchAt, setBranchAt] = useState(() => (path ? firstBranch(path) : 0));
  const branch = path?.branches[Math.min(branchAt, path.branches.length - 1)];
  const rows = path && branch ? ladder(path, branch, pathClient(report, path)) : [];
  const [cursor, setCursor] = useState(() => firstInterest(rows));
  const [expanded, setExpanded] = useState(false);
  const at = Math.min(cursor, Math.max(0, rows.length - 1));

  const showNode = (i: number) => {
    const p = paths[i];
    if (p === undefined) return;
    const b = firstBranch(p);
    setNodeAt(i);
    setBranchAt(b);
    setCursor(firstInterest(p.branches[b] ? ladder(p, p.branches[b], pathClient(report, p)) : []));
    setExpanded(false);
  };
  useKeys((input, key) => {
    if (key.rightArrow || input === 'l') showNode((nodeAt + 1) % paths.length);
    else if (key.leftArrow || input === 'h') showNode((nodeAt - 1 + paths.length) % paths.length);
    else if (input === 'b' && path && path.branches.length > 1) {
      const next = (branchAt + 1) % path.branches.length;
      setBranchAt(next);
      setCursor(firstInterest(ladder(path, path.branches[next]!, pathClient(report, path))));
      setExpanded(false);
    } else if (key.downArrow || input === 'j') {
      setCursor(Math.min(at + 1, rows.length - 1));
      setExpanded(false);
    } else if (key.upArrow || input === 'k') {
      setCursor(Math.max(at - 1, 0));
      setExpanded(false);
    } else if (key.return && rows[at]?.kind === 'hop') setExpanded((e) => !e);
  }, { isActive: active && paths.length > 0 });

  if (path === undefined) {
    return <Text dimColor>{`No path to show: ${report.verdict.summary}`}</Text>;
  }
  // A dual-stack Service: each node once per family, the family beside the node's name.
  const dual = (report.verdict.families?.length ?? 0) > 1;
  const row = rows[at];
  const detail = detailLines(row, expanded, model, path.family ?? 4);
  const detailHeight = Math.min(detail.length, Math.max(3, Math.floor((height - 3) / 2)));
  const focus = detail.findIndex((l) => l.focus === true);
  const detailStart = windowStart(detail.length, Math.max(0, focus), detailHeight);
  const ladderHeight = Math.max(3, height - 3 - detailHeight);
  const start = windowStart(rows.length, at, ladderHeight);

  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>Path </Text>
        <Text color="cyan">{`◀ ${path.node}${dual ? ` IPv${path.family}` : ''} ▶`}</Text>
        <Text dimColor>{` node ${nodeAt + 1}/${paths.length}  ${clientText({ ip: path.address, port: path.port })}/${path.protocol}  `}</Text>
        <Text color={RESULT_COLOR[path.result]} bold>{path.result}</Text>
        {path.result !== 'delivered' && path.deliveredShare > 0 ? <Text dimColor>{` (${Math.round(path.deliveredShare * 100)}% delivered)`}</Text> : null}
        {path.sameWalkAs !== undefined ? <Text dimColor>{`  same rules and answer as ${path.sameWalkAs}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {branch ? `branch ${branchAt + 1}/${path.branches.length}: ${Math.round(branch.probability * 100)}% of connections, ${branch.result}${branch.failedAt ? ` at the ${legTitle(branch.failedAt)}` : ''}${path.branches.length > 1 ? '  (b: next branch)' : ''}` : path.unavailable ?? 'no branch'}
      </Text>
      <Box flexDirection="column" height={ladderHeight} marginTop={1}>
        {rows.slice(start, start + ladderHeight).map((r, i) => <Rung key={start + i} row={r} selected={start + i === at} expanded={expanded && start + i === at} />)}
      </Box>
      <Box flexDirection="column" height={detailHeight}>
        {detail.slice(detailStart, detailStart + detailHeight).map((l, i) => (
          <Text key={i} wrap="truncate-end" color={l.color} inverse={l.inverse} dimColor={l.dim} bold={l.bold}>{l.text}</Text>
        ))}
      </Box>
    </Box>
  );
}

function Rung({ row, selected, expanded }: { readonly row: LadderRow; readonly selected: boolean; readonly expanded: boolean }) {
  const pointer = <Text color="cyan">{selected ? '▶' : ' '}</Text>;
  switch (row.kind) {
    case 'client':
      return <Text wrap="truncate-end">{pointer}<Text inverse={selected}>{` ● ${row.text}`}</Text></Text>;
    case 'leg': {
      const mark = row.ok === true ? '✓' : row.ok === false ? '✗' : '?';
      const color = row.ok === true ? 'green' : row.ok === false ? 'red' : 'magenta';
      return (
        <Text wrap="truncate-end">
          {pointer}
          <Text inverse={selected}>
            <Text color={color} bold>{` ${mark} ${legTitle(row.leg)}`}</Text>
            <Text bold>{row.node ? ` ${row.node}` : ''}</Text>
            {`: ${row.text}`}
          </Text>
        </Text>
      );
    }
    case 'hop': {
      const h = row.hop;
      const color = row.culprit ? 'red' : row.translates ? 'yellow' : undefined;
      return (
        <Text wrap="truncate-end">
          {pointer}
          <Text inverse={selected || row.culprit} color={color} bold={row.culprit}>
            {`   │ ${expanded ? '▾' : '▸'} ${`${h.family ? `${h.family} ` : ''}${h.table}/${h.chain}`.padEnd(30)} ${position(h).padEnd(11)} ${h.action}${row.culprit ? `   ◀ ${stopped(h)} here` : ''}`}
          </Text>
        </Text>
      );
    }
    case 'end':
      return (
        <Text wrap="truncate-end">
          {pointer}
          <Text inverse={selected} color={RESULT_COLOR[row.result]} bold>{` ${row.result === 'delivered' ? '✓' : '✗'} ${row.result}: `}</Text>
          <Text inverse={selected}>{row.text}</Text>
        </Text>
      );
  }
}

interface Line {
  text: string;
  color?: string;
  inverse?: boolean;
  dim?: boolean;
  bold?: boolean;
  /** The matched rule of an expanded chain: kept in view. */
  focus?: boolean;
}

/** Under the ladder: the selected rule in full, or its whole chain when expanded. */
function detailLines(row: LadderRow | undefined, expanded: boolean, model: ClusterModel | null, family: 4 | 6): Line[] {
  if (row === undefined) return [];
  if (row.kind !== 'hop') return [{ text: row.kind === 'client' ? '' : row.text, dim: true }];
  const h = row.hop;
  if (!expanded || model === null) {
    return [
      { text: `${row.node} ${h.family ? `${h.family} ` : ''}${h.table}/${h.chain} ${position(h)}${h.backend ? ` (iptables-${h.backend})` : ''}${h.element ? `, ${h.element.set} element ${h.element.key}${h.element.comment ? ` "${h.element.comment}"` : ''}` : ''}:  Enter shows the whole chain`, dim: true },
      { text: h.rule ?? `chain policy: ${h.action}`, color: row.culprit ? 'red' : 'yellow' },
    ];
  }
  const listing = chainRules(model, row.node, h, family);
  if ('why' in listing) return [{ text: `cannot list the chain: ${listing.why}`, color: 'red' }];
  const lines: Line[] = [{ text: `${listing.title} · rules by ${listing.unit}`, bold: true }];
  if (listing.rules.length === 0) lines.push({ text: '  (no rules: the policy decides)', dim: true });
  for (const r of listing.rules) {
    lines.push({ text: `${r.matched ? '▶' : ' '} ${String(r.line).padStart(5)}  ${r.text}`, ...(r.matched ? { color: row.culprit ? 'red' : 'yellow', inverse: true, focus: true } : {}) });
  }
  return lines;
}
