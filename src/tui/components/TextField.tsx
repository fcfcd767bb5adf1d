import { useInput } from 'ink';
import { Text } from './Text.js';

export interface Props {
  readonly value: string;
  readonly onChange: (value: string) => void;
  /** Only the focused field takes keys and shows the cursor. */
  readonly focused: boolean;
  readonly placeholder?: string;
}

/** A one-line text field: printable keys append, Backspace deletes, Ctrl-U clears. */
export default function TextField({ value, onChange, focused, placeholder = '' }: Props) {
  useInput((input, key) => {
    if (key.backspace || key.delete) onChange(value.slice(0, -1));
    else if (key.ctrl && input === 'u') onChange('');
    else if (!key.ctrl && !key.meta && !key.return && !key.escape && !key.tab && input.length > 0 && ![...input].some((c) => c < ' ')) onChange(value + input);
  }, { isActive: focused });
  if (value === '' && !focused) return <Text dimColor>{placeholder}</Text>;
  return (
    <Text>
      {value === '' && focused ? <Text dimColor>{placeholder}</Text> : value}
      {focused ? <Text inverse> </Text> : null}
    </Text>
  );
}
