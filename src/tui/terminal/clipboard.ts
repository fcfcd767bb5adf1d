/**
 * Copy to the clipboard of the terminal the person sits at, even over SSH: OSC 52 asks the terminal
 * emulator itself to set its selection (xterm, iTerm2, kitty, WezTerm, Windows Terminal; tmux passes
 * it on with `set -g set-clipboard on`). Nothing is run on this machine.
 */
import { hasControl } from '../../text/sanitize.js';

export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}

/**
 * The OSC 52 sequence that copies a fix command, or null when the command holds a control
 * character. Its words are shell-quoted, but inside the quotes such a character would still reach
 * the shell (and the clipboard) raw, where a person cannot see it: the command is shown escaped
 * and never copied.
 */
export function copyCommand(command: string): string | null {
  return hasControl(command) ? null : osc52(command);
}
