import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { GLOBAL_KEYS, SCREEN_KEYS, type KeyHelp, type Screen } from '../keys.js';

const TITLES: Record<Screen, string> = {
  list: 'Service list', diagnosis: 'Diagnosis', path: 'Path', 'what-if': 'What-if', save: 'Save', namespaces: 'Namespaces',
};

/** `?`: the keys of the screen underneath, then the keys that work everywhere. */
export default function HelpView({ screen }: { readonly screen: Screen }) {
  const group = (title: string, keys: readonly KeyHelp[]) => (
    <Box flexDirection="column" marginBottom={1}>
      <Text bold>{title}</Text>
      {keys.map((k) => (
        <Text key={k.keys} wrap="truncate-end"><Text color="cyan">{`  ${k.keys.padEnd(12)}`}</Text>{k.does}</Text>
      ))}
    </Box>
  );
  return (
    <Box flexDirection="column">
      {group(`Keys: ${TITLES[screen]}`, SCREEN_KEYS[screen])}
      {group('Everywhere', GLOBAL_KEYS)}
      <Text dimColor>? or Esc closes this</Text>
    </Box>
  );
}
