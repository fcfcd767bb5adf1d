/**
 * Listening sockets as `ss -H -l -n -t -u -p` prints them, on a node or inside a pod's network
 * namespace, and what a pod's sockets are known to be.
 */

/** One listening socket: `tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("app",pid=1,fd=3))`. */
export interface ListeningSocket {
  protocol: 'TCP' | 'UDP';
  /** The bound address without brackets or zone: `0.0.0.0`, `::`, `127.0.0.1`, `*`. */
  address: string;
  port: number;
  /** The first process name ss shows (untrusted text), or null. */
  process: string | null;
  /** The line as ss printed it (untrusted text), for evidence. */
  line: string;
}

/**
 * A pod's sockets: read from the one network namespace that holds its IP, or unknown and why
 * (not gathered, e.g. a snapshot from before np-doctor read pods' sockets; the command failed; no
 * namespace, or more than one, holds the pod's IP).
 */
export type PodSockets =
  | { state: 'read'; netns: string; sockets: ListeningSocket[]; command: string }
  | { state: 'unknown'; why: string };
