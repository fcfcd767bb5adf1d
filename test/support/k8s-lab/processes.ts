/**
 * The long-running programs of a real-cluster lab (etcd, kube-apiserver, kube-controller-manager,
 * one kube-proxy per node): each logs to its own file, is stopped with the lab, and is recorded in
 * a pid file so that a later run can stop what a crashed run left behind (a process is only ever
 * signalled when its command line still names the lab's binary cache).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsArgv } from '../../kernel/lab/exec.js';
import { alive } from './locks.js';

const PID_DIR = join(tmpdir(), 'np-doctor-k8s-lab-pids');

export interface LabProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<string>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): Promise<string>;
}

/** Stops lab processes whose test process died, when their command line still names `marker`. */
export function stopStaleProcesses(marker: string): void {
  let files: string[];
  try {
    files = readdirSync(PID_DIR);
  } catch {
    return;
  }
  for (const f of files) {
    const owner = Number(f);
    if (!Number.isInteger(owner) || alive(owner)) continue;
    for (const line of readFileSync(join(PID_DIR, f), 'utf8').split('\n')) {
      const pid = Number(line);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmdline.includes(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    rmSync(join(PID_DIR, f), { force: true });
  }
}

export class Processes {
  private readonly running: LabProcess[] = [];
  private readonly pidFile = join(PID_DIR, String(process.pid));
  private readonly onExit = () => {
    // The test process is going away without stop(): take the lab with it.
    for (const p of this.running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  };

  constructor(private readonly logDir: string) {
    mkdirSync(PID_DIR, { recursive: true });
    process.once('exit', this.onExit);
  }

  /** Starts `file args` (in network namespace `ns` when given), logging to LOGDIR/NAME.log. */
  start(name: string, file: string, args: readonly string[], opts: { ns?: string } = {}): LabProcess {
    const logFile = join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const [cmd, ...rest] = nsArgv(opts.ns, file, args) as [string, ...string[]];
    const child = spawn(cmd, rest, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    if (child.pid !== undefined) appendFileSync(this.pidFile, `${child.pid}\n`);
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
    const p: LabProcess = {
      name, child, logFile, exited,
      tail: async (lines = 30) => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-lines).join('\n'),
    };
    this.running.push(p);
    return p;
  }

  /** The processes still managed here (for waitFor's `watch`: fail fast when one dies). */
  list(): LabProcess[] {
    return [...this.running];
  }

  /** Stops one process (SIGTERM, then SIGKILL after 3 s) and waits for it. */
  async stop(p: LabProcess): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 3000);
      await p.exited;
      clearTimeout(timer);
    }
    const i = this.running.indexOf(p);
    if (i >= 0) this.running.splice(i, 1);
  }

  /** Stops everything, the last started first. */
  async stopAll(): Promise<void> {
    for (const p of [...this.running].reverse()) await this.stop(p);
    process.removeListener('exit', this.onExit);
    rmSync(this.pidFile, { force: true });
  }
}

/**
 * Polls `ready` until it holds, failing with `what` and the process's log if `watch` exits first
 * or `timeoutMs` passes. This is how the lab waits for things: on the condition, never a fixed time.
 */
export async function waitFor(what: string, ready: () => Promise<boolean> | boolean, opts: { timeoutMs?: number; watch?: LabProcess[] } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let delay = 50;
  for (;;) {
    for (const p of opts.watch ?? []) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) while waiting for ${what}:\n${await p.tail()}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      const logs = await Promise.all((opts.watch ?? []).map(async (p) => `--- ${p.name}\n${await p.tail(15)}`));
      throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}
