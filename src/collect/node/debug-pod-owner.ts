/**
 * Who started a debug pod, and when it ends by itself: written as annotations when np-doctor
 * creates the pod, read by `np-doctor cleanup` so it deletes only pods that are expired or are
 * this user's on this machine (another engineer's run may be reading a node right now).
 */

/** Selects np-doctor's debug pods and nothing else np-doctor might one day manage. */
export const DEBUG_POD_SELECTOR = 'app.kubernetes.io/managed-by=np-doctor,app.kubernetes.io/name=np-doctor-node-reader';

export const ANNOTATION = {
  node: 'np-doctor.dev/node',
  user: 'np-doctor.dev/user',
  host: 'np-doctor.dev/host',
  pid: 'np-doctor.dev/pid',
} as const;

/** The local account, machine and process that create debug pods. */
export interface PodOwner {
  user: string;
  host: string;
  pid: number;
}

export function ownerAnnotations(o: PodOwner): Record<string, string> {
  return { [ANNOTATION.user]: o.user, [ANNOTATION.host]: o.host, [ANNOTATION.pid]: String(o.pid) };
}

/** The parts of a pod these rules read (a client-node V1Pod, or wire JSON). */
export interface PodLike {
  metadata?: { annotations?: Record<string, string> | undefined; creationTimestamp?: Date | string | undefined } | undefined;
  spec?: { activeDeadlineSeconds?: number | undefined } | undefined;
  status?: { phase?: string | undefined; startTime?: Date | string | undefined } | undefined;
}

/** The owner a pod's annotations name; undefined for pods without them (older np-doctor). */
export function ownerOf(pod: PodLike): Partial<PodOwner> | undefined {
  const a = pod.metadata?.annotations ?? {};
  if (a[ANNOTATION.user] === undefined && a[ANNOTATION.host] === undefined) return undefined;
  const pid = Number(a[ANNOTATION.pid]);
  return {
    ...(a[ANNOTATION.user] !== undefined ? { user: a[ANNOTATION.user] } : {}),
    ...(a[ANNOTATION.host] !== undefined ? { host: a[ANNOTATION.host] } : {}),
    ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
  };
}

const time = (t: Date | string | undefined): number | undefined => {
  if (t === undefined) return undefined;
  const ms = (t instanceof Date ? t : new Date(t)).getTime();
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * When the kubelet ends the pod: activeDeadlineSeconds counts from status.startTime. A pod that
 * never started (unschedulable, image never pulled) has no startTime; its creation time stands in,
 * so a pod stuck in Pending also counts as expired eventually. undefined: no deadline to go by.
 */
export function podDeadline(pod: PodLike): number | undefined {
  const secs = pod.spec?.activeDeadlineSeconds;
  const from = time(pod.status?.startTime) ?? time(pod.metadata?.creationTimestamp);
  return secs === undefined || from === undefined ? undefined : from + secs * 1000;
}
