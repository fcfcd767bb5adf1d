/**
 * `np-doctor` alone in a terminal opens the live session. Without a kubeconfig that session would
 * open on an error cut to the screen's width: say it whole instead, and what works without one.
 */
import { homedir } from 'node:os';
import { KubeconfigError, resolveKubeconfig } from '../collect/kube/kubeconfig.js';
import type { Io } from './io.js';

/** The message to end with when there is no cluster to open the session on; null when there is one. */
export async function noClusterMessage(io: Io): Promise<string | null> {
  try {
    await resolveKubeconfig({ env: io.env, homeDir: io.env.HOME ?? homedir() });
    return null;
  } catch (e) {
    if (!(e instanceof KubeconfigError)) throw e;
    return `np-doctor: ${e.message}\nWithout a cluster: np-doctor demo, or np-doctor tui --snapshot demo. All commands: np-doctor --help\n`;
  }
}
