/**
 * Least data (src/snapshot/redact-fields.ts): gathering stores Pods through an allow-list of what
 * checks read, annotations only where a check reads them, kube-system command lines only for the
 * flags something reads. Secrets in probes, hooks, env, volumes and command lines never reach a
 * snapshot, and every scenario of the corpus, trimmed, still gives its findings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadYaml } from '@kubernetes/client-node';
import { CHECKS } from '../../checks/index.js';
import { kubeProxyConfig, serviceNodePortRange } from '../../src/collect/kube/kube-proxy-config.js';
import { toWire } from '../../src/collect/kube/wire.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { DROPPED_WORDS, keepFields, keepSnapshotFields } from '../../src/snapshot/redact-fields.js';
import type { KubeObject } from '../../src/snapshot/schema.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';

const SECRET = 'TOPSECRET';

/** A workload pod with a secret in every place a pod can hold one. */
function hostilePod(namespace = 'shop'): KubeObject {
  const probe = { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'Authorization', value: `Bearer ${SECRET}-probe` }] }, periodSeconds: 5 };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: 'web-1', namespace, uid: `${SECRET}-uid`, labels: { app: 'web' }, generateName: 'web-', deletionTimestamp: '2026-01-01T00:00:00Z',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"env":"${SECRET}-applied"}`, 'vault.hashicorp.com/agent-inject-secret': `${SECRET}-ann` },
      managedFields: [{ manager: `${SECRET}-mf` }], ownerReferences: [{ kind: 'ReplicaSet', name: 'web', uid: `${SECRET}-owner` }],
    },
    spec: {
      nodeName: 'node-a', hostNetwork: false, serviceAccountName: `${SECRET}-sa`, imagePullSecrets: [{ name: `${SECRET}-pull` }],
      nodeSelector: { pool: `${SECRET}-pool` },
      volumes: [{ name: 'creds', secret: { secretName: `${SECRET}-vol` } }, { name: 'host', hostPath: { path: `/srv/${SECRET}` } }],
      initContainers: [{ name: 'init', image: `registry/${SECRET}-init`, command: ['sh', '-c', `echo ${SECRET}-init`] }],
      containers: [{
        name: 'web', image: `registry.corp/${SECRET}-image:1`, command: ['/app', `--db-password=${SECRET}-cmd`], args: ['--token', `${SECRET}-arg`],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP', hostPort: 80, hostIP: '0.0.0.0' }],
        env: [{ name: 'DB_PASSWORD', value: `${SECRET}-env` }, { name: 'API_KEY', valueFrom: { secretKeyRef: { name: `${SECRET}-ref`, key: 'k' } } }],
        envFrom: [{ secretRef: { name: `${SECRET}-envfrom` } }],
        readinessProbe: probe, livenessProbe: { exec: { command: ['check', `--password=${SECRET}-exec`] } },
        startupProbe: probe,
        lifecycle: { preStop: { exec: { command: ['curl', `https://${SECRET}-hook`] } }, postStart: { httpGet: { path: `/${SECRET}-post`, port: 80 } } },
        volumeMounts: [{ name: 'creds', mountPath: `/var/run/${SECRET}` }],
      }],
    },
    status: {
      phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }], hostIP: '192.168.0.2', message: `${SECRET}-status`,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]', lastTransitionTime: '2026-01-01T00:00:00Z', lastProbeTime: null },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [{
        name: 'web', ready: false, restartCount: 3, image: `registry.corp/${SECRET}-image:1`, imageID: `registry.corp/x@sha256:${SECRET}`,
        containerID: `containerd://${SECRET}-cid`, started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${SECRET}-wait` } },
        lastState: { terminated: { reason: 'Error', exitCode: 1, message: `${SECRET}-last-words`, containerID: `containerd://${SECRET}-old` } },
      }],
    },
  };
}

describe('a Pod keeps only what checks read', () => {
  test('a workload pod: no secret survives, and exactly the read fields stay', () => {
    const kept = keepFields(hostilePod(), 'Pod');
    assert.doesNotMatch(JSON.stringify(kept), new RegExp(SECRET));
    assert.deepEqual(kept, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, deletionTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'node-a', hostNetwork: false, containers: [{ name: 'web', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
      status: {
        phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }],
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]', lastTransitionTime: '2026-01-01T00:00:00Z' },
          { type: 'PodScheduled', status: 'True' },
        ],
        containerStatuses: [{ name: 'web', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }],
      },
    });
  });

  test('a kube-system pod keeps its last termination message (kube-proxy-crashlooping shows it) and only the NodePort range flag', () => {
    const apiserver = hostilePod('kube-system');
    (apiserver.spec as { containers: { command: string[] }[] }).containers[0]!.command =
      ['kube-apiserver', '--advertise-address=192.168.0.2', `--etcd-keyfile=/etc/${SECRET}.key`, '--service-node-port-range=20000-22767', `--token-auth-file=/etc/${SECRET}.csv`];
    const kept = keepFields(apiserver, 'Pod');
    const container = (kept.spec as { containers: { command?: string[]; args?: string[] }[] }).containers[0]!;
    assert.deepEqual(container.command, ['kube-apiserver', DROPPED_WORDS, '--service-node-port-range=20000-22767', DROPPED_WORDS]);
    assert.deepEqual(container.args, [DROPPED_WORDS]);
    assert.deepEqual((kept.status as { containerStatuses: { lastState: unknown }[] }).containerStatuses[0]!.lastState,
      { terminated: { reason: 'Error', exitCode: 1, message: `${SECRET}-last-words` } });
    assert.equal(serviceNodePortRange([kept]), '20000-22767');
  });

  test('gathering stores pods through the allow-list', async () => {
    const wired = await toWire(hostilePod(), 'V1Pod', 'v1', 'Pod');
    assert.doesNotMatch(JSON.stringify(wired), new RegExp(SECRET));
    assert.deepEqual(wired, keepFields(hostilePod(), 'Pod'));
  });
});

describe('kube-system command lines keep only the flags something reads', () => {
  const ds = (command: string[] | undefined, args?: string[]): KubeObject => ({
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system', annotations: { 'deprecated.daemonset.template.generation': '3' } },
    spec: { selector: { matchLabels: { 'k8s-app': 'kube-proxy' } }, template: {
      metadata: { labels: { 'k8s-app': 'kube-proxy' }, annotations: { 'x/y': SECRET } },
      spec: { serviceAccountName: 'kube-proxy', containers: [{ name: 'kube-proxy', image: `registry.k8s.io/${SECRET}`, env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'X', value: SECRET }],
        ...(command ? { command } : {}), ...(args ? { args } : {}) }] } } },
    status: { desiredNumberScheduled: 3, numberReady: 2 },
  });
  const cm = (text: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': text } });
  const conf = cm('mode: ipvs\nclusterCIDR: 10.244.0.0/16\n');

  test('kubeadm\'s kube-proxy: the binary, --config and --hostname-override stay, a password does not', () => {
    const kept = keepFields(ds(['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)', `--db-password=${SECRET}`]), 'DaemonSet');
    assert.doesNotMatch(JSON.stringify(kept), new RegExp(SECRET));
    assert.deepEqual(kept.spec, {
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: { metadata: { labels: { 'k8s-app': 'kube-proxy' } }, spec: { containers: [{ name: 'kube-proxy', command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)', DROPPED_WORDS] }] } },
    });
    assert.deepEqual(kept.status, { desiredNumberScheduled: 3, numberReady: 2 }, 'kube-proxy-missing reads the DaemonSet status');
    assert.equal(kept.metadata.annotations, undefined);
  });

  test('kube-proxy-config.ts reads the same settings from the kept command line as from the whole one', () => {
    const lines: [string[] | undefined, string[]?][] = [
      [['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--v=2']],
      [['kube-proxy', '--proxy-mode', 'nftables', `--kubeconfig=/etc/${SECRET}`, '--cluster-cidr', '10.0.0.0/8', '--nodeport-addresses=192.168.0.0/16', '--iptables-masquerade-bit=15', '--iptables-localhost-nodeports=false']],
      [undefined, ['--v=2']], // flags without --config: kube-proxy ignores the ConfigMap
      [undefined, ['--config', '/var/lib/kube-proxy/config.conf', '--db-password', SECRET]],
      [undefined],
    ];
    for (const [command, args] of lines) {
      const whole = ds(command, args);
      for (const configMap of [conf, null]) {
        assert.deepEqual(kubeProxyConfig(configMap, keepFields(whole, 'DaemonSet'), loadYaml), kubeProxyConfig(configMap, whole, loadYaml), JSON.stringify([command, args]));
      }
    }
  });

  test('outside kube-system no command line is kept', () => {
    const other = { ...ds(['/usr/local/bin/kube-proxy', '--config=/x']), metadata: { name: 'kube-proxy', namespace: 'tools' } };
    const c = (keepFields(other, 'DaemonSet').spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
    assert.deepEqual(c, { name: 'kube-proxy' });
  });
});

test('annotations stay only where a check reads them', () => {
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', annotations: {
    'service.kubernetes.io/topology-mode': 'Auto', 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': `arn:${SECRET}`, 'kubectl.kubernetes.io/last-applied-configuration': SECRET,
  } }, spec: { type: 'NodePort' } };
  assert.deepEqual(keepFields(svc, 'Service').metadata.annotations, { 'service.kubernetes.io/topology-mode': 'Auto' });
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', annotations: { 'flannel.alpha.coreos.com/public-ip': '203.0.113.9' }, managedFields: [] }, status: { images: [{ names: ['x'] }], addresses: [] } };
  assert.deepEqual(keepFields(node, 'Node'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { addresses: [] } });
});

test('every scenario of the corpus, trimmed to the allow-list, gives the same findings', async () => {
  const ids = (r: Awaited<ReturnType<typeof diagnose>>) => r.findings.map((f) => `${f.severity} ${f.id} ${f.node ?? ''}`).sort();
  for (const s of await loadScenarios()) {
    const snapshot = await loadSnapshot(s.snapshotFile);
    const ask = { ...(s.scenario.target ?? DEFAULT_TARGET), ...s.scenario.ask };
    const trimmed = keepSnapshotFields(snapshot);
    assert.notDeepEqual(trimmed.cluster.pods, snapshot.cluster.pods, `${s.name}: the corpus pods carry fields no check reads`);
    assert.deepEqual(ids(await diagnose(trimmed, ask, { checks: CHECKS })), ids(await diagnose(snapshot, ask, { checks: CHECKS })), s.name);
  }
});
