/**
 * Node access when np-doctor runs on the node itself (`--collect local`): the fixed commands run
 * directly, through `sudo -n` when they need root and we are not root (a password prompt would
 * hang; -n makes sudo fail at once instead). Output is read as it comes and kept up to the output
 * limit per stream; past it, or past the command timeout, or on an abort, the command is killed.
 */
import { spawn } from 'node:child_process';
import { stopReason } from '../deadline.js';
import { CommandCapture, DEFAULT_OUTPUT_LIMIT_BYTES } from './bounded-output.js';
import type { NodeCommandId } from '../../snapshot/node-commands.js';
import type { ProbeTarget } from '../../snapshot/probe.js';
import { fixedCommand, probeCommand, type CommandSpec } from './command-spec.js';
import type { CommandResult, NodeSession, NodeShell, NodeTarget } from './shell.js';

export interface LocalShellOptions {
  commandTimeoutMs: number;
  /** Per stream of each command (default 64 MiB). */
  outputLimitBytes?: number | undefined;
}

export class LocalShell implements NodeShell {
  readonly method = 'local';
  readonly #o: Required<LocalShellOptions>;

  constructor(o: LocalShellOptions) {
    this.#o = { commandTimeoutMs: o.commandTimeoutMs, outputLimitBytes: o.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES };
  }

  open(_node: NodeTarget): Promise<NodeSession> {
    return Promise.resolve({
      run: (command: NodeCommandId, signal?: AbortSignal) => this.exec(fixedCommand(command, this.#o.commandTimeoutMs, this.#o.outputLimitBytes), signal),
      probe: (target: ProbeTarget, timeoutMs: number, signal?: AbortSignal) => this.exec(probeCommand(target, timeoutMs), signal),
      close: () => Promise.resolve(),
    });
  }

  private exec({ argv, root, timeoutMs, outputLimitBytes }: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const asRoot = root && process.getuid?.() !== 0;
    const [file, ...args] = (asRoot ? ['sudo', '-n', ...argv] : [...argv]) as [string, ...string[]];
    if (signal?.aborted === true) return Promise.resolve({ stdout: '', stderr: `np-doctor: ${stopReason(signal)}\n`, exitCode: null });
    return new Promise((resolve) => {
      const capture = new CommandCapture(outputLimitBytes);
      let note: string | undefined;
      let settled = false;
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const stop = (why: string) => {
        note ??= why;
        child.kill('SIGKILL');
        // A process the command started may still hold the pipes; 'close' waits for them, so drop
        // them (it dies of SIGPIPE on its next write).
        child.stdout.destroy();
        child.stderr.destroy();
      };
      const timer = setTimeout(() => stop(`np-doctor: no result within ${timeoutMs / 1000} s`), timeoutMs);
      const onAbort = () => stop(`np-doctor: ${stopReason(signal)}`);
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (r: CommandResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const take = (into: CommandCapture['stdout']) => (b: Buffer) => {
        if (!into.push(b)) stop(capture.stopNote(argv));
      };
      child.stdout.on('data', take(capture.stdout));
      child.stderr.on('data', take(capture.stderr));
      child.on('error', (e: NodeJS.ErrnoException) => {
        // Not found (ENOENT) is what a shell reports as 127.
        if (e.code === 'ENOENT') finish({ stdout: '', stderr: `${file}: command not found\n`, exitCode: 127 });
        else finish(capture.result(null, `np-doctor: ${e.message}`));
      });
      // 'close' comes after both pipes are drained, so everything the command printed is in.
      child.on('close', (code) => {
        finish(note !== undefined || code === null ? capture.result(null, note ?? 'np-doctor: the command was killed by a signal') : capture.result(code));
      });
    });
  }
}
