/**
 * `pods/exec` over WebSocket, the part of the path a real cluster splits between kube-apiserver
 * (which checks the pod and container, then proxies the upgrade) and the kubelet / container runtime
 * (which runs the command and writes the status). Frames carry one leading channel byte: 0 stdin,
 * 1 stdout, 2 stderr, 3 error/status (a JSON metav1.Status), 4 resize, and with
 * `v5.channel.k8s.io` also 255 "close this channel". The command itself is run by a pluggable
 * ExecHandler, so a test decides what "the container" answers.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RequestInfo } from './request-info.js';
import { badRequest, notFound, type Status } from './status.js';
import { PODS } from './resources.js';
import type { ObjectStore } from './store.js';
import { isObject, type KubeObject } from './types.js';

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Runs `argv` in `container` of `pod`. Throw ExecutableNotFound when argv[0] does not exist. */
export type ExecHandler = (pod: KubeObject, container: string, argv: string[]) => Promise<ExecResult> | ExecResult;

/** The container runtime could not start the process at all (as opposed to a non-zero exit). */
export class ExecutableNotFound extends Error {
  constructor(readonly executable: string) {
    super(`executable file not found in $PATH: ${executable}`);
  }
}

/** Status-channel payloads, exactly as the kubelet's remotecommand server encodes them (no kind/apiVersion). */
export function execStatus(result: { exitCode: number; argv: string[] } | { error: string }): Record<string, unknown> {
  if ('error' in result) {
    // Not an exit status: the kubelet wraps it as errors.NewInternalError.
    const err = `error executing command in container: ${result.error}`;
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${err}`,
      reason: 'InternalError',
      details: { causes: [{ message: err }] },
      code: 500,
    };
  }
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  // containerd's streaming exec reports `error executing command [argv...], exit code N` (Go's %v of a []string).
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${result.argv.join(' ')}], exit code ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/** The runtime's words for a missing executable (runc via containerd). */
export function notFoundMessage(executable: string, execId: string): string {
  return (
    `failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: ` +
    `unable to start container process: exec: "${executable}": executable file not found in $PATH: unknown`
  );
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const FRAME = 32 * 1024;

/** Prefers v5 (it adds the close channel), accepts v4; the fake serves nothing older. */
export function pickProtocol(offered: string | undefined): string | null {
  const list = (offered ?? '').split(',').map((p) => p.trim());
  return PROTOCOLS.find((p) => list.includes(p)) ?? null;
}

/**
 * The apiserver's checks before it proxies the upgrade (pkg/registry/core/pod/strategy.go
 * streamLocation) plus the kubelet's refusal for a container that is not running. Returns the
 * pod and container to run in, or the Status to answer with.
 */
export function admitExec(store: ObjectStore, info: RequestInfo, query: URLSearchParams): { pod: KubeObject; container: string } | Status {
  const pod = store.get(PODS, info.namespace, info.name);
  if (pod === undefined) return notFound('', 'pods', info.name);
  const spec = isObject(pod.spec) ? pod.spec : {};
  const names = (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject).map((c) => String(c.name));
  let container = query.get('container') ?? '';
  if (container === '') {
    if (names.length !== 1) return badRequest(`a container name must be specified for pod ${info.name}, choose one of: [${names.join(' ')}]`);
    container = names[0] as string;
  } else if (!names.includes(container)) {
    return badRequest(`container ${container} is not valid for pod ${info.name}`);
  }
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return badRequest(`pod ${info.name} does not have a host assigned`);
  const status = isObject(pod.status) ? pod.status : {};
  if (status.phase === 'Succeeded' || status.phase === 'Failed') {
    return badRequest(`cannot exec into a container in a completed pod; current phase is ${String(status.phase)}`);
  }
  const cs = (Array.isArray(status.containerStatuses) ? status.containerStatuses : []).filter(isObject).find((c) => c.name === container);
  const running = isObject(cs?.state) && cs.state.running !== undefined;
  // The kubelet finds no running container to exec in; the fake answers 400 with the kubelet's words.
  if (status.phase !== 'Running' || !running) return badRequest(`container not found ("${container}")`);
  return { pod, container };
}

export class ExecServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => pickProtocol([...offered].join(',')) ?? false,
  });
  private execCount = 0;

  constructor(private handler: () => ExecHandler | undefined) {}

  /** Completes the upgrade and runs the command; call only after admitExec succeeded. */
  run(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, container: string, argv: string[]): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.session(ws, pod, container, argv);
    });
  }

  private async session(ws: WebSocket, pod: KubeObject, container: string, argv: string[]): Promise<void> {
    // stdin (channel 0) and v5's close frames (255) are accepted and ignored: the fake's commands take no input.
    ws.on('message', () => {});
    ws.on('error', () => {});
    const frame = (channel: number, data: Buffer): void => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    // Output goes out in 32 KiB frames, as a streaming kubelet forwards what it reads, so clients
    // must reassemble a large iptables-save from several frames.
    const stream = (channel: number, data: Buffer): void => {
      for (let off = 0; off < data.length; off += FRAME) frame(channel, data.subarray(off, off + FRAME));
    };
    let status: Record<string, unknown>;
    const handler = this.handler();
    try {
      if (handler === undefined) throw new Error('no exec handler configured in the fake apiserver');
      const r = await handler(pod, container, argv);
      stream(1, r.stdout);
      stream(2, r.stderr);
      status = execStatus({ exitCode: r.exitCode, argv });
    } catch (e) {
      const execId = `${(++this.execCount).toString(16).padStart(8, '0')}${'0'.repeat(56)}`;
      status = execStatus({ error: e instanceof ExecutableNotFound ? notFoundMessage(e.executable, execId) : String(e instanceof Error ? e.message : e) });
    }
    frame(3, Buffer.from(JSON.stringify(status)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
