/**
 * Back from client-node's model objects to the API's JSON (what `kubectl get -o json` prints), which
 * is what snapshots store. The models rename some fields (`from` becomes `_from` in NetworkPolicy
 * rules) and turn timestamps into Dates; client-node's own ObjectSerializer undoes both. It is not
 * exported from the package root, so it is imported from its module path (present in 1.x; check
 * on upgrades).
 *
 * Also drops what no diagnosis needs and may be secret or large: managedFields, last-applied
 * annotations, container env values, the command lines of workload pods (kube-system's stay: they
 * hold kube-proxy's and kube-apiserver's flags), the images cached on nodes, and ConfigMap keys
 * other than the one we read.
 */
import type { KubeObject } from '../../snapshot/schema.js';

interface Serializer {
  serialize(data: unknown, type: string, format: string): unknown;
}

let serializer: Serializer | undefined;

async function objectSerializer(): Promise<Serializer> {
  if (serializer === undefined) {
    const mod = (await import('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js')) as { ObjectSerializer: Serializer };
    serializer = mod.ObjectSerializer;
  }
  return serializer;
}

/** `type` is client-node's model name, e.g. "V1Service". */
export async function toWire(obj: unknown, type: string, apiVersion: string, kind: string): Promise<KubeObject> {
  const { apiVersion: _v, kind: _k, ...wire } = (await objectSerializer()).serialize(obj, type, '') as KubeObject;
  // List items come without apiVersion/kind; stored objects always carry them.
  return scrub({ apiVersion, kind, ...wire });
}

function scrub(o: KubeObject): KubeObject {
  const metadata = { ...o.metadata };
  delete metadata.managedFields;
  const annotations = metadata.annotations as Record<string, string> | undefined;
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _dropped, ...rest } = annotations;
    metadata.annotations = rest;
  }
  const out: KubeObject = { ...o, metadata };
  if (o.kind === 'Pod') out.spec = withoutEnv(o.spec, o.metadata.namespace !== 'kube-system');
  if (o.kind === 'Node' && typeof o.status === 'object' && o.status !== null) {
    const { images: _images, ...status } = o.status as Record<string, unknown>;
    out.status = status;
  }
  if (o.kind === 'DaemonSet' || o.kind === 'Deployment') {
    const spec = o.spec as { template?: { spec?: unknown } } | undefined;
    if (spec?.template !== undefined) out.spec = { ...spec, template: { ...spec.template, spec: withoutEnv(spec.template.spec) } };
  }
  return out;
}

type Container = { env?: { name: string }[]; command?: unknown; args?: unknown } & Record<string, unknown>;

/**
 * Keeps each env var's name (a diagnosis may care that KUBERNETES_SERVICE_HOST is set), never its
 * value; with `dropCommands`, also the command and args (`--password=…` happens).
 */
function withoutEnv(spec: unknown, dropCommands = false): unknown {
  if (typeof spec !== 'object' || spec === null) return spec;
  const s = { ...(spec as Record<string, unknown>) };
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = s[key] as Container[] | undefined;
    if (!Array.isArray(list)) continue;
    s[key] = list.map(({ command, args, ...c }) => ({
      ...c,
      ...(c.env ? { env: c.env.map((e) => ({ name: e.name })) } : {}),
      ...(dropCommands ? {} : { ...(command !== undefined ? { command } : {}), ...(args !== undefined ? { args } : {}) }),
    }));
  }
  return s;
}

/** A ConfigMap reduced to the one data key np-doctor reads. */
export function keepConfigMapKey(cm: KubeObject, key: string): KubeObject {
  const { binaryData: _binary, ...rest } = cm;
  const data = (cm.data as Record<string, string> | undefined) ?? {};
  return { ...rest, data: key in data ? { [key]: data[key] } : {} };
}
