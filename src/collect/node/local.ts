/**
 * Node access when np-doctor runs on the node itself (`--collect local`): the fixed commands run
 * directly, through `sudo -n` when they need root and we are not root (a password prompt would
 * hang; -n makes sudo fail at once instead).
 */
import { execFile } from 'node:child_process';
import { NODE_COMMANDS, type NodeCommandId } from './commands.js';
import type { CommandResult, NodeSession, NodeShell, NodeTarget } from './shell.js';

export class LocalShell implements NodeShell {
  readonly method = 'local';

  constructor(private readonly commandTimeoutMs: number) {}

  open(_node: NodeTarget): Promise<NodeSession> {
    return Promise.resolve({
      run: (command: NodeCommandId, signal?: AbortSignal) => this.run(command, signal),
      close: () => Promise.resolve(),
    });
  }

  private run(command: NodeCommandId, signal?: AbortSignal): Promise<CommandResult> {
    const spec = NODE_COMMANDS[command];
    const asRoot = spec.root && process.getuid?.() !== 0;
    const [file, ...args] = (asRoot ? ['sudo', '-n', ...spec.argv] : [...spec.argv]) as [string, ...string[]];
    return new Promise((resolve) => {
      execFile(file, args, { timeout: this.commandTimeoutMs, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', ...(signal ? { signal } : {}) }, (err, stdout, stderr) => {
        if (err === null) return resolve({ stdout, stderr, exitCode: 0 });
        if (typeof err.code === 'number') return resolve({ stdout, stderr, exitCode: err.code });
        // Not found (ENOENT) is what a shell reports as 127; a timeout kill leaves no exit status.
        if (err.code === 'ENOENT') return resolve({ stdout, stderr: `${file}: command not found\n`, exitCode: 127 });
        resolve({ stdout, stderr: `${stderr}np-doctor: ${err.killed ? `no result within ${this.commandTimeoutMs / 1000} s` : err.message}\n`, exitCode: null });
      });
    });
  }
}
