/**
 * The kit's clock: the cluster came up at CLUSTER_BORN, workloads half an hour later, and the
 * snapshot is taken at SNAPSHOT_TAKEN. Fixed, so two builds of one spec are byte-identical.
 */
const CLUSTER_BORN = Date.parse('2026-11-01T09:00:00Z');

/** When `np-doctor snapshot` started (the snapshot's createdAt). */
export const SNAPSHOT_TAKEN = '2026-11-22T08:00:00.000Z';

/** ctime(3)-style date iptables-save prints in its header, a second after gathering started. */
export const SAVE_DATE = 'Sun Nov 22 08:00:01 2026';

/** An API timestamp `minutes` after the cluster came up, as the apiserver writes it. */
export const at = (minutes: number): string => new Date(CLUSTER_BORN + minutes * 60_000).toISOString().replace('.000Z', 'Z');

/** An API timestamp `seconds` before the snapshot was taken (recent events: a deletion, a crash). */
export const beforeSnapshot = (seconds: number): string => new Date(Date.parse(SNAPSHOT_TAKEN) - seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Minutes after CLUSTER_BORN at which the workloads (namespaces other than kube-system) were created. */
export const WORKLOADS = 30;
