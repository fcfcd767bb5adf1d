/**
 * Node access through a short-lived debug pod, like `kubectl debug node/NAME`: hostNetwork and
 * hostPID, pinned to the node by nodeName, with the node's root filesystem read-only at /host and
 * only the capabilities the fixed commands need (debug-pod-manifest.ts). Commands run as
 * `chroot /host CMD`, so they are the node's own binaries: the container's iptables could use the
 * other backend (legacy vs nft) and show other rules.
 *
 * The pod is deleted when the session closes, when opening fails, and when the run is aborted
 * (Ctrl-C, the --timeout deadline). activeDeadlineSeconds makes the kubelet kill it even if
 * np-doctor itself dies, and the managed-by label and owner annotations let `np-doctor cleanup`
 * find leftovers.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { deadlinePassed, stopReason } from '../deadline.js';
import { classify, type KubeApi } from '../kube/api.js';
import { boundMessage } from '../untrusted-text.js';
import { DEFAULT_OUTPUT_LIMIT_BYTES } from './bounded-output.js';
import { fixedCommand, probeCommand, type CommandSpec } from './command-spec.js';
import { DEBUG_POD_RESOURCES, debugPodManifest, type DebugPodSpec } from './debug-pod-manifest.js';
import { execInPod } from './pod-exec.js';
import { NodeAccessError, type CommandResult, type NodeSession, type NodeShell, type NodeTarget } from './shell.js';

export { DEBUG_POD_SELECTOR } from './debug-pod-owner.js';
export { DEFAULT_DEBUG_IMAGE, debugPodManifest } from './debug-pod-manifest.js';

export interface DebugPodOptions extends DebugPodSpec {
  startTimeoutMs: number;
  commandTimeoutMs: number;
  /** Per stream of each command (default 64 MiB). */
  outputLimitBytes?: number | undefined;
}

/** Waiting reasons after which the container will not start without someone changing something. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff']);

/** Kubelet and runtime messages are the cluster's words: kept, but short. */
const said = (text: string | undefined): string => boundMessage(text ?? '', 1024);

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
    if (signal?.aborted) throw new NodeAccessError(node.name, 'create a debug pod', stopReason(signal));
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
      run: (command, sig) => this.exec(node.name, name, fixedCommand(command, this.opts.commandTimeoutMs, this.opts.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES), sig),
      // The pod's one user is root, with only the capabilities of debug-pod-manifest.ts; a connect needs none of them.
      probe: (target, timeoutMs, sig) => this.exec(node.name, name, probeCommand(target, timeoutMs), sig),
      close: () => (closed ??= remove()),
    };
  }

  private createError(node: string, e: unknown): NodeAccessError {
    const ns = this.opts.namespace;
    const failure = classify(e, { verb: 'create', resource: 'pods', namespace: ns }, this.api);
    const what = `create a debug pod in namespace ${ns}`;
    if (failure.status === 403 && /PodSecurity/.test(failure.error.why)) {
      // hostNetwork, hostPID and a hostPath volume need the "privileged" Pod Security level even
      // though the container itself is not privileged.
      return new NodeAccessError(node, what, `Pod Security Admission refused the debug pod (hostNetwork, hostPID, hostPath, added capabilities): ${failure.error.why}`,
        `use --debug-namespace with a namespace whose Pod Security level is privileged (label pod-security.kubernetes.io/enforce=privileged), or --collect ssh`);
    }
    if (failure.status === 403) {
      return new NodeAccessError(node, what, failure.error.why, `the debug-pod mode needs create/get/delete on pods and create on pods/exec in ${ns}; see "RBAC" in the README, or use --collect ssh`);
    }
    return new NodeAccessError(node, what, failure.error.why, failure.error.hint);
  }

  private async waitRunning(node: string, name: string, signal?: AbortSignal): Promise<void> {
    const { core, options } = this.api;
    const deadline = Date.now() + this.opts.startTimeoutMs;
    // What the pod was doing when the wait was cut short: a pod admitted but never started (still
    // Pending: no kubelet took it) reads differently from a gathering that was merely slow.
    let last: string | undefined;
    const stopped = () => new NodeAccessError(node, `start debug pod ${name}`, `${stopReason(signal)}${last === undefined ? '' : `; the pod was still ${last}`}`,
      last === undefined || !deadlinePassed(signal) ? undefined : `the pod was created, but the kubelet on ${node} had not started it: check that the node is Ready and can pull ${this.opts.image}, raise --timeout, or use --collect ssh`);
    for (;;) {
      if (signal?.aborted) throw stopped();
      let pod: V1Pod;
      try {
        pod = await core.readNamespacedPod({ name, namespace: this.opts.namespace }, options);
      } catch (e) {
        if (signal?.aborted) throw stopped();
        throw new NodeAccessError(node, `start debug pod ${name}`, classify(e, { verb: 'get', resource: 'pods', namespace: this.opts.namespace, name }, this.api).error.why);
      }
      const phase = pod.status?.phase ?? 'Pending';
      const cs = pod.status?.containerStatuses?.[0];
      if (phase === 'Running' && cs?.state?.running !== undefined) return;
      const waiting = cs?.state?.waiting;
      if (waiting?.reason !== undefined && HOPELESS.has(waiting.reason)) {
        throw new NodeAccessError(node, `start debug pod ${name}`, `${waiting.reason}: ${said(waiting.message)}`.trim(),
          waiting.reason.includes('Image') ? `the node cannot pull ${this.opts.image}; pass --debug-image with an image from a registry it can reach` : undefined);
      }
      if (phase === 'Failed' || phase === 'Succeeded') {
        throw new NodeAccessError(node, `start debug pod ${name}`, `the pod ended (${phase}${pod.status?.reason ? `: ${said(pod.status.reason)}` : ''})`);
      }
      const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      last = `${said(phase)}${waiting?.reason ? ` (${said(waiting.reason)})` : unscheduled?.message ? ` (${said(unscheduled.message)})` : ''}`;
      if (Date.now() > deadline) {
        throw new NodeAccessError(node, `start debug pod ${name}`, `not running after ${this.opts.startTimeoutMs / 1000} s, still ${last}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async exec(node: string, pod: string, spec: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const r = await execInPod(this.api, {
      namespace: this.opts.namespace, pod, container: 'reader', argv: ['chroot', '/host', ...spec.argv], shownArgv: spec.argv,
      timeoutMs: spec.timeoutMs, outputLimitBytes: spec.outputLimitBytes,
      // 128 + SIGKILL: most often the pod's memory limit, which the commands share.
      exitNote: (code) => code === 137 ? `np-doctor: "${spec.argv.join(' ')}" was killed (exit 137), perhaps by the debug pod's memory limit of ${DEBUG_POD_RESOURCES.limits.memory}` : undefined,
    }, signal);
    if ('refused' in r) throw new NodeAccessError(node, `exec in debug pod ${pod}`, r.refused.why, 'the debug-pod mode needs create on pods/exec');
    return r;
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
