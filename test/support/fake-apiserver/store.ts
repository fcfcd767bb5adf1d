/**
 * The object store: what etcd is to kube-apiserver. One global resourceVersion counter (etcd's
 * revision) bumps on every write, and each stored object carries the revision of its last write.
 * Keys sort as etcd keys do (`<namespace>/<name>`, byte order), which is the order list responses
 * and their pages follow. Objects go in and come out as deep copies, so neither a test's fixture
 * nor a client's response can change what is stored behind the fake's back.
 */
import { stableUid } from '../scenario-kit/net.js';
import { apiVersionOf, resourceOfObject, type ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

/** RFC 3339 with second precision, as metav1.Time serialises. */
export const kubeTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export const storeKey = (namespace: string, name: string): string => (namespace === '' ? name : `${namespace}/${name}`);

export class ObjectStore {
  /** etcd's revision. Starts above zero so resourceVersions look like a cluster's. */
  private revision = 41_000;
  /** Continue tokens minted before this revision are gone (etcd compacted them). */
  compactedRevision = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();

  constructor(seed: readonly KubeObject[] = [], private readonly now: () => number = Date.now) {
    for (const o of seed) this.put(o);
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** A write that touches no object a test sees (compaction, an event elsewhere in the cluster). */
  bump(): number {
    return ++this.revision;
  }

  private table(t: ResourceType): Map<string, KubeObject> {
    const id = `${t.group}/${t.resource}`;
    let m = this.data.get(id);
    if (m === undefined) {
      m = new Map();
      this.data.set(id, m);
    }
    return m;
  }

  static typeOf(obj: KubeObject): ResourceType {
    const t = resourceOfObject(obj.apiVersion, obj.kind);
    if (t === undefined) throw new Error(`fake apiserver does not serve ${obj.apiVersion} ${obj.kind}`);
    return t;
  }

  /** Creates or replaces; fills uid and creationTimestamp when absent; stamps a new resourceVersion. */
  put(input: KubeObject): KubeObject {
    const t = ObjectStore.typeOf(input);
    const obj = structuredClone(input);
    const ns = t.namespaced ? (obj.metadata.namespace ?? 'default') : '';
    if (t.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    obj.apiVersion = apiVersionOf(t);
    obj.metadata.uid ??= stableUid(`${t.resource}/${ns}/${obj.metadata.name}`);
    obj.metadata.creationTimestamp ??= kubeTime(this.now());
    obj.metadata.resourceVersion = String(++this.revision);
    this.table(t).set(storeKey(ns, obj.metadata.name), obj);
    return structuredClone(obj);
  }

  get(t: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const o = this.table(t).get(storeKey(t.namespaced ? namespace : '', name));
    return o === undefined ? undefined : structuredClone(o);
  }

  remove(t: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const key = storeKey(t.namespaced ? namespace : '', name);
    const o = this.table(t).get(key);
    if (o === undefined) return undefined;
    this.table(t).delete(key);
    this.revision++;
    return structuredClone(o);
  }

  /** [key, object] pairs in key order; `namespace` '' means every namespace. */
  entries(t: ResourceType, namespace: string): [string, KubeObject][] {
    const all = [...this.table(t).entries()].filter(([, o]) => namespace === '' || o.metadata.namespace === namespace);
    all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([k, o]) => [k, structuredClone(o)]);
  }
}
