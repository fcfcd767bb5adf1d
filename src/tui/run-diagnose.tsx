/**
 * Mounts the live `diagnose` display. Loaded only when stdin and stdout are a terminal, so text and
 * JSON runs never import Ink or React.
 */
import { render } from 'ink';
import type { Report } from '../report/model.js';
import { ProgressStore } from './state/progress.js';
import LiveDiagnose from './views/LiveDiagnose.js';

export interface LiveDiagnoseOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** Gathers (or loads) and diagnoses, reporting to the store; null when it ended early (the exit code says why). */
  work: (progress: ProgressStore) => Promise<Report | null>;
}

export async function runLiveDiagnose(opts: LiveDiagnoseOptions): Promise<Report | null> {
  const progress = new ProgressStore();
  const view = (report: Report | null) => <LiveDiagnose progress={progress} report={report} />;
  // No useInput here: stdin stays cooked, so Ctrl-C is a signal and gathering cleans up its debug pods.
  const ink = render(view(null), { stdin: opts.stdin, stdout: opts.stdout, exitOnCtrlC: false, patchConsole: false });
  try {
    const report = await opts.work(progress);
    progress.stop();
    ink.rerender(view(report));
    return report;
  } finally {
    ink.unmount();
    await ink.waitUntilExit();
  }
}
