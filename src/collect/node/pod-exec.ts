/**
 * One command in one container of a pod, through the API's pods/exec (WebSocket), with one
 * deadline and one abort covering the handshake too (client-node sets no handshake timeout, so a
 * stalled upgrade would otherwise block for good), and each stream bounded. The debug pods run
 * their fixed commands through it; --exec-agent runs the kube-proxy replacement's read-only
 * commands in its agent pod through it.
 */
import { Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import { stopReason } from '../deadline.js';
import type { GatherError } from '../../snapshot/schema.js';
import { classify, type KubeApi } from '../kube/api.js';
import { boundMessage } from '../untrusted-text.js';
import { CommandCapture } from './bounded-output.js';
import type { CommandResult } from './shell.js';

export interface PodExec {
  namespace: string;
  pod: string;
  container: string;
  /** A fixed word list: never built from cluster data beyond the pod's name. */
  argv: readonly string[];
  timeoutMs: number;
  /** Per stream. */
  outputLimitBytes: number;
  /** The command as the user should read it in notes (default argv). */
  shownArgv?: readonly string[];
  /** np-doctor's own note for an exit code (e.g. what 137 likely means in that pod). */
  exitNote?: (exitCode: number) => string | undefined;
}

/** Runtime and API messages are the cluster's words: kept, but short. */
const said = (text: string | undefined): string => boundMessage(text ?? '', 1024);

/** The command's result, or `refused` (the API's error, as a gather error) when the exec itself was not allowed or failed. */
export async function execInPod(api: KubeApi, x: PodExec, signal?: AbortSignal): Promise<CommandResult | { refused: GatherError }> {
  const shown = x.shownArgv ?? x.argv;
  const capture = new CommandCapture(x.outputLimitBytes);
  let status: V1Status | undefined;
  const exec = new api.k8s.Exec(api.kc);
  if (signal?.aborted) return { stdout: '', stderr: `np-doctor: ${stopReason(signal)}\n`, exitCode: null };
  let stoppedBy: 'timeout' | 'overflow' | undefined;
  let socket: { terminate(): void } | undefined;
  let giveUp: (() => void) | undefined;
  const stop = (why: 'timeout' | 'overflow' | undefined) => {
    stoppedBy ??= why;
    socket?.terminate();
    giveUp?.();
  };
  const sink = (into: CommandCapture['stdout']) => new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!into.push(chunk)) stop('overflow');
      cb();
    },
  });
  const onAbort = () => stop(undefined);
  const timer = setTimeout(() => stop('timeout'), x.timeoutMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const ws = await Promise.race([
      // tty=false keeps stdout and stderr apart. The promise resolves when the socket opens.
      exec.exec(x.namespace, x.pod, x.container, [...x.argv], sink(capture.stdout), sink(capture.stderr), null, false, (s) => { status = s; }),
      new Promise<never>((_, reject) => { giveUp = () => reject(new Error('gave up')); }),
    ]);
    socket = ws;
    if (stoppedBy !== undefined || signal?.aborted) ws.terminate();
    else await new Promise<void>((resolve) => { giveUp = resolve; ws.on('close', () => resolve()); });
  } catch (e) {
    if (stoppedBy === undefined && !signal?.aborted) {
      return { refused: classify(e, { verb: 'create', resource: 'pods/exec', namespace: x.namespace, name: x.pod }, api).error };
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) return capture.result(null, `np-doctor: ${stopReason(signal)}`);
  if (stoppedBy === 'overflow') return capture.result(null, capture.stopNote(shown));
  if (stoppedBy === 'timeout') return capture.result(null, `np-doctor: no result within ${x.timeoutMs / 1000} s`);
  if (status === undefined) return capture.result(null, 'np-doctor: the exec stream closed without an exit status');
  if (status.status === 'Success') return capture.result(0);
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (code === undefined || !/^\d{1,3}$/.test(code)) return capture.result(null, said(status.message ?? 'exec failed'));
  const exitCode = Number(code);
  return capture.result(exitCode, x.exitNote?.(exitCode));
}
