/**
 * The workload every scenario starts from: a NodePort Service `web` (port 80 → targetPort) in a
 * Kubernetes namespace of its own, selecting pods that listen on 8080 and declare it as the
 * container port named `web`. A scenario breaks one thing in it (the selector, the targetPort,
 * readiness, externalTrafficPolicy, the nodes around it) through the options.
 */
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import { createAllocatedService } from '../../support/k8s-lab/kit-to-api.js';
import type { Listen } from '../../kernel/lab/servers.js';
import type { LabPod } from '../../support/k8s-lab/pods.js';
import { service, serviceObject } from '../../support/scenario-kit/index.js';

export const APP_PORT = 8080;

export interface WebPod {
  node: number;
  /** Default { app: 'web' }. */
  labels?: Record<string, string>;
  ready?: boolean;
  /** Where its server really listens; default 8080 on TCP and UDP, every address. */
  listen?: Listen[];
}

export interface WebOptions {
  namespace: string;
  /** Default { app: 'web' }. */
  selector?: Record<string, string>;
  /** Default 8080. */
  targetPort?: number | string;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** ClientIP: kube-proxy's affinity lists (iptables) or sets (nftables), 10800 s. Default None. */
  sessionAffinity?: 'None' | 'ClientIP';
  pods: WebPod[];
}

export interface Web {
  namespace: string;
  name: string;
  nodePort: number;
  /** kube-proxy's name for the Service port, as its rule comments and map elements carry it. */
  svcPort: string;
  pods: LabPod[];
}

export async function deployWeb(c: RealCluster, o: WebOptions): Promise<Web> {
  const name = 'web';
  await c.createNamespace(o.namespace);
  const spec = service(o.namespace, name, {
    type: 'NodePort',
    selector: o.selector ?? { app: 'web' },
    externalTrafficPolicy: o.externalTrafficPolicy ?? 'Cluster',
    ...(o.sessionAffinity !== undefined ? { sessionAffinity: o.sessionAffinity } : {}),
    ports: [{ name: 'http', port: 80, targetPort: o.targetPort ?? APP_PORT }],
  });
  // A NodePort Service has no healthCheckNodePort; the apiserver allocates its ClusterIP and nodePort.
  const svc = await createAllocatedService(c.cp, serviceObject(spec, 0)) as { spec: { ports: { nodePort: number }[] } };
  const pods: LabPod[] = [];
  for (const [i, p] of o.pods.entries()) {
    pods.push(await c.pods.add({
      namespace: o.namespace, name: `${name}-${i + 1}`, node: p.node, labels: p.labels ?? { app: 'web' },
      ports: [{ name: 'web', containerPort: APP_PORT }], ...(p.ready !== undefined ? { ready: p.ready } : {}),
      ...(p.listen !== undefined ? { listen: p.listen } : {}),
    }));
  }
  return { namespace: o.namespace, name, nodePort: svc.spec.ports[0]!.nodePort, svcPort: `${o.namespace}/${name}:http`, pods };
}
