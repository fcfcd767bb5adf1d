/**
 * What the scheduler, the kubelet and the pod registry do to a pod, compressed into timers:
 * create stores it Pending (after admission: namespace must exist, name must be valid, Pod Security
 * must allow it); after `startDelayMs` it is bound to a node if it had none and either runs
 * (phase Running, container ready) or fails to pull its image (ErrImagePull, then ImagePullBackOff
 * another `startDelayMs` later, phase still Pending). Delete follows the graceful-deletion rules:
 * gracePeriodSeconds=0, or a pod that never got a node or already finished, goes at once; otherwise
 * the pod gets deletionTimestamp and disappears when its container has stopped (`stopDelayMs`, the
 * time a container that honours SIGTERM takes).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { podSecurityViolation } from './pod-security.js';
import { NAMESPACES, NODES, PODS } from './resources.js';
import { alreadyExists, badRequest, forbidden, invalid, notFound, type Reply, type Status } from './status.js';
import { kubeTime, type ObjectStore } from './store.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

/** What the kubelet will make of a new pod. */
export type PodStartOutcome = 'Running' | 'ImagePullBackOff';

export interface PodLifecycleOptions {
  startDelayMs: number;
  stopDelayMs: number;
  podStart: (pod: KubeObject) => PodStartOutcome;
  podSecurity: boolean;
  now: () => number;
}

export interface DeletionRecord {
  namespace: string;
  name: string;
  /** As the request gave it (query parameter or DeleteOptions body); undefined = pod's default. */
  gracePeriodSeconds: number | undefined;
  time: number;
}

// Alphabet of generateName suffixes and ReplicaSet hashes (no vowels, no look-alikes).
const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
const suffix = (n: number): string => [...randomBytes(n)].map((b) => SUFFIX[b % SUFFIX.length]).join('');
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function containers(pod: KubeObject): JsonObject[] {
  const spec = isObject(pod.spec) ? pod.spec : {};
  return (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject);
}

export class PodLifecycle {
  readonly deletions: DeletionRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly nextPodIp = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: PodLifecycleOptions,
  ) {}

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  create(namespace: string, body: unknown): Reply {
    if (!isObject(body) || !isObject(body.metadata)) return { code: 400, body: badRequest('the body of the request was in an unknown format') };
    const meta = body.metadata;
    if (typeof meta.namespace === 'string' && meta.namespace !== '' && meta.namespace !== namespace) {
      return { code: 400, body: badRequest('the namespace of the provided object does not match the namespace sent on the request') };
    }
    const ns = this.store.get(NAMESPACES, '', namespace);
    if (ns === undefined) return reply(notFound('', 'namespaces', namespace));

    let name = typeof meta.name === 'string' ? meta.name : '';
    if (name === '' && typeof meta.generateName === 'string' && meta.generateName !== '') name = `${meta.generateName}${suffix(5)}`;
    const invalidReply = validate(name, body);
    if (invalidReply !== null) return invalidReply;
    if (this.store.get(PODS, namespace, name) !== undefined) return reply(alreadyExists('', 'pods', name));
    if (ns.metadata.deletionTimestamp !== undefined) {
      return reply(forbidden('', 'pods', name, `unable to create new content in namespace ${namespace} because it is being terminated`));
    }

    const pod = withDefaults(structuredClone(body) as KubeObject, namespace, name, this.opts.now());
    if (this.opts.podSecurity) {
      const violation = podSecurityViolation(ns, pod);
      if (violation !== null) return reply(forbidden('', 'pods', name, violation));
    }
    const stored = this.store.put(pod);
    const outcome = this.opts.podStart(stored);
    this.later(this.opts.startDelayMs, () => this.start(namespace, name, stored.metadata.uid as string, outcome));
    return { code: 201, body: stored };
  }

  /** Scheduler plus kubelet: bind, then run or fail to pull. */
  private start(namespace: string, name: string, uid: string, outcome: PodStartOutcome): void {
    const pod = this.store.get(PODS, namespace, name);
    if (pod === undefined || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp !== undefined) return;
    const spec = pod.spec as JsonObject;
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '') {
      const first = this.store.entries(NODES, '')[0];
      if (first === undefined) return; // nothing to schedule on: stays Pending, like an unschedulable pod
      spec.nodeName = first[1].metadata.name;
    }
    const node = this.store.get(NODES, '', spec.nodeName as string);
    const hostIP = internalIP(node) ?? '127.0.0.1';
    const now = kubeTime(this.opts.now());
    const podIP = spec.hostNetwork === true ? hostIP : this.allocatePodIp(node);
    const status = pod.status as JsonObject;
    Object.assign(status, { hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }], startTime: now });

    if (outcome === 'Running') {
      status.phase = 'Running';
      status.conditions = conditions(now, true);
      status.containerStatuses = containers(pod).map((c) => ({
        containerID: `containerd://${createHash('sha256').update(`${uid}/${String(c.name)}`).digest('hex')}`,
        image: String(c.image),
        imageID: `${String(c.image).split(':')[0]}@sha256:${createHash('sha256').update(String(c.image)).digest('hex')}`,
        lastState: {},
        name: String(c.name),
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      }));
      this.store.put(pod);
      return;
    }
    const waiting = (reason: string, message: string): void => {
      const p = this.store.get(PODS, namespace, name);
      if (p === undefined || p.metadata.uid !== uid) return;
      const st = p.status as JsonObject;
      st.phase = 'Pending';
      st.conditions = conditions(now, false, containers(p).map((c) => String(c.name)));
      st.containerStatuses = containers(p).map((c) => ({
        image: String(c.image),
        imageID: '',
        lastState: {},
        name: String(c.name),
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { message: message.replaceAll('IMAGE', String(c.image)), reason } },
      }));
      this.store.put(p);
    };
    this.store.put(pod);
    waiting(
      'ErrImagePull',
      'failed to pull and unpack image "IMAGE": failed to resolve reference "IMAGE": IMAGE: not found',
    );
    this.later(this.opts.startDelayMs, () => waiting('ImagePullBackOff', 'Back-off pulling image "IMAGE"'));
  }

  private allocatePodIp(node: KubeObject | undefined): string {
    const cidr = isObject(node?.spec) ? node.spec.podCIDR : undefined;
    const base = typeof cidr === 'string' ? cidr.split('/')[0] ?? '10.244.0.0' : '10.244.0.0';
    const key = node?.metadata.name ?? '';
    // Start high in the /24 so API-created pods never collide with a fixture's hand-picked IPs.
    const n = this.nextPodIp.get(key) ?? 200;
    this.nextPodIp.set(key, n + 1);
    const octets = base.split('.').map(Number);
    octets[3] = n % 256;
    return octets.join('.');
  }

  delete(namespace: string, name: string, query: URLSearchParams, body: unknown): Reply {
    const pod = this.store.get(PODS, namespace, name);
    if (pod === undefined) return reply(notFound('', 'pods', name));
    const fromQuery = query.get('gracePeriodSeconds');
    const fromBody = isObject(body) && typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined;
    const requested = fromQuery !== null ? Number(fromQuery) : fromBody;
    this.deletions.push({ namespace, name, gracePeriodSeconds: requested, time: this.opts.now() });

    const spec = pod.spec as JsonObject;
    const phase = (pod.status as JsonObject).phase;
    const grace = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    const unscheduled = typeof spec.nodeName !== 'string' || spec.nodeName === '';
    if (grace === 0 || unscheduled || phase === 'Succeeded' || phase === 'Failed') {
      this.store.remove(PODS, namespace, name);
      return { code: 200, body: pod };
    }
    if (pod.metadata.deletionTimestamp === undefined) {
      pod.metadata.deletionTimestamp = kubeTime(this.opts.now() + grace * 1000);
      pod.metadata.deletionGracePeriodSeconds = grace;
    }
    const stored = this.store.put(pod);
    const uid = stored.metadata.uid;
    this.later(Math.min(this.opts.stopDelayMs, grace * 1000), () => {
      const p = this.store.get(PODS, namespace, name);
      if (p !== undefined && p.metadata.uid === uid) this.store.remove(PODS, namespace, name);
    });
    return { code: 200, body: stored };
  }
}

const reply = (s: Status): Reply => ({ code: s.code, body: s });

function validate(name: string, body: JsonObject): Reply | null {
  const causes: { reason: string; message: string; field: string }[] = [];
  if (name === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      field: 'metadata.name',
    });
  }
  const spec = isObject(body.spec) ? body.spec : {};
  const cs = Array.isArray(spec.containers) ? spec.containers.filter(isObject) : [];
  if (cs.length === 0) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
  cs.forEach((c, i) => {
    if (typeof c.name !== 'string' || c.name === '') causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.containers[${i}].name` });
    if (typeof c.image !== 'string' || c.image === '') causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.containers[${i}].image` });
  });
  if (causes.length === 0) return null;
  return reply(invalid('Pod', name, causes));
}

/** The defaults the apiserver fills in (pkg/apis/core/v1/defaults.go) and the initial status. */
function withDefaults(pod: KubeObject, namespace: string, name: string, now: number): KubeObject {
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  pod.metadata = { ...pod.metadata, name, namespace, uid: randomUUID(), creationTimestamp: kubeTime(now) };
  delete pod.metadata.resourceVersion;
  const spec: JsonObject = isObject(pod.spec) ? pod.spec : {};
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  spec.serviceAccountName ??= 'default';
  for (const c of (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject)) {
    c.imagePullPolicy ??= String(c.image).endsWith(':latest') || !String(c.image).includes(':') ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    // A hostNetwork pod's container ports are host ports: the apiserver sets hostPort = containerPort.
    if (spec.hostNetwork === true && Array.isArray(c.ports)) {
      for (const p of c.ports.filter(isObject)) p.hostPort ??= p.containerPort;
    }
  }
  pod.spec = spec;
  pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
  return pod;
}

function conditions(now: string, ready: boolean, notReady: string[] = []): JsonObject[] {
  const unready = ready ? {} : { message: `containers with unready status: [${notReady.join(' ')}]`, reason: 'ContainersNotReady' };
  return [
    { lastProbeTime: null, lastTransitionTime: now, status: 'True', type: 'PodReadyToStartContainers' },
    { lastProbeTime: null, lastTransitionTime: now, status: 'True', type: 'Initialized' },
    { lastProbeTime: null, lastTransitionTime: now, ...unready, status: ready ? 'True' : 'False', type: 'Ready' },
    { lastProbeTime: null, lastTransitionTime: now, ...unready, status: ready ? 'True' : 'False', type: 'ContainersReady' },
    { lastProbeTime: null, lastTransitionTime: now, status: 'True', type: 'PodScheduled' },
  ];
}

export function internalIP(node: KubeObject | undefined): string | undefined {
  const addrs = isObject(node?.status) && Array.isArray(node.status.addresses) ? node.status.addresses.filter(isObject) : [];
  const a = addrs.find((x) => x.type === 'InternalIP');
  return typeof a?.address === 'string' ? a.address : undefined;
}
