import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import { windowStart } from '../hooks.js';

export interface Props {
  readonly namespaces: readonly string[];
  readonly current: string | null;
  readonly held: string | null;
  readonly live: boolean;
  readonly height: number;
  readonly active: boolean;
  readonly onPick: (namespace: string | null) => void;
}

/** Switch namespace; one the snapshot does not hold is gathered (live) or explained (offline). */
export default function NamespacePicker({ namespaces, current, held, live, height, active, onPick }: Props) {
  const choices: (string | null)[] = [null, ...namespaces];
  const [cursor, setCursor] = useState(Math.max(0, choices.indexOf(current)));
  useKeys((input, key) => {
    if (key.downArrow || input === 'j') setCursor((c) => Math.min(c + 1, choices.length - 1));
    else if (key.upArrow || input === 'k') setCursor((c) => Math.max(c - 1, 0));
    else if (key.return) onPick(choices[cursor] ?? null);
  }, { isActive: active });
  const listHeight = Math.max(1, height - 2);
  const start = windowStart(choices.length, cursor, listHeight);
  const note = (ns: string | null) => (held === null || ns === held ? '' : live ? '  (gathers it)' : '  (not in this snapshot)');
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>Namespace</Text>
      <Text dimColor>{held === null ? 'the snapshot holds every namespace' : `the snapshot holds namespace ${held}`}</Text>
      {choices.slice(start, start + listHeight).map((ns, i) => (
        <Text key={ns ?? '*'} inverse={start + i === cursor} wrap="truncate-end">
          {`${start + i === cursor ? '▶' : ' '} ${ns ?? 'all namespaces'}${ns === current ? '  ●' : ''}`}
          <Text dimColor>{note(ns)}</Text>
        </Text>
      ))}
    </Box>
  );
}
