/** The Service list: every Service a NodePort reaches (NodePort and LoadBalancer types). */
import type { ClusterModel } from '../../model/cluster.js';
import type { ServicePort } from '../../model/kube.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { Health } from '../../report/health.js';

export interface ServiceRow {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  type: string;
  externalTrafficPolicy: 'Cluster' | 'Local';
  ports: ServicePort[];
}

export function serviceRows(cluster: ClusterModel): ServiceRow[] {
  return cluster.services
    .filter((s) => s.ports.some((p) => p.nodePort !== null))
    .map((s) => ({ key: `${s.namespace}/${s.name}`, namespace: s.namespace, name: s.name, type: s.type, externalTrafficPolicy: s.externalTrafficPolicy, ports: s.ports }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** The namespaces to switch between: those the cluster listed, and any a Service is in. */
export function namespacesOf(snapshot: Snapshot, cluster: ClusterModel): string[] {
  const names = new Set(cluster.services.map((s) => s.namespace));
  for (const ns of snapshot.cluster.namespaces ?? []) names.add(ns.metadata.name);
  return [...names].sort();
}

/** `30080/TCP,30443/TCP` */
export function nodePortsText(row: ServiceRow): string {
  return row.ports.filter((p) => p.nodePort !== null).map((p) => `${p.nodePort}/${p.protocol}`).join(',');
}

/** Rows whose namespace/name contains the filter text (case-insensitive), in the namespace shown. */
export function visibleRows(rows: readonly ServiceRow[], namespace: string | null, filter: string): ServiceRow[] {
  const f = filter.toLowerCase();
  return rows.filter((r) => (namespace === null || r.namespace === namespace) && (f === '' || r.key.toLowerCase().includes(f)));
}

/** What the list is sorted by: namespace/name (the default), name, or health, worst first. */
export interface ListSort {
  by: 'namespace' | 'name' | 'health';
  descending: boolean;
}

export const DEFAULT_SORT: ListSort = { by: 'namespace', descending: false };

/** Shift-letter keys sort, as in k9s; the same key again reverses the order. */
export const SORT_KEYS: Readonly<Record<string, ListSort['by']>> = { N: 'name', S: 'namespace', H: 'health' };

const RANK: Record<Health, number> = { error: 0, warning: 1, undecided: 2, ok: 3 };

/** `health` by ServiceRow.key; a Service the first pass has not reached yet sorts last. */
export function sortRows(rows: readonly ServiceRow[], sort: ListSort, health: Readonly<Record<string, { health: Health } | undefined>>): ServiceRow[] {
  const rank = (r: ServiceRow) => {
    const h = health[r.key]?.health;
    return h === undefined ? 4 : RANK[h];
  };
  const byKey = (a: ServiceRow, b: ServiceRow) => a.key.localeCompare(b.key);
  const compare = {
    namespace: byKey,
    name: (a: ServiceRow, b: ServiceRow) => a.name.localeCompare(b.name) || byKey(a, b),
    health: (a: ServiceRow, b: ServiceRow) => rank(a) - rank(b) || byKey(a, b),
  }[sort.by];
  const sorted = [...rows].sort(compare);
  return sort.descending ? sorted.reverse() : sorted;
}
