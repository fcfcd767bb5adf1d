import { Box } from 'ink';
import { useKeys } from '../input/router.js';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import TextField from '../components/TextField.js';
import type { SaveResult } from '../state/save.js';

export interface Props {
  readonly initial: string;
  readonly hasReport: boolean;
  readonly cwd: string;
  readonly active: boolean;
  /** Saves; resolves with what happened (null: it failed, and the session said why). */
  readonly onSave: (base: string, overwrite: boolean) => Promise<SaveResult | null>;
}

/**
 * Where to write the snapshot (and the open Service's JSON report). When a file of that name
 * exists, it asks before replacing it: y replaces, n or another key goes back to the name.
 */
export default function SaveView({ initial, hasReport, cwd, active, onSave }: Props) {
  const [base, setBase] = useState(initial);
  const [existing, setExisting] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const save = (overwrite: boolean) => {
    setBusy(true);
    void onSave(base, overwrite).then((r) => {
      setBusy(false);
      setExisting(r?.kind === 'exists' ? r.files : null);
    });
  };
  useKeys((input, key) => {
    if (busy) return;
    if (existing !== null) {
      if (input === 'y') save(true);
      else setExisting(null);
      return;
    }
    if (key.return) save(false);
  }, { isActive: active });
  return (
    <Box flexDirection="column">
      <Text bold>Save</Text>
      <Text dimColor>{`Writes NAME.snapshot.json (replay it anywhere with --snapshot)${hasReport ? ' and NAME.report.json (the report as -o json prints it)' : ''}, in ${cwd}, readable only by you. A name holds letters, digits, . _ and -; an absolute path saves elsewhere.`}</Text>
      <Text> </Text>
      <Text>{'NAME  '}<TextField value={base} onChange={setBase} focused={active && existing === null && !busy} /></Text>
      <Text> </Text>
      {existing !== null
        ? <Text color="yellow">{`${existing.join(' and ')} ${existing.length === 1 ? 'exists' : 'exist'}. Replace? y: yes   n: no, change the name`}</Text>
        : <Text dimColor>Enter: save   Esc: cancel</Text>}
    </Box>
  );
}
