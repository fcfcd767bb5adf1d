/**
 * Mounts the live `diagnose` display. Loaded only when stdin and stdout are a terminal, so text and
 * JSON runs never import Ink or React.
 */
import { render } from 'ink';
import type { Diagnosis } from '../diagnose.js';
import { ProgressStore } from './state/progress-store.js';
import LiveDiagnose from './views/LiveDiagnose.js';

export interface LiveDiagnoseOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** Gathers (or loads) and diagnoses, reporting to the store. */
  work: (progress: ProgressStore) => Promise<Diagnosis>;
}

export async function runLiveDiagnose(opts: LiveDiagnoseOptions): Promise<Diagnosis> {
  const progress = new ProgressStore();
  const view = (diagnosis: Diagnosis | null) => <LiveDiagnose progress={progress} report={diagnosis?.report ?? null} />;
  // No useInput here: stdin stays cooked, so Ctrl-C is a signal and gathering cleans up its debug pods.
  const ink = render(view(null), { stdin: opts.stdin, stdout: opts.stdout, exitOnCtrlC: false, patchConsole: false });
  let diagnosis: Diagnosis | null = null;
  try {
    diagnosis = await opts.work(progress);
    return diagnosis;
  } finally {
    // Also when the work ended early (a usage error, a cluster that cannot be read, Ctrl-C): the
    // last frame shows the steps that were still running as stopped.
    progress.stop();
    ink.rerender(view(diagnosis));
    ink.unmount();
    await ink.waitUntilExit();
  }
}
