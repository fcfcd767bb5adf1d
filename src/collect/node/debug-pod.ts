/**
 * Node access through a short-lived debug pod, like `kubectl debug node/NAME --profile=sysadmin`:
 * privileged, hostNetwork and hostPID, pinned to the node by nodeName, with the node's root
 * filesystem at /host. Commands run as `chroot /host CMD`, so they are the node's own binaries:
 * the container's iptables could use the other backend (legacy vs nft) and show other rules.
 *
 * The pod is deleted when the session closes, when opening fails, and when the run is aborted
 * (Ctrl-C). activeDeadlineSeconds makes the kubelet kill it even if np-doctor itself dies, and the
 * managed-by label lets `np-doctor cleanup` find leftovers.
 */
import { Writable } from 'node:stream';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { classify, type KubeApi } from '../kube/api.js';
import { NODE_COMMANDS, type NodeCommandId } from './commands.js';
import { NodeAccessError, type CommandResult, type NodeSession, type NodeShell, type NodeTarget } from './shell.js';

/** Selects np-doctor's debug pods and nothing else np-doctor might one day manage. */
export const DEBUG_POD_SELECTOR = 'app.kubernetes.io/managed-by=np-doctor,app.kubernetes.io/name=np-doctor-node-reader';
export const DEFAULT_DEBUG_IMAGE = 'busybox:1.37';

export interface DebugPodOptions {
  namespace: string;
  image: string;
  /** The kubelet kills the pod after this long even if np-doctor never deletes it. */
  activeDeadlineSeconds: number;
  startTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Waiting reasons after which the container will not start without someone changing something. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff']);

export function debugPodManifest(node: string, opts: DebugPodOptions): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `np-doctor-${node.slice(0, 40)}-`.replace(/[^a-z0-9-]/g, '-'),
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-node-reader' },
      annotations: { 'np-doctor.dev/node': node },
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: opts.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      // Schedule on tainted nodes too (control planes, cordoned or NotReady nodes are the interesting ones).
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'reader',
          image: opts.image,
          command: ['sleep', String(opts.activeDeadlineSeconds)],
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    },
  };
}

export class DebugPodShell implements NodeShell {
  readonly method = 'debug-pod';
  /** Pods np-doctor created but could not delete (namespace/name), for the closing message. */
  readonly leftovers: string[] = [];

  constructor(
    private readonly api: KubeApi,
    private readonly opts: DebugPodOptions,
  ) {}

  async open(node: NodeTarget, signal?: AbortSignal): Promise<NodeSession> {
    const { core, cleanupOptions } = this.api;
    const ns = this.opts.namespace;
    if (signal?.aborted) throw new NodeAccessError(node.name, 'create a debug pod', 'interrupted');
    let pod: V1Pod;
    try {
      // Not cancellable by Ctrl-C: an aborted request may still create the pod, and then nobody
      // would know its name to delete it.
      pod = await core.createNamespacedPod({ namespace: ns, body: debugPodManifest(node.name, this.opts) }, cleanupOptions);
    } catch (e) {
      throw this.createError(node.name, e);
    }
    const name = pod.metadata!.name!;
    const remove = () => this.deletePod(name);
    try {
      await this.waitRunning(node.name, name, signal);
    } catch (e) {
      await remove();
      throw e;
    }
    let closed: Promise<void> | undefined;
    return {
      run: (command, sig) => this.exec(node.name, name, command, sig),
      close: () => (closed ??= remove()),
    };
  }

  private createError(node: string, e: unknown): NodeAccessError {
    const ns = this.opts.namespace;
    const failure = classify(e, { verb: 'create', resource: 'pods', namespace: ns }, this.api);
    const what = `create a debug pod in namespace ${ns}`;
    if (failure.status === 403 && /PodSecurity/.test(failure.error.why)) {
      return new NodeAccessError(node, what, `Pod Security Admission refused the privileged pod: ${failure.error.why}`,
        `use --debug-namespace with a namespace that allows privileged pods (label pod-security.kubernetes.io/enforce=privileged), or --collect ssh`);
    }
    if (failure.status === 403) {
      return new NodeAccessError(node, what, failure.error.why, `the debug-pod mode needs create/get/delete on pods and create on pods/exec in ${ns}; see "RBAC" in the README, or use --collect ssh`);
    }
    return new NodeAccessError(node, what, failure.error.why, failure.error.hint);
  }

  private async waitRunning(node: string, name: string, signal?: AbortSignal): Promise<void> {
    const { core, options } = this.api;
    const deadline = Date.now() + this.opts.startTimeoutMs;
    for (;;) {
      if (signal?.aborted) throw new NodeAccessError(node, `start debug pod ${name}`, 'interrupted');
      let pod: V1Pod;
      try {
        pod = await core.readNamespacedPod({ name, namespace: this.opts.namespace }, options);
      } catch (e) {
        throw new NodeAccessError(node, `start debug pod ${name}`, classify(e, { verb: 'get', resource: 'pods', namespace: this.opts.namespace, name }, this.api).error.why);
      }
      const phase = pod.status?.phase ?? 'Pending';
      const cs = pod.status?.containerStatuses?.[0];
      if (phase === 'Running' && cs?.state?.running !== undefined) return;
      const waiting = cs?.state?.waiting;
      if (waiting?.reason !== undefined && HOPELESS.has(waiting.reason)) {
        throw new NodeAccessError(node, `start debug pod ${name}`, `${waiting.reason}: ${waiting.message ?? ''}`.trim(),
          waiting.reason.includes('Image') ? `the node cannot pull ${this.opts.image}; pass --debug-image with an image from a registry it can reach` : undefined);
      }
      if (phase === 'Failed' || phase === 'Succeeded') {
        throw new NodeAccessError(node, `start debug pod ${name}`, `the pod ended (${phase}${pod.status?.reason ? `: ${pod.status.reason}` : ''})`);
      }
      const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      const last = `${phase}${waiting?.reason ? ` (${waiting.reason})` : unscheduled?.message ? ` (${unscheduled.message})` : ''}`;
      if (Date.now() > deadline) {
        throw new NodeAccessError(node, `start debug pod ${name}`, `not running after ${this.opts.startTimeoutMs / 1000} s, still ${last}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async exec(node: string, pod: string, command: NodeCommandId, signal?: AbortSignal): Promise<CommandResult> {
    const argv = ['chroot', '/host', ...NODE_COMMANDS[command].argv];
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sink = (into: Buffer[]) => new Writable({ write(chunk: Buffer, _enc, cb) { into.push(chunk); cb(); } });
    let status: V1Status | undefined;
    const exec = new this.api.k8s.Exec(this.api.kc);
    if (signal?.aborted) return { stdout: '', stderr: 'np-doctor: interrupted\n', exitCode: null };
    // One deadline and one abort for the whole exec, the WebSocket handshake included: client-node
    // sets no handshake timeout, so a stalled upgrade would otherwise block for good.
    let timedOut = false;
    let socket: { terminate(): void } | undefined;
    let giveUp: (() => void) | undefined;
    const stop = () => {
      timedOut = !signal?.aborted;
      socket?.terminate();
      giveUp?.();
    };
    const timer = setTimeout(stop, this.opts.commandTimeoutMs);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const ws = await Promise.race([
        // tty=false keeps stdout and stderr apart. The promise resolves when the socket opens.
        exec.exec(this.opts.namespace, pod, 'reader', argv, sink(out), sink(err), null, false, (s) => { status = s; }),
        new Promise<never>((_, reject) => { giveUp = () => reject(new Error('gave up')); }),
      ]);
      socket = ws;
      if (timedOut || signal?.aborted) ws.terminate();
      else await new Promise<void>((resolve) => { giveUp = resolve; ws.on('close', () => resolve()); });
    } catch (e) {
      if (!timedOut && !signal?.aborted) {
        throw new NodeAccessError(node, `exec in debug pod ${pod}`, classify(e, { verb: 'create', resource: 'pods/exec', namespace: this.opts.namespace, name: pod }, this.api).error.why,
          'the debug-pod mode needs create on pods/exec');
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
    const stdout = Buffer.concat(out).toString('utf8');
    let stderr = Buffer.concat(err).toString('utf8');
    if (signal?.aborted) return { stdout, stderr: `${stderr}np-doctor: interrupted\n`, exitCode: null };
    if (timedOut) return { stdout, stderr: `${stderr}np-doctor: no result within ${this.opts.commandTimeoutMs / 1000} s\n`, exitCode: null };
    if (status === undefined) return { stdout, stderr: `${stderr}np-doctor: the exec stream closed without an exit status\n`, exitCode: null };
    if (status.status === 'Success') return { stdout, stderr, exitCode: 0 };
    const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    if (code === undefined) stderr += `${status.message ?? 'exec failed'}\n`;
    return { stdout, stderr, exitCode: code === undefined ? null : Number(code) };
  }

  /** Deletes one pod at once (gracePeriodSeconds 0); a pod already gone is fine. Never throws. */
  private async deletePod(name: string): Promise<void> {
    try {
      await this.api.core.deleteNamespacedPod({ name, namespace: this.opts.namespace, gracePeriodSeconds: 0 }, this.api.cleanupOptions);
    } catch (e) {
      const failure = classify(e, { verb: 'delete', resource: 'pods', namespace: this.opts.namespace, name }, this.api);
      // Already gone is fine; otherwise activeDeadlineSeconds and `np-doctor cleanup` remain.
      if (failure.status !== 404) this.leftovers.push(`${this.opts.namespace}/${name}`);
    }
  }
}
