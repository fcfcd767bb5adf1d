/**
 * Probes from where np-doctor runs: one TCP connect with node:net, closed as soon as it is up.
 * The source address is learnt first from a UDP socket "connected" to the target: connect(2) on a
 * datagram socket only asks the routing table, so no packet leaves.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeResult, ProbeTarget } from '../../snapshot/probe.js';
import { stopReason } from '../deadline.js';

/** One probe's answer, wherever it was sent from. */
export interface Connected {
  result: ProbeResult;
  ms: number | null;
  detail?: string;
}

/** The address this machine would send from to `target`, or null when it has no route. */
export function sourceAddress(target: ProbeTarget): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createSocket(target.ip.includes(':') ? 'udp6' : 'udp4');
    const done = (a: string | null) => {
      s.close();
      resolve(a);
    };
    s.on('error', () => done(null));
    s.connect(target.port, target.ip, () => {
      try {
        done(s.address().address);
      } catch {
        done(null);
      }
    });
  });
}

/** What the kernel said, as a result: errno words stay in `detail`. */
const BY_CODE: Record<string, ProbeResult> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'refused',
  ETIMEDOUT: 'timed-out',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
};

export function connectOnce(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<Connected> {
  if (signal?.aborted === true) return Promise.resolve({ result: 'not-run', ms: null, detail: `not sent: ${stopReason(signal)}` });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect({ host: target.ip, port: target.port, noDelay: true });
    let settled = false;
    const finish = (r: Connected) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Close at once: nothing is ever written on a probe's connection.
      socket.destroy();
      resolve(r);
    };
    const elapsed = () => performance.now() - t0;
    const timer = setTimeout(() => finish({ result: 'timed-out', ms: elapsed() }), timeoutMs);
    const onAbort = () => finish({ result: 'not-run', ms: null, detail: `stopped before an answer: ${stopReason(signal)}` });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ result: 'connected', ms: elapsed() }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const result = BY_CODE[e.code ?? ''] ?? 'error';
      finish({ result, ms: elapsed(), ...(result === 'refused' ? {} : { detail: e.code ?? e.message }) });
    });
  });
}
