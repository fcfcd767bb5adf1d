/**
 * Starts the answer servers (lab/scripts.ts SERVER_JS) in pod or node namespaces and keeps what
 * they log, so a test can ask "what did pod X see for token T" even when the reply never arrived.
 */
import type { ChildProcess } from 'node:child_process';
import { start, stop } from './exec.js';
import { SERVER_JS } from './scripts.js';

export interface ServerLog {
  pod: string;
  proto: 'tcp' | 'udp';
  port: number;
  peer: string;
  token: string | null;
}

/**
 * One socket a server listens on, beside its plain ports (each of those is TCP and UDP on every
 * address): a pod that listens only on 127.0.0.1, or only on UDP.
 */
export interface Listen {
  proto: 'tcp' | 'udp';
  /** The address bound: `0.0.0.0`, `127.0.0.1`, `::1`. */
  host: string;
  port: number;
}

export class Servers {
  private readonly procs: ChildProcess[] = [];
  readonly logs: ServerLog[] = [];

  /** Starts one server and resolves once it listens on every port (TCP and UDP) and every socket in `sockets`. */
  async start(ns: string, name: string, ports: number[], v6: boolean, sockets: readonly Listen[] = []): Promise<void> {
    if (ports.length === 0 && sockets.length === 0) throw new Error(`server ${name}: nothing to listen on`);
    const child = start(process.execPath, ['--input-type=module', '-e', SERVER_JS, JSON.stringify({ name, ports, v6, sockets })], { ns });
    this.procs.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      // Bounded generously: a node process starting on a loaded 2-core machine can take seconds.
      const timer = setTimeout(() => reject(new Error(`server ${name} in ${ns} did not start within 30 s: ${stderr}`)), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server ${name} in ${ns} exited (${code}): ${stderr}`));
      });
      child.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const entry = JSON.parse(buf.slice(0, i)) as ServerLog & { ready?: boolean };
          buf = buf.slice(i + 1);
          if (entry.ready === true) {
            clearTimeout(timer);
            resolve();
          } else this.logs.push(entry);
        }
      });
    });
  }

  /** What the servers logged for a client token (`try<i>-<sport>`). */
  byToken(token: string): ServerLog[] {
    return this.logs.filter((l) => l.token === token);
  }

  async stopAll(): Promise<void> {
    for (const p of this.procs) {
      p.removeAllListeners('exit');
      await stop(p);
    }
  }
}
