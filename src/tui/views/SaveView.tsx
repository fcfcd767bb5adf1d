import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import TextField from '../components/TextField.js';

export interface Props {
  readonly initial: string;
  readonly hasReport: boolean;
  readonly cwd: string;
  readonly active: boolean;
  readonly onSave: (base: string) => void;
}

/** Where to write the snapshot (and the open Service's JSON report). */
export default function SaveView({ initial, hasReport, cwd, active, onSave }: Props) {
  const [base, setBase] = useState(initial);
  useInput((_input, key) => {
    if (key.return) onSave(base);
  }, { isActive: active });
  return (
    <Box flexDirection="column">
      <Text bold>Save</Text>
      <Text dimColor>{`Writes NAME.snapshot.json (replay it anywhere with --snapshot)${hasReport ? ' and NAME.report.json (the report as -o json prints it)' : ''}, in ${cwd}.`}</Text>
      <Text> </Text>
      <Text>{'NAME  '}<TextField value={base} onChange={setBase} focused={active} /></Text>
      <Text> </Text>
      <Text dimColor>Enter: save   Esc: cancel</Text>
    </Box>
  );
}
