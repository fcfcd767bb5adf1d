/**
 * The sudoers rule a non-root SSH user needs, generated from the fixed command list so it cannot
 * drift from what np-doctor runs. Each Cmnd is the tool's full path and exactly its arguments:
 * sudoers(5) lets a Cmnd without arguments run with ANY arguments (`/usr/sbin/nft` would allow
 * `nft -f FILE`, which loads any ruleset), and `""` after the path allows none.
 */
import { NODE_COMMANDS, type NodeCommandId } from '../../snapshot/node-commands.js';

/** Where Debian, Ubuntu, RHEL and their kin install these tools; `command -v TOOL` on a node says for sure. */
export const DEFAULT_TOOL_DIR = '/usr/sbin';

/** The fixed commands that need root, in command-list order. */
export const ROOT_COMMANDS: readonly NodeCommandId[] = (Object.keys(NODE_COMMANDS) as NodeCommandId[]).filter((id) => NODE_COMMANDS[id].root);

/** Characters sudoers gives a meaning inside a Cmnd; the fixed arguments contain none of them. */
const SPECIAL = /[\s,:=\\"#!*?[\]]/;

/** One sudoers Cmnd for a fixed argument vector: the tool's path, then its arguments, `""` when there are none. */
export function sudoersCmnd(argv: readonly string[], pathOf: (tool: string) => string = (t) => `${DEFAULT_TOOL_DIR}/${t}`): string {
  const [tool = '', ...args] = argv;
  for (const a of args) {
    // A fixed argument that needed escaping would be a change to node-commands.ts that must be thought through here.
    if (SPECIAL.test(a) || a === '') throw new Error(`sudoersCmnd: the argument ${JSON.stringify(a)} of ${tool} needs sudoers escaping`);
  }
  return `${pathOf(tool)} ${args.length > 0 ? args.join(' ') : '""'}`;
}

/** The rule for one command: `USER ALL=(root) NOPASSWD: /usr/sbin/nft -j list ruleset`. */
export function sudoersRuleFor(user: string, argv: readonly string[], pathOf?: (tool: string) => string): string {
  return `${user} ALL=(root) NOPASSWD: ${sudoersCmnd(argv, pathOf)}`;
}

/** The one line that lets `user` run every root command np-doctor runs, and nothing else. */
export function sudoersLine(user: string, pathOf?: (tool: string) => string): string {
  return `${user} ALL=(root) NOPASSWD: ${ROOT_COMMANDS.map((id) => sudoersCmnd(NODE_COMMANDS[id].argv, pathOf)).join(', ')}`;
}
