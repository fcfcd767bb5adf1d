/** Mounts the interactive session on the alternate screen and waits until the person quits. */
import { render } from 'ink';
import App, { type OpenService } from './App.js';
import type { Session, WhatIf } from './state/session.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN } from './terminal/screen.js';

export interface SessionRunOptions {
  session: Session;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  open?: OpenService;
  whatIf?: WhatIf;
  /** SIGTERM (or a first Ctrl-C outside raw mode): stop gathering, clean up, leave. */
  interrupt?: AbortSignal;
}

export async function runSession(opts: SessionRunOptions): Promise<void> {
  const { session, stdout } = opts;
  stdout.write(ENTER_ALT_SCREEN);
  // Whatever ends the process (a crash, a second SIGTERM), the person gets their screen back.
  const restore = () => stdout.write(LEAVE_ALT_SCREEN);
  process.once('exit', restore);
  const forceQuit = () => {
    restore();
    process.stderr.write('np-doctor: left without waiting for clean-up; np-doctor cleanup removes leftover debug pods\n');
    process.exit(130);
  };
  // Ctrl-C arrives as a key in raw mode: the App stops gathering (deleting debug pods) before it exits.
  const ink = render(
    <App session={session} onForceQuit={forceQuit} {...(opts.open !== undefined ? { open: opts.open } : {})} {...(opts.whatIf ? { whatIf: opts.whatIf } : {})} />,
    { stdin: opts.stdin, stdout, exitOnCtrlC: false },
  );
  const onInterrupt = () => void session.stop().then(() => ink.unmount());
  opts.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  if (session.live && session.getState().snapshot === null) void session.regather();
  try {
    await ink.waitUntilExit();
  } finally {
    opts.interrupt?.removeEventListener('abort', onInterrupt);
    await session.stop();
    process.off('exit', restore);
    restore();
  }
}
