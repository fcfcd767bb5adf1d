/**
 * The only Text the TUI draws with. Ink passes a string child to the terminal as it is, so an ESC
 * in a rule comment or a node name would reach the screen; this Text escapes control characters in
 * its own string children (DESIGN §3a). Nested elements are Texts too and clean their own. A lint
 * rule (eslint.config.js) forbids importing Ink's Text anywhere else.
 */
// eslint-disable-next-line no-restricted-imports -- the one place Ink's Text is wrapped
import { Text as InkText, type TextProps } from 'ink';
import type { ReactNode } from 'react';
import { sanitize } from '../../text/sanitize.js';

function clean(node: ReactNode): ReactNode {
  if (typeof node === 'string') return sanitize(node, true);
  if (Array.isArray(node)) return node.map((n: ReactNode) => clean(n));
  return node;
}

export function Text({ children, ...props }: TextProps) {
  return <InkText {...props}>{clean(children)}</InkText>;
}
