/**
 * No CNI runs in the lab, so nothing enforces a NetworkPolicy by itself. The lab enforces one
 * the way a policy plugin does, inside the pod's own network namespace where np-doctor cannot
 * see it (it must conclude from the policy object, as it does on a real cluster): the pod port
 * accepts the peers the policy allows and the pod's own node (plugins always let a node reach its
 * own pods, kubelet probes depend on it), and drops the rest, so a denied client times out.
 */
import { run } from '../../kernel/lab/exec.js';
import type { LabPod } from '../../support/k8s-lab/pods.js';

export async function enforceIngress(pod: LabPod, port: number, allowed: string[], ownNode: string): Promise<void> {
  const accept = [...allowed, `${ownNode}/32`].map((s) => `-A INPUT -p tcp -s ${s} --dport ${port} -j ACCEPT`);
  const rules = ['*filter', ':INPUT ACCEPT [0:0]', ...accept, `-A INPUT -p tcp --dport ${port} -j DROP`, 'COMMIT', ''].join('\n');
  await run('iptables-restore', [], { ns: pod.ns, input: rules });
}
