/**
 * Gathering progress on stderr with ora: one spinner line for the steps in flight, and a line that
 * stays for each finished step. Shown only when stderr is a terminal (whatever stdout is: JSON
 * piped to a file still shows the gathering), outside CI, and not under --quiet; otherwise silent
 * (the command prints a summary of what failed instead).
 */
import { SILENT, type Progress } from '../collect/gather-progress.js';
import { sanitize } from '../text/sanitize.js';
import { inCi, type Io } from './io.js';

/** Steps named on the spinner line at once; a wrapped spinner line is redrawn as garbage. */
const SHOWN_AT_ONCE = 3;

export async function spinner(io: Io): Promise<Progress> {
  const stream = io.progressStream;
  // --quiet took the stream away (command.ts).
  if (stream === undefined || inCi(io.env) || io.env.TERM === 'dumb') return SILENT;
  const { default: ora } = await import('ora');
  // discardStdin would put stdin into raw mode; Ctrl-C must stay a signal so cleanup runs.
  const line = ora({ stream, discardStdin: false });
  const active = new Map<string, string>();
  const redraw = () => {
    if (active.size === 0) line.stop();
    else {
      // One line, whatever --parallel is: the first steps (the node count among them), then how many more.
      const texts = [...active.values()];
      const more = texts.length - SHOWN_AT_ONCE;
      line.text = [...texts.slice(0, SHOWN_AT_ONCE), ...(more > 0 ? [`+${more} more`] : [])].join('  ·  ');
      if (!line.isSpinning) line.start();
    }
  };
  const finish = (id: string, text: string, how: 'succeed' | 'warn' | 'fail') => {
    active.delete(id);
    line[how](sanitize(text));
    redraw();
  };
  return {
    start(id, text) {
      // Node names and error messages come from the cluster: one line, no control characters.
      active.set(id, sanitize(text));
      redraw();
    },
    succeed: (id, text) => finish(id, text, 'succeed'),
    warn: (id, text) => finish(id, text, 'warn'),
    fail: (id, text) => finish(id, text, 'fail'),
    stop() {
      active.clear();
      line.stop();
    },
  };
}
