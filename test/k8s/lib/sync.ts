/** Waiting for kube-proxy on every node to carry what a scenario just did to a Service (rules.ts). */
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import { dropsNoLocal, rejects, serves } from './rules.js';
import { APP_PORT, type Web } from './web.js';

/** Every node sends the nodePort to every pod of `web` (eTP Cluster) at `port`, nothing rejects or drops it. */
export function waitServing(c: RealCluster, web: Web, port = APP_PORT): Promise<void> {
  return c.waitForSync(`send ${web.svcPort} to ${web.pods.map((p) => `${p.ip}:${port}`).join(', ')}`, (r) =>
    web.pods.every((p) => serves(r, p.ip, port)) && !rejects(c.mode, r, web.svcPort, web.nodePort) && !dropsNoLocal(c.mode, r, web.svcPort, web.nodePort));
}

/** Every node rejects the nodePort: kube-proxy sees no usable endpoint. */
export function waitRejecting(c: RealCluster, web: Web): Promise<void> {
  return c.waitForSync(`reject ${web.svcPort} (no endpoints)`, (r) => rejects(c.mode, r, web.svcPort, web.nodePort));
}

/** eTP Local: nodes with a pod of `web` serve it, the others drop the nodePort. */
export function waitLocalOnly(c: RealCluster, web: Web): Promise<void> {
  return c.waitForSync(`serve ${web.svcPort} only where it runs`, (r, node) => {
    const k = c.nodes.indexOf(node);
    const local = web.pods.filter((p) => p.node === k);
    return local.length > 0 ? local.every((p) => serves(r, p.ip, APP_PORT)) && !dropsNoLocal(c.mode, r, web.svcPort, web.nodePort)
      : dropsNoLocal(c.mode, r, web.svcPort, web.nodePort);
  });
}
