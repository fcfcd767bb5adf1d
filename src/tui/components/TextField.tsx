import { useLayoutEffect, useRef } from 'react';
import { useKeys } from '../input/router.js';
import { Text } from './Text.js';

export interface Props {
  readonly value: string;
  readonly onChange: (value: string) => void;
  /** Only the focused field takes keys and shows the cursor. */
  readonly focused: boolean;
  readonly placeholder?: string;
}

/** Longer than any name, address or filter typed here: a paste beyond it is cut (bounded input). */
export const MAX_FIELD = 256;

/** C0 and C1 control characters: never typed into a field. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** A one-line text field: printable keys append, Backspace deletes, Ctrl-U clears. */
export default function TextField({ value, onChange, focused, placeholder = '' }: Props) {
  // What the field holds after the last key, rendered or not: each key edits that, not `value`.
  const latest = useRef(value);
  useLayoutEffect(() => {
    latest.current = value;
  }, [value]);
  const change = (next: string) => {
    latest.current = next;
    onChange(next);
  };
  useKeys((input, key) => {
    if (key.backspace || key.delete) change([...latest.current].slice(0, -1).join(''));
    else if (key.ctrl && input === 'u') change('');
    // A paste comes as one input: the field keeps its first MAX_FIELD characters.
    else if (!key.ctrl && !key.meta && input.length > 0 && !CONTROL.test(input) && latest.current.length < MAX_FIELD) change([...latest.current + input].slice(0, MAX_FIELD).join(''));
  }, { isActive: focused, takesPaste: true });
  if (value === '' && !focused) return <Text dimColor>{placeholder}</Text>;
  return (
    <Text>
      {value === '' && focused ? <Text dimColor>{placeholder}</Text> : value}
      {focused ? <Text inverse> </Text> : null}
    </Text>
  );
}
