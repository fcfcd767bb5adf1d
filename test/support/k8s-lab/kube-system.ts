/**
 * kube-proxy as the API shows it on a kubeadm cluster, for the kube-proxies the lab really runs:
 * the ConfigMap kube-system/kube-proxy (key config.conf: the KubeProxyConfiguration as YAML; key
 * kubeconfig.conf), the ServiceAccount, the DaemonSet (`kube-proxy --config=… --hostname-override=$(NODE_NAME)`)
 * and one Pod per node, status-patched Running and Ready with the node's address (hostNetwork).
 * No DaemonSet controller runs, so the pods are created here and the DaemonSet's status patched.
 *
 * config.conf is what every lab kube-proxy reads, minus the per-node fields kubeadm leaves out of
 * the shared file: hostnameOverride (the flag sets it) and the kubeconfig path (mounted in the pod).
 */
import { dumpYaml } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.js';

const NS = 'kube-system';
const CONFIG_DIR = '/var/lib/kube-proxy';

async function ok(what: string, p: Promise<{ status: number; body: unknown }>, want: number[]): Promise<unknown> {
  const r = await p;
  if (!want.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The shared config.conf text for a lab kube-proxy's KubeProxyConfiguration. */
export function configConf(config: Record<string, unknown>): string {
  const { hostnameOverride: _node, clientConnection, ...shared } = config;
  return dumpYaml({
    ...shared,
    hostnameOverride: '',
    clientConnection: { ...(clientConnection as Record<string, unknown>), kubeconfig: `${CONFIG_DIR}/kubeconfig.conf` },
  });
}

function configMap(config: Record<string, unknown>, server: string): Record<string, unknown> {
  const kubeconfig = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'default', cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server } }],
    contexts: [{ name: 'default', context: { cluster: 'default', namespace: 'default', user: 'default' } }],
    'current-context': 'default',
    users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
  };
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'kube-proxy', namespace: NS, labels: { app: 'kube-proxy' } },
    data: { 'config.conf': configConf(config), 'kubeconfig.conf': dumpYaml(kubeconfig) },
  };
}

function podSpec(image: string): Record<string, unknown> {
  return {
    hostNetwork: true,
    priorityClassName: 'system-node-critical',
    serviceAccountName: 'kube-proxy',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ operator: 'Exists' }],
    containers: [{
      name: 'kube-proxy',
      image,
      command: ['/usr/local/bin/kube-proxy', `--config=${CONFIG_DIR}/config.conf`, '--hostname-override=$(NODE_NAME)'],
      env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      securityContext: { privileged: true },
      volumeMounts: [
        { name: 'kube-proxy', mountPath: CONFIG_DIR },
        { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
        { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
      ],
    }],
    volumes: [
      { name: 'kube-proxy', configMap: { name: 'kube-proxy' } },
      { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
      { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
    ],
  };
}

/** Publishes the objects for kube-proxies running on `nodes` (name → InternalIP) with `config`. */
export async function publishKubeProxy(cp: ControlPlane, config: Record<string, unknown>, nodes: { name: string; ip: string }[]): Promise<void> {
  const image = `registry.k8s.io/kube-proxy:${cp.version}`;
  await ok('create ServiceAccount kube-proxy', cp.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kube-proxy', namespace: NS } }), [201]);
  await ok('create ConfigMap kube-proxy', cp.api('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap(config, cp.server)), [201]);
  const labels = { 'k8s-app': 'kube-proxy' };
  const ds = await ok('create DaemonSet kube-proxy', cp.api('POST', `/apis/apps/v1/namespaces/${NS}/daemonsets`, {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: NS, labels },
    spec: { selector: { matchLabels: labels }, updateStrategy: { type: 'RollingUpdate' }, template: { metadata: { labels }, spec: podSpec(image) } },
  }), [201]) as { metadata: { uid: string } };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const n of nodes) {
    const name = `kube-proxy-${n.name}`;
    await ok(`create Pod ${name}`, cp.api('POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: NS, labels,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...podSpec(image), nodeName: n.name },
    }), [201]);
    await ok(`Pod ${name} status`, cp.api('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, {
      status: {
        phase: 'Running', hostIP: n.ip, hostIPs: [{ ip: n.ip }], podIP: n.ip, podIPs: [{ ip: n.ip }], startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
        containerStatuses: [{ name: 'kube-proxy', image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }],
      },
    }, 'application/merge-patch+json'), [200]);
  }
  const count = nodes.length;
  await ok('DaemonSet kube-proxy status', cp.api('PATCH', `/apis/apps/v1/namespaces/${NS}/daemonsets/kube-proxy/status`, {
    status: {
      currentNumberScheduled: count, desiredNumberScheduled: count, numberMisscheduled: 0, numberReady: count,
      numberAvailable: count, updatedNumberScheduled: count, observedGeneration: 1,
    },
  }, 'application/merge-patch+json'), [200]);
}

/** Rewrites config.conf after the lab restarted its kube-proxies with another configuration. */
export async function updateKubeProxyConfig(cp: ControlPlane, config: Record<string, unknown>): Promise<void> {
  await ok('update ConfigMap kube-proxy', cp.api('PATCH', `/api/v1/namespaces/${NS}/configmaps/kube-proxy`,
    { data: { 'config.conf': configConf(config) } }, 'application/merge-patch+json'), [200]);
}
