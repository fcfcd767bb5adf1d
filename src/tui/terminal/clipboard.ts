/**
 * Copy to the clipboard of the terminal the person sits at, even over SSH: OSC 52 asks the terminal
 * emulator itself to set its selection (xterm, iTerm2, kitty, WezTerm, Windows Terminal; tmux passes
 * it on with `set -g set-clipboard on`). Nothing is run on this machine.
 */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}
