import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import Badge from '../components/Badge.js';
import TextField from '../components/TextField.js';
import { windowStart } from '../hooks.js';
import type { SessionState } from '../state/session.js';
import { nodePortsText, SORT_KEYS, sortRows, visibleRows, type ListSort, type ServiceRow } from '../state/services.js';

/** Where the person is in the list; kept by the App so it survives opening a Service and coming back. */
export interface ListPlace {
  cursor: number;
  filter: string;
  sort: ListSort;
}

export interface Props {
  readonly state: SessionState;
  readonly place: ListPlace;
  readonly onMove: (place: ListPlace) => void;
  readonly height: number;
  readonly active: boolean;
  readonly onOpen: (row: ServiceRow) => void;
  /** True while the filter takes the keys (the session's own keys pause). */
  readonly onCapture: (capturing: boolean) => void;
}

/** Every NodePort and LoadBalancer Service, with its nodePorts and the first pass's badge. */
export default function ServiceList({ state, place, onMove, height, active, onOpen, onCapture }: Props) {
  const { cursor, filter, sort } = place;
  const setCursor = (c: number) => onMove({ ...place, cursor: c });
  const setFilter = (f: string) => onMove({ ...place, cursor: 0, filter: f });
  const [filtering, setFiltering] = useState(false);
  const rows = sortRows(visibleRows(state.services, state.namespace, filter), sort, state.health);
  const at = Math.min(cursor, Math.max(0, rows.length - 1));
  // Sorting keeps the cursor on the Service it was on.
  const sortBy = (by: ListSort['by']) => {
    const next = { by, descending: by === sort.by ? !sort.descending : false };
    const key = rows[at]?.key;
    onMove({ ...place, sort: next, cursor: Math.max(0, sortRows(rows, next, state.health).findIndex((r) => r.key === key)) });
  };

  const stopFiltering = (keep: boolean) => {
    if (!keep) setFilter('');
    setFiltering(false);
    onCapture(false);
  };
  useKeys((input, key) => {
    if (filtering) {
      if (key.return) stopFiltering(true);
      else if (key.escape) stopFiltering(false);
      else if (key.upArrow || key.downArrow) stopFiltering(true);
      return;
    }
    if (input === '/') {
      setFiltering(true);
      onCapture(true);
    } else if (key.downArrow || input === 'j') setCursor(Math.min(at + 1, rows.length - 1));
    else if (key.upArrow || input === 'k') setCursor(Math.max(at - 1, 0));
    else if (key.escape && filter !== '') setFilter('');
    else if (SORT_KEYS[input] !== undefined && !key.ctrl && !key.meta) sortBy(SORT_KEYS[input]);
    else if (key.return && rows[at] !== undefined) onOpen(rows[at]);
  }, { isActive: active });

  const nameWidth = Math.max(8, ...rows.map((r) => r.name.length)) + 2;
  const nsWidth = Math.max(9, ...rows.map((r) => r.namespace.length)) + 2;
  const typeWidth = Math.max(4, ...rows.map((r) => r.type.length)) + 2;
  const portsWidth = Math.max(9, ...rows.map((r) => nodePortsText(r).length)) + 2;
  const listHeight = Math.max(1, height - 3);
  const start = windowStart(rows.length, at, listHeight);
  const where = state.namespace === null ? 'all namespaces' : `namespace ${state.namespace}`;
  // The sorted column carries an arrow, as in k9s; health's is over the badges.
  const arrow = sort.descending ? '↓' : '↑';
  const head = (title: string, by: ListSort['by'], width: number) => `${title}${sort.by === by ? arrow : ''}`.padEnd(width);

  return (
    <Box flexDirection="column" height={height}>
      <Box>
        <Text bold>Services</Text>
        <Text dimColor>{` ${rows.length} with a nodePort in ${where} · by ${sort.by} ${arrow}`}</Text>
        {filtering || filter !== '' ? (
          <Text>{'   filter /'}<TextField value={filter} onChange={setFilter} focused={filtering && active} /></Text>
        ) : null}
      </Box>
      <Text dimColor wrap="truncate-end">
        {`${sort.by === 'health' ? arrow : ' '} ${head('NAMESPACE', 'namespace', nsWidth)}${head('NAME', 'name', nameWidth)}${'TYPE'.padEnd(typeWidth)}${'NODEPORTS'.padEnd(portsWidth)}${'ETP'.padEnd(9)}TOP FINDING`}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>{state.services.length === 0 ? '   no Service with a nodePort in this snapshot' : '   nothing matches'}</Text>
      ) : null}
      {rows.slice(start, start + listHeight).map((r, i) => {
        const selected = start + i === at;
        const pass = state.health[r.key];
        return (
          <Box key={r.key}>
            <Badge health={pass?.health} />
            <Text inverse={selected} wrap="truncate-end">
              {` ${r.namespace.padEnd(nsWidth)}${r.name.padEnd(nameWidth)}${r.type.padEnd(typeWidth)}${nodePortsText(r).padEnd(portsWidth)}${r.externalTrafficPolicy.padEnd(9)}${pass === undefined ? '…' : pass.top ?? (pass.health === 'ok' ? 'healthy' : '-')}`}
            </Text>
          </Box>
        );
      })}
    </Box>
  );
}
