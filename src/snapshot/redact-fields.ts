/**
 * Least data: the fields of Kubernetes objects a snapshot keeps. Pods (and the pod templates of
 * the kube-proxy DaemonSet and the CoreDNS Deployment) go through an allow-list of what checks
 * and the model read, so probe headers (Bearer tokens), exec probes, lifecycle hooks, env,
 * volumes, images and container IDs never reach a snapshot. Annotations are kept only where a
 * check reads them, and kube-system command lines only for the flags something reads.
 * Gathering stores every object through keepFields (collect/kube/wire.ts); `--redact` applies it
 * again, so a snapshot from an older np-doctor loses the same fields.
 *
 * Adding a reader of a Pod field means adding the field here; a test runs every check on
 * trimmed scenario snapshots, so a missing field shows as a changed finding.
 */
import type { KubeObject, Snapshot } from './schema.js';

type Json = Record<string, unknown>;

const rec = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

/** `keys` of `o` that are present (undefined stays out, so absent stays absent). */
function pick(o: unknown, keys: readonly string[]): Json | undefined {
  const r = rec(o);
  if (r === undefined) return undefined;
  const out: Json = {};
  for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

/** Like pick, then `shape` applied to the fields it names (nested allow-lists). */
function shaped(o: unknown, keys: readonly string[], shape: Record<string, (v: unknown) => unknown>): Json | undefined {
  const out = pick(o, keys);
  if (out === undefined) return undefined;
  for (const [k, f] of Object.entries(shape)) {
    if (out[k] === undefined) continue;
    const v = f(out[k]);
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

const each = (f: (v: unknown) => unknown) => (v: unknown): unknown[] | undefined => list(v)?.map(f);

/**
 * Annotations a check reads, per kind; every other annotation is dropped (kubectl's
 * last-applied-configuration, cloud and operator annotations).
 */
export const KEPT_ANNOTATIONS: Readonly<Record<string, readonly string[]>> = {
  // checks/kube-proxy-out-of-sync.ts: topology-aware routing legitimately leaves endpoints out of a node's rules.
  Service: ['service.kubernetes.io/topology-mode', 'service.kubernetes.io/topology-aware-hints'],
};

/**
 * Command-line flags kept in kube-system objects, per kind; every other word of a command line is
 * dropped (`--db-password=…` happens), except the binary itself when it is kube-proxy or
 * kube-apiserver. Workload pods keep no command line at all.
 */
export const KEPT_FLAGS: Readonly<Record<string, readonly string[]>> = {
  // The kube-proxy DaemonSet. collect/kube/kube-proxy-config.ts reads the settings when kube-proxy
  // runs without --config; checks/kube-proxy-node-name-mismatch.ts reads --hostname-override and
  // shows the command line as evidence.
  DaemonSet: ['config', 'proxy-mode', 'cluster-cidr', 'nodeport-addresses', 'iptables-masquerade-bit', 'iptables-localhost-nodeports', 'hostname-override'],
  // kube-apiserver static pods: collect/kube/kube-proxy-config.ts (serviceNodePortRange) reads the
  // NodePort range while gathering. kube-proxy pods are stored, but nothing reads their command.
  // kube-router's agent pods: model/proxy-replacement.ts reads whether its service proxy is on.
  Pod: ['service-node-port-range', 'run-service-proxy'],
};

const KEPT_BINARIES = new Set(['kube-proxy', 'kube-apiserver']);

/**
 * Stands for words that were dropped. Keeping the place matters: kube-proxy started with flags but
 * without --config ignores its ConfigMap, and kube-proxy-config.ts tells that case from "no command
 * line at all" by whether any words are there.
 */
export const DROPPED_WORDS = '…';

/** The words of a command line that are kept flags (`--f=v`, or `--f v`) and a kept binary in front; DROPPED_WORDS for each run of others. */
function keptWords(words: unknown, flags: ReadonlySet<string>): string[] {
  const argv = list(words)?.filter((w): w is string => typeof w === 'string') ?? [];
  const out: string[] = [];
  const drop = () => {
    if (out[out.length - 1] !== DROPPED_WORDS) out.push(DROPPED_WORDS);
  };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (i === 0 && KEPT_BINARIES.has(w.split('/').pop() ?? '')) {
      out.push(w);
      continue;
    }
    const m = /^--([a-z0-9-]+)(=|$)/.exec(w);
    if (m === null || !flags.has(m[1]!)) {
      drop();
      continue;
    }
    out.push(w);
    const next = argv[i + 1];
    if (m[2] === '' && next !== undefined && !next.startsWith('-')) out.push(argv[++i]!);
  }
  return out;
}

interface PodContext {
  /** Flags kept in command and args (empty: none). */
  flags: ReadonlySet<string>;
  /** kube-system: lastState.terminated.message stays (kube-proxy-crashlooping shows kube-proxy's last words). */
  system: boolean;
}

function container(c: unknown, ctx: PodContext): unknown {
  const out = shaped(c, ['name', 'ports'], {
    // model/kube.ts readPod (ContainerPort), run/question.ts policyPod (NetworkPolicy named ports),
    // checks/target-port-mismatch.ts, checks/backend-not-listening.ts.
    ports: each((p) => pick(p, ['name', 'containerPort', 'protocol'])),
  });
  if (out === undefined || ctx.flags.size === 0) return out;
  const r = rec(c)!;
  for (const key of ['command', 'args']) {
    if (list(r[key]) !== undefined) out[key] = keptWords(r[key], ctx.flags);
  }
  return out;
}

function podSpec(spec: unknown, ctx: PodContext): Json | undefined {
  // model/kube.ts readPod: nodeName, hostNetwork, containers (ports). initContainers are not read.
  return shaped(spec, ['nodeName', 'hostNetwork', 'containers'], { containers: each((c) => container(c, ctx)) });
}

function containerStatus(s: unknown, ctx: PodContext): Json | undefined {
  // model/kube.ts readPod (troubled), checks/endpoints-not-ready.ts, checks/kube-proxy-crashlooping.ts.
  return shaped(s, ['name', 'restartCount', 'state', 'lastState'], {
    state: (v) => shaped(v, ['waiting'], { waiting: (w) => pick(w, ['reason']) }),
    lastState: (v) => shaped(v, ['terminated'], { terminated: (t) => pick(t, ctx.system ? ['reason', 'exitCode', 'message'] : ['reason', 'exitCode']) }),
  });
}

function podStatus(status: unknown, ctx: PodContext): Json | undefined {
  return shaped(status, ['phase', 'podIP', 'podIPs', 'conditions', 'containerStatuses'], {
    podIPs: each((p) => pick(p, ['ip'])),
    // Ready (model/kube.ts, checks/endpoints-not-ready.ts shows the condition) and PodScheduled
    // (checks/no-ready-endpoints.ts shows reason and message).
    conditions: each((c) => pick(c, ['type', 'status', 'reason', 'message', 'lastTransitionTime'])),
    containerStatuses: each((s) => containerStatus(s, ctx)),
  });
}

function annotations(kind: string, v: unknown): Json | undefined {
  const kept = pick(v, KEPT_ANNOTATIONS[kind] ?? []);
  return kept === undefined || Object.keys(kept).length === 0 ? undefined : kept;
}

/** metadata without managedFields, and with only the annotations a check reads. */
function metadata(kind: string, m: KubeObject['metadata'], keys?: readonly string[]): KubeObject['metadata'] {
  const { managedFields: _mf, annotations: a, ...rest } = m;
  const base = keys === undefined ? rest : { ...pick(m, keys), name: m.name };
  const kept = annotations(kind, a);
  return kept === undefined ? base : { ...base, annotations: kept };
}

function pod(o: KubeObject): KubeObject {
  const system = o.metadata.namespace === 'kube-system';
  const ctx: PodContext = { flags: new Set(system ? KEPT_FLAGS.Pod : []), system };
  const out: KubeObject = {
    ...pick(o, ['apiVersion', 'kind']),
    // model/kube.ts readPod: name, namespace, labels (selectors, NetworkPolicy), deletionTimestamp (terminating).
    metadata: metadata('Pod', o.metadata, ['name', 'namespace', 'labels', 'deletionTimestamp']),
  };
  const spec = podSpec(o.spec, ctx);
  if (spec !== undefined) out.spec = spec;
  const status = podStatus(o.status, ctx);
  if (status !== undefined) out.status = status;
  return out;
}

/** DaemonSet, Deployment: everything but the pod template, which keeps its labels and the pod allow-list. */
function workload(kind: string, o: KubeObject): KubeObject {
  const system = o.metadata.namespace === 'kube-system';
  const ctx: PodContext = { flags: new Set(system ? KEPT_FLAGS[kind] ?? [] : []), system };
  const spec = rec(o.spec);
  const template = rec(spec?.template);
  const out: KubeObject = { ...o, metadata: metadata(kind, o.metadata) };
  if (spec !== undefined && template !== undefined) {
    const t: Json = {};
    const labels = rec(template.metadata)?.labels;
    if (labels !== undefined) t.metadata = { labels };
    const ts = podSpec(template.spec, ctx);
    if (ts !== undefined) t.spec = ts;
    out.spec = { ...spec, template: t };
  }
  return out;
}

/** Every object of a snapshot through keepFields, each as what its place in the snapshot says it is. */
export function keepSnapshotFields(s: Snapshot): Snapshot {
  const c = s.cluster;
  const all = (os: KubeObject[], kind: string) => os.map((o) => keepFields(o, kind));
  const one = (o: KubeObject | null, kind: string) => (o === null ? null : keepFields(o, kind));
  return {
    ...s,
    cluster: {
      ...c,
      services: all(c.services, 'Service'),
      endpointSlices: all(c.endpointSlices, 'EndpointSlice'),
      pods: all(c.pods, 'Pod'),
      nodes: all(c.nodes, 'Node'),
      networkPolicies: all(c.networkPolicies, 'NetworkPolicy'),
      ...(c.namespaces !== undefined ? { namespaces: all(c.namespaces, 'Namespace') } : {}),
      kubeProxy: { ...c.kubeProxy, configMap: one(c.kubeProxy.configMap, 'ConfigMap'), daemonSet: one(c.kubeProxy.daemonSet, 'DaemonSet'), pods: all(c.kubeProxy.pods, 'Pod') },
      coreDns: { ...c.coreDns, deployment: one(c.coreDns.deployment, 'Deployment'), service: one(c.coreDns.service, 'Service'), endpointSlices: all(c.coreDns.endpointSlices, 'EndpointSlice') },
    },
  };
}

/**
 * The object as a snapshot keeps it. `kind` is what the object is read as (gathering knows it;
 * `--redact` takes it from where the object sits in the snapshot).
 */
export function keepFields(o: KubeObject, kind: string): KubeObject {
  switch (kind) {
    case 'Pod':
      return pod(o);
    case 'DaemonSet':
    case 'Deployment':
      return workload(kind, o);
    case 'Node': {
      // The images cached on a node: large, and no diagnosis reads them.
      const status = rec(o.status);
      const { images: _images, ...rest } = status ?? {};
      return { ...o, metadata: metadata(kind, o.metadata), ...(status !== undefined ? { status: rest } : {}) };
    }
    default:
      return { ...o, metadata: metadata(kind, o.metadata) };
  }
}
