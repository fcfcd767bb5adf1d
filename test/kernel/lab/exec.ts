/**
 * Running lab commands. Every command goes through execFile with an argument vector: scenario data
 * (rule text, addresses, names) never becomes part of a shell string, so nothing in it is ever
 * interpreted by a shell.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface RunOptions {
  /** Network namespace to run in (via `ip netns exec`); absent = the namespace the test runs in. */
  ns?: string;
  /** Written to the command's stdin (iptables-restore reads rules this way). */
  input?: string;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit status; the caller inspects `code`. */
  allowFail?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(`command failed (exit ${result.code}): ${argv.join(' ')}\n${result.stderr.trim()}`);
  }
}

/** The argv that runs `cmd args` inside `ns` (or directly when ns is absent). */
export function nsArgv(ns: string | undefined, cmd: string, args: readonly string[]): string[] {
  return ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = nsArgv(opts.ns, cmd, args);
  const [file, ...rest] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      rest,
      { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        // execFile reports a non-zero exit as an error whose .code is the exit status (a number);
        // spawn failures (ENOENT) have a string code and are always thrown.
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        const result: RunResult = { stdout, stderr, code };
        if (err !== null && (typeof err.code !== 'number' || !opts.allowFail)) {
          reject(new CommandError(argv, result));
          return;
        }
        resolve(result);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/**
 * Starts a long-running process (servers, xtables-monitor). stdout goes to `stdoutFd` when given
 * (a file: a pipe that nobody drains would block the process, and for xtables-monitor that means
 * netlink silently drops trace events).
 */
export function start(
  cmd: string,
  args: readonly string[],
  opts: { ns?: string; stdoutFd?: number } = {},
): ChildProcess {
  const [file, ...rest] = nsArgv(opts.ns, cmd, args) as [string, ...string[]];
  return spawn(file, rest, {
    stdio: ['ignore', opts.stdoutFd ?? 'pipe', opts.stdoutFd ?? 'pipe'],
  });
}

/** Stops a process we started, by its own pid only, and waits for it to be gone. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await gone;
  clearTimeout(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
