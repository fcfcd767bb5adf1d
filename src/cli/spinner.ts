/**
 * Gathering progress on stderr with ora: one spinner line for the steps in flight, and a line that
 * stays for each finished step. Shown only in a terminal, outside CI, and not with JSON on stdout;
 * otherwise silent (the command prints a summary of what failed instead).
 */
import { SILENT, type Progress } from '../collect/gather-progress.js';
import { sanitize } from '../text/sanitize.js';
import { inCi, type Io } from './io.js';

export async function spinner(io: Io, quiet: boolean): Promise<Progress> {
  const stream = io.progressStream;
  if (quiet || stream === undefined || inCi(io.env) || io.env.TERM === 'dumb') return SILENT;
  const { default: ora } = await import('ora');
  // discardStdin would put stdin into raw mode; Ctrl-C must stay a signal so cleanup runs.
  const line = ora({ stream, discardStdin: false });
  const active = new Map<string, string>();
  const redraw = () => {
    if (active.size === 0) line.stop();
    else {
      line.text = [...active.values()].join('  ·  ');
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
