import { COMMAND_HELP } from './commands.js';

/** Every key the session answers to, per screen: the help screen and the key bar read this list. */
export type Screen = 'list' | 'diagnosis' | 'path' | 'what-if' | 'save' | 'namespaces';

export interface KeyHelp {
  keys: string;
  does: string;
  /** Its entry in the key bar at the bottom, when it has one. */
  bar?: string;
}

export const GLOBAL_KEYS: readonly KeyHelp[] = [
  { keys: '?', does: 'show or hide the keys' },
  { keys: ':', does: `command line: ${COMMAND_HELP}; Esc cancels` },
  { keys: 'Esc', does: 'back' },
  { keys: 'r', does: 'gather again (live sessions)' },
  { keys: 's', does: 'save the snapshot and the report' },
  { keys: 'q Ctrl-C', does: 'quit (a running gathering is stopped and its debug pods deleted)' },
];

export const SCREEN_KEYS: Record<Screen, readonly KeyHelp[]> = {
  list: [
    { keys: '↑ ↓ j k', does: 'move' },
    { keys: 'Enter', does: 'diagnose the Service', bar: 'Enter open' },
    { keys: '/', does: 'filter by name (Enter keeps it, Esc clears it)', bar: '/ filter' },
    { keys: 'n', does: 'switch namespace', bar: 'n namespace' },
    { keys: 'N S H', does: 'sort by name, namespace or health, worst first (again: reverse)' },
  ],
  diagnosis: [
    { keys: '↑ ↓ j k', does: 'select a finding' },
    { keys: 'Tab', does: 'select the next fix command', bar: 'Tab command' },
    { keys: 'c', does: 'copy the selected command to the clipboard (OSC 52)', bar: 'c copy' },
    { keys: 'PgUp PgDn', does: 'scroll the detail' },
    { keys: 'p', does: 'the packet\'s path, node by node', bar: 'p path' },
    { keys: 'w', does: 'what-if: another node, client, port or protocol', bar: 'w what-if' },
    { keys: 'P', does: 'probe the wire (live sessions): gather again and send TCP connects to the nodePort and the pods, as --probe does', bar: 'P probe' },
  ],
  path: [
    { keys: '← → h l', does: 'previous / next ingress node', bar: '←→ node' },
    { keys: 'b', does: 'next branch (kube-proxy picks a backend per connection)', bar: 'b branch' },
    { keys: '↑ ↓ j k', does: 'move along the path' },
    { keys: 'Enter', does: 'expand the chain of the selected rule, or fold it', bar: 'Enter chain' },
    { keys: 'w', does: 'what-if: another node, client, port or protocol', bar: 'w what-if' },
  ],
  'what-if': [
    { keys: '↑ ↓ Tab', does: 'next field' },
    { keys: '← →', does: 'choose (node, port, protocol)' },
    { keys: 'type', does: 'edit (node IP, client)' },
    { keys: 'Enter', does: 'replay with these answers', bar: 'Enter replay' },
  ],
  save: [
    { keys: 'type', does: 'edit the file name' },
    { keys: 'Enter', does: 'write NAME.snapshot.json and NAME.report.json (0600)', bar: 'Enter save' },
    { keys: 'y / n', does: 'when a file exists: replace it, or keep it and change the name' },
  ],
  namespaces: [
    { keys: '↑ ↓ j k', does: 'move' },
    { keys: 'Enter', does: 'show this namespace', bar: 'Enter show' },
  ],
};

/** The one-line reminder at the bottom of the screen. */
export function keyBar(screen: Screen): string {
  // On the typing screens ? and q are letters for the field.
  const rest = screen === 'what-if' || screen === 'save' ? ['Esc cancel'] : ['? keys', 'Esc back', 'q quit'];
  // The list's bar has room for the command line, which works on every screen but the typing ones.
  const command = screen === 'list' ? [': command'] : [];
  return ['↑↓ move', ...SCREEN_KEYS[screen].flatMap((k) => (k.bar ? [k.bar] : [])), ...command, ...rest].join('  ');
}
