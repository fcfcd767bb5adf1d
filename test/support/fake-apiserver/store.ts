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
  /** Each table's entries in key order, kept until its next write: a list of 30k pods is read 60 pages at a time. */
  private readonly sorted = new Map<Map<string, KubeObject>, readonly (readonly [string, KubeObject])[]>();

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
    const table = this.table(t);
    table.set(storeKey(ns, obj.metadata.name), obj);
    this.sorted.delete(table);
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
    this.sorted.delete(this.table(t));
    this.revision++;
    return structuredClone(o);
  }

  /** [key, object] pairs in key order; `namespace` '' means every namespace. */
  entries(t: ResourceType, namespace: string): [string, KubeObject][] {
    return this.stored(t, namespace).map(([k, o]) => [k, structuredClone(o)]);
  }

  /**
   * The same pairs as they are stored, not copied: for a list, which copies only the page it
   * sends. Callers must not change them.
   */
  stored(t: ResourceType, namespace: string): readonly (readonly [string, KubeObject])[] {
    const table = this.table(t);
    let all = this.sorted.get(table);
    if (all === undefined) {
      all = [...table.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.sorted.set(table, all);
    }
    return namespace === '' ? all : all.filter(([, o]) => o.metadata.namespace === namespace);
  }
}
