/**
 * Back from client-node's model objects to the API's JSON (what `kubectl get -o json` prints), which
 * is what snapshots store. The models rename some fields (`from` becomes `_from` in NetworkPolicy
 * rules) and turn timestamps into Dates; client-node's own ObjectSerializer undoes both. It is not
 * exported from the package root, so it is imported from its module path (present in 1.x; check
 * on upgrades).
 *
 * Every object then goes through the snapshot's allow-list (keepFields): Pods keep only the
 * fields checks read, annotations only where a check reads them, kube-system command lines only
 * the flags something reads; managedFields and the images cached on nodes go. ConfigMaps keep
 * only the key np-doctor reads.
 */
import { keepFields } from '../../snapshot/redact-fields.js';
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
  // List items come without apiVersion/kind; stored objects always carry them. Only the fields
  // analysis reads are kept (snapshot/redact-fields.ts).
  return keepFields({ apiVersion, kind, ...wire }, kind);
}

/** A ConfigMap reduced to the one data key np-doctor reads. */
export function keepConfigMapKey(cm: KubeObject, key: string): KubeObject {
  const { binaryData: _binary, ...rest } = cm;
  const data = (cm.data as Record<string, string> | undefined) ?? {};
  return { ...rest, data: key in data ? { [key]: data[key] } : {} };
}
