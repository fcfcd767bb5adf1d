/**
 * A logged-in SSH connection to one node, running fixed commands over it. Every command is one
 * "exec" channel on the same connection; at most a few run at once because sshd caps channels
 * per connection (MaxSessions, 10 by default).
 *
 * Results: stdout/stderr as UTF-8, each kept up to the output limit, the exit status from the
 * channel's exit-status message. Exit 127 (command not found) is an ordinary result. A timeout
 * stops the command and resolves with exitCode null and the reason in stderr; so does output past
 * the limit (marked truncated), a connection lost mid-command, and an abort (like the other
 * shells: the gatherer sees the signal and stops). run() rejects with NodeAccessError only when no
 * command can start at all (session closed or lost).
 */
import type { ClientChannel } from 'ssh2';
import { stopReason } from '../deadline.js';
import { boundMessage } from '../untrusted-text.js';
import { CommandCapture } from './bounded-output.js';
import type { NodeCommandId } from '../../snapshot/node-commands.js';
import type { ProbeTarget } from '../../snapshot/probe.js';
import { fixedCommand, probeCommand, type CommandSpec } from './command-spec.js';
import { NodeAccessError, type CommandResult, type NodeSession } from './shell.js';
import { abortReason, type SshLink } from './ssh-connect.js';
import { explainSudoFailure, needsSudo, remoteCommandLine, takeToolPath } from './ssh-command.js';
import { seconds } from './ssh-errors.js';

export interface SessionOptions {
  node: string;
  /** The user logged in as (decides sudo). */
  user: string;
  /** `root@10.0.0.5:22`, for messages. */
  endpoint: string;
  commandTimeoutMs: number;
  maxChannels: number;
  /** Per stream of each command (bounded-output.ts). */
  outputLimitBytes: number;
}

/** A counting semaphore whose waiters can be aborted. */
class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  acquire(signal: AbortSignal | undefined): Promise<() => void> {
    const release = () => {
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#free++;
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(abortReason(signal));
      };
      this.#waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const stopped = (signal: AbortSignal | undefined): CommandResult => ({ stdout: '', stderr: `np-doctor: ${stopReason(signal)}\n`, exitCode: null });

export class SshSession implements NodeSession {
  readonly #target: SshLink;
  /** Jump hosts, first hop first. */
  readonly #jumps: readonly SshLink[];
  readonly #o: SessionOptions;
  readonly #slots: Slots;
  /** Running commands, each with a way to end it early with a note for stderr. */
  readonly #running = new Set<(note: string) => void>();
  #lost: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(target: SshLink, jumps: readonly SshLink[], o: SessionOptions) {
    this.#target = target;
    this.#jumps = jumps;
    this.#o = o;
    this.#slots = new Slots(o.maxChannels);
    target.client.on('error', (err: Error) => {
      // ssh2's message may carry the server's own disconnect text: data, bounded.
      this.#lost ??= boundMessage(err.message, 512);
    });
    target.client.on('close', () => {
      if (this.#closing !== undefined) return;
      this.#lost ??= 'the connection was closed by the server or the network';
      this.#endAll(`np-doctor: the SSH connection to ${o.endpoint} was lost (${this.#lost})`);
    });
  }

  #endAll(note: string): void {
    for (const end of [...this.#running]) end(note);
  }

  #unusable(what: string): NodeAccessError | undefined {
    if (this.#closing !== undefined) return new NodeAccessError(this.#o.node, `run ${what}`, 'the SSH session was already closed');
    if (this.#lost !== undefined || this.#target.isClosed) {
      return new NodeAccessError(
        this.#o.node,
        `run ${what}`,
        `the SSH connection to ${this.#o.endpoint} was lost: ${this.#lost ?? 'closed'}`,
        'the node may have rebooted or the network dropped; run np-doctor again',
      );
    }
    return undefined;
  }

  run(command: NodeCommandId, signal?: AbortSignal): Promise<CommandResult> {
    return this.#start(command, fixedCommand(command, this.#o.commandTimeoutMs, this.#o.outputLimitBytes), signal);
  }

  probe(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<CommandResult> {
    return this.#start('a probe', probeCommand(target, timeoutMs), signal);
  }

  /** Waits for a channel slot and runs one command; `what` names it in a session error. */
  async #start(what: string, cmd: CommandSpec, signal: AbortSignal | undefined): Promise<CommandResult> {
    if (signal?.aborted === true) return stopped(signal);
    const early = this.#unusable(what);
    if (early !== undefined) throw early;
    let release: () => void;
    try {
      release = await this.#slots.acquire(signal);
    } catch {
      return stopped(signal);
    }
    try {
      const late = this.#unusable(what);
      if (late !== undefined) throw late;
      return await this.#exec(cmd, signal);
    } finally {
      release();
    }
  }

  #exec(spec: CommandSpec, signal: AbortSignal | undefined): Promise<CommandResult> {
    const sudo = needsSudo(spec, this.#o.user);
    const line = remoteCommandLine(spec.argv, sudo);
    const timeoutMs = spec.timeoutMs;
    return new Promise((resolve, reject) => {
      const capture = new CommandCapture(spec.outputLimitBytes);
      let exit: { code: number } | { signal: string } | undefined;
      let channel: ClientChannel | undefined;
      let settled = false;

      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#running.delete(endEarly);
      };
      const stopChannel = () => {
        if (channel === undefined) return;
        try {
          // Best effort: OpenSSH delivers "signal" requests to the command; closing the channel
          // then closes its pipes.
          channel.signal('KILL');
          channel.close();
        } catch {
          // the connection is already gone
        }
      };
      const result = (note: string | undefined): CommandResult => {
        const r = capture.result(note === undefined && exit !== undefined && 'code' in exit ? exit.code : null, note);
        if (sudo) {
          const why = explainSudoFailure(r, this.#o.user, spec.argv, takeToolPath(r));
          if (why !== undefined) r.stderr = `${why}\n${r.stderr}`;
        }
        return r;
      };
      /** Ends the command early (timeout, lost connection, session closed) with a note. */
      const endEarly = (note: string) => {
        if (settled) return;
        cleanup();
        stopChannel();
        resolve(result(note));
      };
      const onAbort = () => endEarly(`np-doctor: ${stopReason(signal)}`);
      /** Past the limit the output is unusable as a whole: keep what fits and stop the command. */
      const take = (into: CommandCapture['stdout']) => (b: Buffer) => {
        if (!into.push(b)) endEarly(capture.stopNote(spec.argv));
      };
      const timer = setTimeout(() => {
        endEarly(`np-doctor: "${spec.argv.join(' ')}" did not finish within ${seconds(timeoutMs)} and was stopped`);
      }, timeoutMs);
      this.#running.add(endEarly);
      signal?.addEventListener('abort', onAbort, { once: true });

      try {
        this.#target.client.exec(line, (e, ch) => {
          if (settled) {
            if (e === undefined || e === null) ch.close();
            return;
          }
          if (e !== undefined && e !== null) {
            cleanup();
            reject(new NodeAccessError(this.#o.node, `start "${spec.argv.join(' ')}" over SSH`, boundMessage(e.message)));
            return;
          }
          channel = ch;
          ch.on('data', take(capture.stdout));
          ch.stderr.on('data', take(capture.stderr));
          ch.on('error', () => {});
          // 'exit' carries (code) or (null, signalName, coreDumped, description).
          ch.on('exit', (code: number | null, sig?: string) => {
            exit = typeof code === 'number' ? { code } : { signal: boundMessage(sig ?? 'unknown', 64) };
          });
          ch.on('close', () => {
            if (settled) return;
            cleanup();
            if (exit === undefined) {
              const why = this.#lost !== undefined ? `the SSH connection was lost (${this.#lost})` : 'the server reported no exit status';
              resolve(result(`np-doctor: "${spec.argv.join(' ')}" ended without an exit status: ${why}`));
            } else if ('signal' in exit) {
              resolve(result(`np-doctor: "${spec.argv.join(' ')}" was killed by signal ${exit.signal}`));
            } else {
              resolve(result(undefined));
            }
          });
        });
      } catch (e) {
        cleanup();
        reject(new NodeAccessError(this.#o.node, `run ${spec.argv.join(' ')}`, `the SSH connection to ${this.#o.endpoint} is gone: ${(e as Error).message}`));
      }
    });
  }

  /** Ends running commands, then the node connection, then the jump hosts (last hop first). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#endAll('np-doctor: the SSH session was closed while the command ran');
      for (const link of [this.#target, ...[...this.#jumps].reverse()]) {
        try {
          await link.end();
        } catch {
          // close() never throws
        }
      }
    })();
    return this.#closing;
  }
}
