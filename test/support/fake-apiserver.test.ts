/**
 * The fake kube-apiserver, driven only through the real @kubernetes/client-node 1.4 (its fetch
 * stack, TLS verification against the kubeconfig's CA, ApiException, and its WebSocket exec),
 * so what these tests pin down is what np-doctor's collectors will meet.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
import { apiClusterObjects } from './api-cluster.js';
import {
  CONTINUE_EXPIRED,
  ExecutableNotFound,
  netnsExecHandler,
  startFakeApiserver,
  writeKubeconfig,
  type ExecHandler,
  type FakeApiserver,
  type KubeObject,
} from './fake-apiserver/index.js';
import { run } from '../kernel/lab/exec.js';
import { deleteNamespace, NS_PREFIX } from '../kernel/lab/netns.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';

const USER = 'system:serviceaccount:ops:np-doctor';

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
});

/** Five Services in their own namespace: a list of them pages as 2 + 2 + 1 with limit=2. */
const PAGING: KubeObject[] = [
  ns('paging'),
  ...[0, 1, 2, 3, 4].map((i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'paging' },
    spec: { type: 'ClusterIP', clusterIP: `10.96.7.${i + 1}`, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
  })),
];

const PSA: KubeObject[] = [
  ns('locked-baseline', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
  ns('locked-restricted', { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.31' }),
  ns('open', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
];

/** The pod `kubectl debug node/<n> --profile=sysadmin` creates, as np-doctor will. */
function debugPod(name: string, node: string, image = 'busybox:1.37'): k8s.V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-debug' } },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: 900,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'debug',
          image,
          command: ['sleep', '600'],
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    },
  };
}

/** Awaits a rejection that must be an ApiException, and parses its body (a JSON string) as a Status. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof k8s.ApiException, `expected ApiException, got ${String(e)}`);
    const err = e as k8s.ApiException<unknown>;
    assert.equal(typeof err.body, 'string', 'client-node 1.x hands over the raw body string');
    return { code: err.code, status: JSON.parse(err.body as string) as Record<string, unknown> };
  }
  assert.fail('expected the call to be refused');
}

const withTimeout = (ms: number): k8s.ConfigurationOptions => ({
  middleware: [
    {
      pre: (ctx) => {
        ctx.setSignal(AbortSignal.timeout(ms));
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (rsp) => new k8s.Observable(Promise.resolve(rsp)),
    },
  ],
  middlewareMergeStrategy: 'append',
});

interface Captured {
  stdout: string;
  stderr: string;
  status: k8s.V1Status | undefined;
  protocol: string;
}

async function execCapture(exec: k8s.Exec, namespace: string, pod: string, container: string, cmd: string[]): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]): Writable =>
    new Writable({
      write(c: Buffer, _e, cb) {
        into.push(c);
        cb();
      },
    });
  let status: k8s.V1Status | undefined;
  const ws = await exec.exec(namespace, pod, container, cmd, sink(out), sink(err), null, false, (s) => {
    status = s;
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      ws.close();
      reject(new Error('exec did not finish in 20 s'));
    }, 20_000);
    ws.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status, protocol: ws.protocol };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fake kube-apiserver through @kubernetes/client-node', () => {
  let api: FakeApiserver;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const since = (mark: number) => api.requests.slice(mark);

  before(async () => {
    api = await startFakeApiserver({ objects: [...apiClusterObjects(), ...PAGING, ...PSA] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(await api.writeKubeconfig({ context: 'lab', namespace: 'shop' }));
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await api.stop();
  });
  afterEach(() => {
    api.clearFaults();
    api.setExecHandler(undefined);
  });

  describe('TLS, token and kubeconfig', () => {
    test('the kubeconfig names the context, namespace and server, and the client verifies the CA', async () => {
      assert.equal(kc.getCurrentContext(), 'lab');
      assert.equal(kc.getContextObject('lab')?.namespace, 'shop');
      assert.equal(kc.getCurrentCluster()?.server, api.url);
      assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const v = await kc.makeApiClient(k8s.VersionApi).getCode();
      assert.equal(v.gitVersion, 'v1.31.4');
    });

    test('a JSON kubeconfig works as well', async () => {
      const other = new k8s.KubeConfig();
      other.loadFromFile(await api.writeKubeconfig({ context: 'json-ctx', format: 'json' }));
      assert.equal(other.getCurrentContext(), 'json-ctx');
      assert.equal(other.getContextObject('json-ctx')?.namespace, undefined);
      const nodes = await other.makeApiClient(k8s.CoreV1Api).listNode({});
      assert.deepEqual(nodes.items.map((n) => n.metadata?.name), ['node-1', 'node-2', 'node-3']);
    });

    test('a wrong token gets 401 Unauthorized (client-node drops the body of a 401)', async () => {
      const bad = new k8s.KubeConfig();
      bad.loadFromFile(await api.writeKubeconfig({ context: 'bad', token: 'not-the-token' }));
      const mark = api.requests.length;
      await assert.rejects(bad.makeApiClient(k8s.CoreV1Api).listNode({}), (e: unknown) => {
        assert.ok(e instanceof k8s.ApiException);
        assert.equal(e.code, 401);
        // The generated code special-cases 401: message "Unauthorized", body undefined.
        assert.equal(e.body, undefined);
        assert.match(e.message, /^HTTP-Code: 401\nMessage: Unauthorized\n/);
        return true;
      });
      assert.deepEqual(since(mark).map((r) => [r.path, r.status]), [['/api/v1/nodes', 401]]);
    });

    test("a kubeconfig with another cluster's CA fails TLS verification", async () => {
      const stranger = await startFakeApiserver();
      try {
        const path = `${api.dir}/wrong-ca.yaml`;
        await writeKubeconfig({ path, server: api.url, caPem: stranger.caPem, token: api.token, context: 'wrong-ca' });
        const wrong = new k8s.KubeConfig();
        wrong.loadFromFile(path);
        await assert.rejects(wrong.makeApiClient(k8s.CoreV1Api).listNode({}), (e: unknown) => {
          const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
          assert.equal(code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
          return true;
        });
      } finally {
        await stranger.stop();
      }
    });
  });

  describe('lists', () => {
    test('a list pages as 2 + 2 + 1 with limit=2; each request carried limit and the previous continue', async () => {
      const mark = api.requests.length;
      const pages: k8s.V1ServiceList[] = [];
      let cont: string | undefined;
      do {
        const page = await core.listNamespacedService({ namespace: 'paging', limit: 2, _continue: cont });
        pages.push(page);
        cont = page.metadata?._continue;
        assert.ok(pages.length <= 3, 'a fourth page: the continue token does not advance');
      } while (cont !== undefined);
      assert.deepEqual(pages.map((p) => p.items.map((s) => s.metadata?.name)), [['svc-0', 'svc-1'], ['svc-2', 'svc-3'], ['svc-4']]);
      assert.deepEqual(pages.map((p) => p.metadata?.remainingItemCount), [3, 1, undefined]);
      assert.equal(new Set(pages.map((p) => p.metadata?.resourceVersion)).size, 1, 'every page is read at the first page\'s revision');
      const reqs = since(mark);
      assert.equal(reqs.length, 3);
      assert.ok(reqs.every((r) => r.path === '/api/v1/namespaces/paging/services' && r.query.get('limit') === '2'));
      assert.deepEqual(reqs.map((r) => r.query.get('continue')), [null, pages[0]?.metadata?._continue, pages[1]?.metadata?._continue]);
      assert.equal(pages[0]?.kind, 'ServiceList');
      assert.equal(pages[0]?.apiVersion, 'v1');
    });

    test('paging all namespaces gives the same pods in the same order as one list', async () => {
      const whole = (await core.listPodForAllNamespaces({})).items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
      const paged: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await core.listPodForAllNamespaces({ limit: 3, _continue: cont });
        paged.push(...page.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
        cont = page.metadata?._continue;
        pages++;
        assert.ok(pages <= whole.length, 'more pages than pods: the continue token does not advance');
      } while (cont !== undefined);
      assert.deepEqual(paged, whole);
      assert.equal(pages, Math.ceil(whole.length / 3));
      assert.deepEqual(whole, [...whole].sort(), 'etcd key order: namespace, then name');
    });

    test('an expired continue token gets 410 Expired, word for word; a new list works', async () => {
      const first = await core.listNamespacedService({ namespace: 'paging', limit: 2 });
      assert.ok(first.metadata?._continue !== undefined);
      api.expireContinueTokens();
      const { code, status } = await apiError(core.listNamespacedService({ namespace: 'paging', limit: 2, _continue: first.metadata._continue }));
      assert.equal(code, 410);
      assert.deepEqual(status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: CONTINUE_EXPIRED, reason: 'Expired', code: 410 });
      assert.match(String(status.message), /^The provided continue parameter is too old /);
      const again = await core.listNamespacedService({ namespace: 'paging', limit: 2 });
      const second = await core.listNamespacedService({ namespace: 'paging', limit: 2, _continue: again.metadata?._continue });
      assert.deepEqual(second.items.map((s) => s.metadata?.name), ['svc-2', 'svc-3']);
    });

    test('a continue token that does not decode gets 400', async () => {
      const { code, status } = await apiError(core.listNamespacedService({ namespace: 'paging', limit: 2, _continue: 'garbage' }));
      assert.equal(code, 400);
      assert.equal(status.reason, 'BadRequest');
      assert.match(String(status.message), /^invalid continue token: /);
    });

    test('label selectors: =, ==, !=, exists, !key, in, notin, comma-AND', async () => {
      // Each pod named by the label that identifies its workload.
      const names = async (namespace: string, labelSelector: string): Promise<string[]> =>
        (await core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => {
          const l = p.metadata?.labels ?? {};
          return l.app ?? l['k8s-app'] ?? l.component ?? '?';
        });
      assert.deepEqual(await names('shop', 'app=frontend'), ['frontend', 'frontend']);
      assert.deepEqual(await names('shop', 'app==backend'), ['backend']);
      assert.deepEqual(await names('shop', 'app!=frontend'), ['backend']);
      // `!=` and `notin` also select objects without the label at all (the apiserver pod has no k8s-app).
      assert.deepEqual(await names('kube-system', 'k8s-app!=kube-dns'), ['kube-apiserver', 'kube-proxy', 'kube-proxy', 'kube-proxy']);
      assert.deepEqual(await names('kube-system', 'k8s-app notin (kube-dns,kube-proxy)'), ['kube-apiserver']);
      assert.deepEqual(await names('kube-system', 'tier'), ['kube-apiserver']);
      assert.deepEqual(await names('kube-system', '!tier'), ['kube-dns', 'kube-dns', 'kube-proxy', 'kube-proxy', 'kube-proxy']);
      assert.deepEqual(await names('kube-system', 'k8s-app in (kube-proxy, kube-dns)'), ['kube-dns', 'kube-dns', 'kube-proxy', 'kube-proxy', 'kube-proxy']);
      assert.deepEqual(await names('kube-system', 'component notin (kube-apiserver),k8s-app!=kube-dns'), ['kube-proxy', 'kube-proxy', 'kube-proxy']);
      assert.deepEqual(await names('kube-system', 'k8s-app=kube-proxy,pod-template-generation=1'), ['kube-proxy', 'kube-proxy', 'kube-proxy']);
      assert.deepEqual(await names('shop', 'app=nothing'), []);
    });

    test('field selectors: metadata.name, metadata.namespace, spec.nodeName, status.phase', async () => {
      const onNode3 = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-3' });
      assert.deepEqual(onNode3.items.map((p) => p.metadata?.labels?.app ?? p.metadata?.labels?.['k8s-app']).sort(), ['backend', 'frontend', 'kube-proxy']);
      const running = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running,metadata.namespace=kube-system' });
      assert.equal(running.items.length, 6, 'two CoreDNS pods, three kube-proxy pods, the apiserver');
      assert.equal((await core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Running' })).items.length, 0);
      const one = await core.listServiceForAllNamespaces({ fieldSelector: 'metadata.name=frontend' });
      assert.deepEqual(one.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`), ['shop/frontend']);
      const { code, status } = await apiError(core.listPodForAllNamespaces({ fieldSelector: 'spec.image=nginx' }));
      assert.equal(code, 400);
      assert.equal(status.message, 'field label not supported: spec.image');
    });

    test('a selector that does not parse gets 400 BadRequest', async () => {
      const { code, status } = await apiError(core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (a' }));
      assert.equal(code, 400);
      assert.equal(status.reason, 'BadRequest');
    });
  });

  describe('errors', () => {
    test('404 for a missing object names it, with the group for non-core types', async () => {
      const svc = await apiError(core.readNamespacedService({ namespace: 'shop', name: 'nope' }));
      assert.equal(svc.code, 404);
      assert.deepEqual(svc.status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'services "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', kind: 'services' },
        code: 404,
      });
      const np = await apiError(kc.makeApiClient(k8s.NetworkingV1Api).readNamespacedNetworkPolicy({ namespace: 'shop', name: 'gone' }));
      assert.equal(np.status.message, 'networkpolicies.networking.k8s.io "gone" not found');
      assert.deepEqual(np.status.details, { name: 'gone', group: 'networking.k8s.io', kind: 'networkpolicies' });
    });

    test('injected 403 uses the RBAC wording for the request, and `times` limits it', async () => {
      const net = kc.makeApiClient(k8s.NetworkingV1Api);
      const rule = api.fail({ path: /networkpolicies/, status: 403, times: 1 });
      const { code, status } = await apiError(net.listNamespacedNetworkPolicy({ namespace: 'shop' }));
      assert.equal(code, 403);
      assert.deepEqual(status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `networkpolicies.networking.k8s.io is forbidden: User "${USER}" cannot list resource "networkpolicies" in API group "networking.k8s.io" in the namespace "shop"`,
        reason: 'Forbidden',
        details: { group: 'networking.k8s.io', kind: 'networkpolicies' },
        code: 403,
      });
      const ok = await net.listNamespacedNetworkPolicy({ namespace: 'shop' });
      assert.deepEqual(ok.items.map((p) => p.metadata?.name), ['backend-from-frontend', 'frontend-allow-http']);
      assert.equal(rule.hits, 1);
    });

    test('injected 403 at cluster scope and on a named object', async () => {
      api.fail({ method: 'GET', path: /^\/api\/v1\/nodes/, status: 403 });
      const nodes = await apiError(core.listNode({}));
      assert.equal(nodes.status.message, `nodes is forbidden: User "${USER}" cannot list resource "nodes" in API group "" at the cluster scope`);
      assert.deepEqual(nodes.status.details, { kind: 'nodes' });
      api.fail({ path: /configmaps\/kube-proxy$/, status: 403 });
      const cm = await apiError(core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-proxy' }));
      assert.equal(
        cm.status.message,
        `configmaps "kube-proxy" is forbidden: User "${USER}" cannot get resource "configmaps" in API group "" in the namespace "kube-system"`,
      );
      assert.deepEqual(cm.status.details, { name: 'kube-proxy', kind: 'configmaps' });
      // Other configmaps are untouched by that rule.
      assert.equal((await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns' })).metadata?.name, 'coredns');
    });

    test('injected 404 and 500', async () => {
      api.fail({ path: /endpointslices/, status: 500, times: 1 });
      const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
      const e500 = await apiError(discovery.listNamespacedEndpointSlice({ namespace: 'shop' }));
      assert.equal(e500.code, 500);
      assert.deepEqual(e500.status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Internal error occurred: etcdserver: request timed out',
        reason: 'InternalError',
        details: { causes: [{ message: 'etcdserver: request timed out' }] },
        code: 500,
      });
      api.fail({ path: /\/services\/frontend$/, status: 404, times: 1 });
      const e404 = await apiError(core.readNamespacedService({ namespace: 'shop', name: 'frontend' }));
      assert.equal(e404.code, 404);
      assert.equal(e404.status.message, 'services "frontend" not found');
      assert.equal((await core.readNamespacedService({ namespace: 'shop', name: 'frontend' })).spec?.type, 'NodePort');
    });

    test('a slow response is abandoned by a client-side timeout; a short delay is just slow', async () => {
      api.delay({ path: /^\/api\/v1\/nodes/, ms: 5000, times: 1 });
      const t0 = Date.now();
      await assert.rejects(core.listNode({}, withTimeout(200)), (e: unknown) => {
        assert.equal((e as Error).name, 'AbortError');
        return true;
      });
      const waited = Date.now() - t0;
      assert.ok(waited >= 190 && waited < 2000, `aborted after ${waited} ms`);
      api.delay({ path: /^\/api\/v1\/nodes/, ms: 250, times: 1 });
      const t1 = Date.now();
      const nodes = await core.listNode({}, withTimeout(3000));
      assert.ok(Date.now() - t1 >= 240, 'the delay was applied');
      assert.equal(nodes.items.length, 3);
    });
  });

  describe('the scenario kit\'s cluster, as the client sees it', () => {
    test('shop/frontend is a NodePort Service with its EndpointSlice and pods', async () => {
      const svc = await core.readNamespacedService({ namespace: 'shop', name: 'frontend' });
      assert.equal(svc.spec?.type, 'NodePort');
      assert.equal(svc.spec?.externalTrafficPolicy, 'Cluster');
      assert.deepEqual(svc.spec?.selector, { app: 'frontend' });
      assert.deepEqual(
        svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort, p.nodePort, p.protocol]),
        [['http', 80, 'http', 30080, 'TCP']],
      );
      const slices = await kc
        .makeApiClient(k8s.DiscoveryV1Api)
        .listNamespacedEndpointSlice({ namespace: 'shop', labelSelector: 'kubernetes.io/service-name=frontend' });
      assert.equal(slices.items.length, 1);
      const slice = slices.items[0] as k8s.V1EndpointSlice;
      assert.equal(slice.addressType, 'IPv4');
      assert.deepEqual(slice.ports?.map((p) => [p.name, p.port]), [['http', 8080]]);
      const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=frontend' });
      const podByName = new Map(pods.items.map((p) => [p.metadata?.name, p]));
      assert.deepEqual(
        slice.endpoints.map((e) => [e.addresses[0], e.nodeName, e.conditions?.ready, e.conditions?.serving, e.conditions?.terminating]),
        [
          ['10.244.1.2', 'node-2', true, true, false],
          ['10.244.2.2', 'node-3', true, true, false],
        ],
      );
      for (const e of slice.endpoints) {
        const p = podByName.get(e.targetRef?.name);
        assert.ok(p !== undefined, `targetRef ${e.targetRef?.name} names a listed pod`);
        assert.equal(e.targetRef?.uid, p.metadata?.uid);
        assert.equal(p.status?.podIP, e.addresses[0]);
        assert.equal(p.spec?.nodeName, e.nodeName);
      }
      const backend = await core.readNamespacedService({ namespace: 'shop', name: 'backend' });
      assert.equal(backend.spec?.type, 'ClusterIP');
      assert.equal(backend.spec?.ports?.[0]?.nodePort, undefined);
    });

    test('nodes carry InternalIP, podCIDR, nodeInfo and Ready', async () => {
      const nodes = await core.listNode({});
      assert.deepEqual(
        nodes.items.map((n) => [
          n.metadata?.name,
          n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
          n.spec?.podCIDR,
          n.status?.nodeInfo?.kubeProxyVersion,
          n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
        ]),
        [
          ['node-1', '192.168.1.101', '10.244.0.0/24', 'v1.31.4', 'True'],
          ['node-2', '192.168.1.102', '10.244.1.0/24', 'v1.31.4', 'True'],
          ['node-3', '192.168.1.103', '10.244.2.0/24', 'v1.31.4', 'True'],
        ],
      );
      assert.equal(nodes.items[0]?.metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');
      assert.equal(nodes.items[0]?.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
    });

    test('kube-proxy: ConfigMap config.conf parses as a KubeProxyConfiguration; DaemonSet and a pod per node', async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-proxy' });
      const cfg = k8s.loadYaml<Record<string, unknown>>(cm.data?.['config.conf'] ?? '');
      assert.equal(cfg.kind, 'KubeProxyConfiguration');
      assert.equal(cfg.apiVersion, 'kubeproxy.config.k8s.io/v1alpha1');
      assert.equal(cfg.mode, 'iptables');
      assert.equal(cfg.clusterCIDR, '10.244.0.0/16');
      assert.equal(cfg.nodePortAddresses, null);
      assert.deepEqual(
        [(cfg.iptables as Record<string, unknown>).masqueradeBit, (cfg.iptables as Record<string, unknown>).localhostNodePorts],
        [14, true],
      );
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const ds = await apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: 'kube-proxy' });
      assert.equal(ds.status?.numberReady, 3);
      const kp = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-proxy' });
      assert.deepEqual(kp.items.map((p) => [p.spec?.nodeName, p.spec?.hostNetwork, p.status?.podIP]).sort(), [
        ['node-1', true, '192.168.1.101'],
        ['node-2', true, '192.168.1.102'],
        ['node-3', true, '192.168.1.103'],
      ]);
      assert.ok(kp.items.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'DaemonSet'));
    });

    test('CoreDNS, kube-dns and the kube-apiserver static pod with --service-node-port-range', async () => {
      const dns = await core.readNamespacedService({ namespace: 'kube-system', name: 'kube-dns' });
      assert.equal(dns.spec?.clusterIP, '10.96.0.10');
      const corefile = (await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'coredns' })).data?.Corefile ?? '';
      assert.match(corefile, /kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{/);
      const deploy = await kc.makeApiClient(k8s.AppsV1Api).listDeploymentForAllNamespaces({});
      assert.deepEqual(deploy.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`), ['kube-system/coredns']);
      const apiserver = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'component=kube-apiserver,tier=control-plane' });
      assert.deepEqual(apiserver.items.map((p) => p.metadata?.name), ['kube-apiserver-node-1']);
      assert.ok(apiserver.items[0]?.spec?.containers[0]?.command?.includes('--service-node-port-range=30000-32767'));
      const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listEndpointSliceForAllNamespaces({ labelSelector: 'kubernetes.io/service-name=kube-dns' });
      assert.deepEqual(slices.items[0]?.endpoints.map((e) => e.addresses[0]), ['10.244.0.2', '10.244.0.3']);
    });
  });

  describe('pods', () => {
    test('create → Pending → Running with a ready container; DELETE gracePeriodSeconds=0 removes it and is recorded', async () => {
      const created = await core.createNamespacedPod({ namespace: 'shop', body: debugPod('np-doctor-debug-b', 'node-2') });
      assert.equal(created.status?.phase, 'Pending');
      assert.match(created.metadata?.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
      assert.ok(created.metadata?.creationTimestamp instanceof Date);
      const t0 = Date.now();
      const running = await waitFor('the debug pod to run', async () => {
        const p = await core.readNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-b' });
        return p.status?.phase === 'Running' ? p : undefined;
      });
      assert.ok(Date.now() - t0 >= 50, 'it is Pending for a while first');
      assert.equal(running.status?.containerStatuses?.[0]?.ready, true);
      assert.ok(running.status?.containerStatuses?.[0]?.state?.running?.startedAt instanceof Date);
      assert.equal(running.status?.podIP, '192.168.1.102', 'a hostNetwork pod has its node\'s IP');
      assert.ok(Number(running.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));

      const mine = await core.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/managed-by=np-doctor' });
      assert.deepEqual(mine.items.map((p) => p.metadata?.name), ['np-doctor-debug-b']);

      const mark = api.requests.length;
      const deleted = await core.deleteNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-b', gracePeriodSeconds: 0 });
      assert.equal(deleted.metadata?.name, 'np-doctor-debug-b');
      assert.equal(deleted.metadata?.deletionTimestamp, undefined, 'grace 0 deletes at once, no graceful termination');
      const del = since(mark).filter((r) => r.method === 'DELETE');
      assert.deepEqual(del.map((r) => [r.path, r.query.get('gracePeriodSeconds'), r.status]), [['/api/v1/namespaces/shop/pods/np-doctor-debug-b', '0', 200]]);
      assert.deepEqual(api.deletions.filter((d) => d.name === 'np-doctor-debug-b').map((d) => [d.namespace, d.gracePeriodSeconds]), [['shop', 0]]);
      assert.equal((await apiError(core.readNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-b' }))).code, 404);
      assert.equal((await apiError(core.deleteNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-b' }))).code, 404);
    });

    test('a graceful delete marks the pod terminating, then it goes', async () => {
      await core.createNamespacedPod({ namespace: 'shop', body: debugPod('np-doctor-debug-grace', 'node-1') });
      await waitFor('running', async () => ((await core.readNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-grace' })).status?.phase === 'Running' ? true : undefined));
      const deleting = await core.deleteNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-grace' });
      assert.ok(deleting.metadata?.deletionTimestamp instanceof Date);
      assert.equal(deleting.metadata?.deletionGracePeriodSeconds, 30);
      await waitFor('the pod to disappear', async () => {
        try {
          await core.readNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-grace' });
          return undefined;
        } catch (e) {
          return e instanceof k8s.ApiException && e.code === 404 ? true : undefined;
        }
      });
    });

    test('an image that cannot be pulled: ErrImagePull then ImagePullBackOff, phase stays Pending, exec refused', async () => {
      api.setPodStart((p) => ((p.spec as { containers: { image: string }[] }).containers[0]?.image === 'registry.invalid/nope:1' ? 'ImagePullBackOff' : 'Running'));
      try {
        await core.createNamespacedPod({ namespace: 'shop', body: debugPod('np-doctor-debug-pull', 'node-1', 'registry.invalid/nope:1') });
        const reasons: string[] = [];
        const stuck = await waitFor('ImagePullBackOff', async () => {
          const p = await core.readNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-pull' });
          const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
          if (reason !== undefined && reasons.at(-1) !== reason) reasons.push(reason);
          return reason === 'ImagePullBackOff' ? p : undefined;
        });
        assert.deepEqual(reasons, ['ErrImagePull', 'ImagePullBackOff']);
        assert.equal(stuck.status?.phase, 'Pending');
        assert.equal(stuck.status?.containerStatuses?.[0]?.state?.waiting?.message, 'Back-off pulling image "registry.invalid/nope:1"');
        assert.equal(stuck.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'ContainersNotReady');
        const mark = api.requests.length;
        await assert.rejects(new k8s.Exec(kc).exec('shop', 'np-doctor-debug-pull', 'debug', ['true'], null, null, null, false), (e: unknown) => {
          assert.equal((e as { message?: string }).message, 'Unexpected server response: 400');
          return true;
        });
        assert.deepEqual(since(mark).map((r) => [r.upgrade, r.status]), [[true, 400]]);
      } finally {
        await core.deleteNamespacedPod({ namespace: 'shop', name: 'np-doctor-debug-pull', gracePeriodSeconds: 0 });
      }
    });

    test('Pod Security baseline refuses the privileged debug pod with the admission message', async () => {
      const { code, status } = await apiError(core.createNamespacedPod({ namespace: 'locked-baseline', body: debugPod('np-doctor-debug-a', 'node-1') }));
      assert.equal(code, 403);
      assert.deepEqual(status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'pods "np-doctor-debug-a" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), ' +
          'hostPath volumes (volume "host"), privileged (container "debug" must not set securityContext.privileged=true)',
        reason: 'Forbidden',
        details: { name: 'np-doctor-debug-a', kind: 'pods' },
        code: 403,
      });
      assert.equal((await core.listNamespacedPod({ namespace: 'locked-baseline' })).items.length, 0, 'nothing was stored');
    });

    test('Pod Security restricted adds its own checks; privileged admits the pod', async () => {
      const { status } = await apiError(core.createNamespacedPod({ namespace: 'locked-restricted', body: debugPod('np-doctor-debug-a', 'node-1') }));
      assert.equal(
        status.message,
        'pods "np-doctor-debug-a" is forbidden: violates PodSecurity "restricted:v1.31": host namespaces (hostNetwork=true, hostPID=true), ' +
          'privileged (container "debug" must not set securityContext.privileged=true), ' +
          'allowPrivilegeEscalation != false (container "debug" must set securityContext.allowPrivilegeEscalation=false), ' +
          'unrestricted capabilities (container "debug" must set securityContext.capabilities.drop=["ALL"]), ' +
          'restricted volume types (volume "host" uses restricted volume type "hostPath"), ' +
          'runAsNonRoot != true (pod or container "debug" must set securityContext.runAsNonRoot=true), ' +
          'seccompProfile (pod or container "debug" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      );
      const ok = await core.createNamespacedPod({ namespace: 'open', body: debugPod('np-doctor-debug-a', 'node-1') });
      assert.equal(ok.metadata?.namespace, 'open');
      await core.deleteNamespacedPod({ namespace: 'open', name: 'np-doctor-debug-a', gracePeriodSeconds: 0 });
    });

    test('creating in a namespace that does not exist gets 404 for the namespace', async () => {
      const { code, status } = await apiError(core.createNamespacedPod({ namespace: 'nowhere', body: debugPod('x', 'node-1') }));
      assert.equal(code, 404);
      assert.equal(status.message, 'namespaces "nowhere" not found');
    });
  });

  describe('exec over WebSocket', () => {
    let podName = '';
    before(async () => {
      const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=frontend', fieldSelector: 'spec.nodeName=node-2' });
      podName = pods.items[0]?.metadata?.name ?? '';
      assert.notEqual(podName, '');
    });

    test('stdout, stderr and Success through v5.channel.k8s.io; the handler sees pod, container and argv', async () => {
      const seen: [string | undefined, string, string[]][] = [];
      api.setExecHandler((pod, container, argv) => {
        seen.push([pod.metadata.name, container, argv]);
        return { stdout: Buffer.from('*nat\nCOMMIT\n'), stderr: Buffer.from('# Warning: iptables-legacy tables present\n'), exitCode: 0 };
      });
      const mark = api.requests.length;
      const r = await execCapture(new k8s.Exec(kc), 'shop', podName, 'frontend', ['iptables-save', '-t', 'nat']);
      assert.equal(r.protocol, 'v5.channel.k8s.io');
      assert.equal(r.stdout, '*nat\nCOMMIT\n');
      assert.equal(r.stderr, '# Warning: iptables-legacy tables present\n');
      assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
      assert.deepEqual(seen, [[podName, 'frontend', ['iptables-save', '-t', 'nat']]]);
      const req = since(mark);
      assert.deepEqual(req.map((x) => [x.path, x.query.getAll('command'), x.query.get('container'), x.status]), [
        [`/api/v1/namespaces/shop/pods/${podName}/exec`, ['iptables-save', '-t', 'nat'], 'frontend', 101],
      ]);
    });

    test('a large output arrives whole, reassembled from many frames', async () => {
      const dump = Array.from({ length: 5000 }, (_, i) => `-A KUBE-SVC-${String(i).padStart(16, '0')} -m statistic --mode random -j KUBE-SEP-X\n`).join('');
      api.setExecHandler(() => ({ stdout: Buffer.from(dump), stderr: Buffer.alloc(0), exitCode: 0 }));
      const r = await execCapture(new k8s.Exec(kc), 'shop', podName, 'frontend', ['iptables-save']);
      assert.ok(dump.length > 8 * 32 * 1024);
      assert.equal(r.stdout, dump);
      assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    });

    test('a non-zero exit is a NonZeroExitCode Failure with the code as a cause', async () => {
      api.setExecHandler(() => ({ stdout: Buffer.alloc(0), stderr: Buffer.from('iptables-save: permission denied\n'), exitCode: 3 }));
      const r = await execCapture(new k8s.Exec(kc), 'shop', podName, 'frontend', ['iptables-save']);
      assert.equal(r.stderr, 'iptables-save: permission denied\n');
      assert.deepEqual(r.status, {
        metadata: {},
        status: 'Failure',
        message: 'command terminated with non-zero exit code: error executing command [iptables-save], exit code 3',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      });
    });

    test('a missing executable is a Failure without an exit code', async () => {
      api.setExecHandler((_p, _c, argv) => {
        throw new ExecutableNotFound(argv[0] ?? '');
      });
      const r = await execCapture(new k8s.Exec(kc), 'shop', podName, 'frontend', ['nft', 'list', 'ruleset']);
      assert.equal(r.status?.status, 'Failure');
      assert.equal(r.status?.reason, 'InternalError');
      assert.match(r.status?.message ?? '', /^Internal error occurred: error executing command in container: .*exec: "nft": executable file not found in \$PATH: unknown$/);
      assert.equal(r.status?.details?.causes?.some((c) => c.reason === 'ExitCode'), false);
    });

    test('a client that offers only v4.channel.k8s.io gets v4', async () => {
      api.setExecHandler(() => ({ stdout: Buffer.from('v4 ok\n'), stderr: Buffer.alloc(0), exitCode: 0 }));
      const v4only = new WebSocketHandler(kc, (uri, _protocols, opts) => new WebSocket(uri, ['v4.channel.k8s.io'], opts));
      const r = await execCapture(new k8s.Exec(kc, v4only), 'shop', podName, 'frontend', ['echo']);
      assert.equal(r.protocol, 'v4.channel.k8s.io');
      assert.equal(r.stdout, 'v4 ok\n');
      assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    });

    test('exec into a missing pod fails the handshake with 404; a wrong container with 400; 403 can be injected', async () => {
      const handler: ExecHandler = () => assert.fail('no command may run');
      api.setExecHandler(handler);
      const failsWith = async (pod: string, container: string, code: number): Promise<void> => {
        const mark = api.requests.length;
        await assert.rejects(new k8s.Exec(kc).exec('shop', pod, container, ['true'], null, null, null, false), (e: unknown) => {
          // client-node rejects with ws's ErrorEvent, not an Error: only its message tells the status.
          assert.equal((e as { message?: string }).message, `Unexpected server response: ${code}`);
          return true;
        });
        assert.deepEqual(since(mark).map((r) => r.status), [code]);
      };
      await failsWith('no-such-pod', 'debug', 404);
      await failsWith(podName, 'sidecar', 400);
      api.fail({ path: /\/exec\?/, status: 403, times: 1 });
      await failsWith(podName, 'frontend', 403);
    });
  });
});

const prereqProblem = missingPrerequisites();

describe('netnsExecHandler: the debug pod reads the node namespace (kernel lab)', () => {
  if (!labGate('fake apiserver netns exec tests', prereqProblem, 'root and the kernel lab tools (ip, iptables)')) return;

  test('chroot /host and nsenter -t 1 run in the node namespace; failures read like the real tools', async () => {
    const netns = `${NS_PREFIX}fa-n1`;
    const api = await startFakeApiserver({ objects: apiClusterObjects(), startDelayMs: 20 });
    try {
      await run('ip', ['netns', 'add', netns]);
      await run('iptables', ['-t', 'nat', '-N', 'NPD-FAKE-APISERVER'], { ns: netns });
      await run(
        'iptables',
        ['-t', 'nat', '-A', 'NPD-FAKE-APISERVER', '-p', 'tcp', '--dport', '30080', '-m', 'comment', '--comment', 'np-doctor fake apiserver', '-j', 'RETURN'],
        { ns: netns },
      );
      api.setExecHandler(netnsExecHandler(new Map([['node-2', netns]])));
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(await api.writeKubeconfig({ context: 'lab' }));
      const core = kc.makeApiClient(k8s.CoreV1Api);
      await core.createNamespacedPod({ namespace: 'shop', body: debugPod('np-doctor-debug-b', 'node-2') });
      await core.createNamespacedPod({ namespace: 'shop', body: debugPod('np-doctor-debug-a', 'node-1') });
      for (const name of ['np-doctor-debug-a', 'np-doctor-debug-b']) {
        await waitFor(name, async () => ((await core.readNamespacedPod({ namespace: 'shop', name })).status?.phase === 'Running' ? true : undefined));
      }
      const exec = new k8s.Exec(kc);
      const rule = /^-A NPD-FAKE-APISERVER -p tcp -m tcp --dport 30080 -m comment --comment "np-doctor fake apiserver" -j RETURN$/m;

      const chroot = await execCapture(exec, 'shop', 'np-doctor-debug-b', 'debug', ['chroot', '/host', 'iptables-save', '-t', 'nat']);
      assert.deepEqual(chroot.status, { metadata: {}, status: 'Success' });
      assert.match(chroot.stdout, rule);
      const nsenter = await execCapture(exec, 'shop', 'np-doctor-debug-b', 'debug', ['nsenter', '-t', '1', '-m', '-u', '-i', '-n', '-p', '--', 'iptables-save', '-t', 'nat']);
      assert.match(nsenter.stdout, rule);
      // The chain exists only in the node's namespace, not in the one this test runs in.
      assert.doesNotMatch((await run('iptables-save', ['-t', 'nat'])).stdout, /NPD-FAKE-APISERVER/);

      const exit = await execCapture(exec, 'shop', 'np-doctor-debug-b', 'debug', ['chroot', '/host', 'iptables', '-t', 'nat', '-L', 'NO-SUCH-CHAIN']);
      assert.equal(exit.status?.reason, 'NonZeroExitCode');
      assert.match(exit.stderr, /NO-SUCH-CHAIN/);
      const missing = await execCapture(exec, 'shop', 'np-doctor-debug-b', 'debug', ['chroot', '/host', 'npd-no-such-tool']);
      assert.equal(missing.stderr, "chroot: failed to run command 'npd-no-such-tool': No such file or directory\n");
      assert.deepEqual(missing.status?.details?.causes, [{ reason: 'ExitCode', message: '127' }]);
      const unmapped = await execCapture(exec, 'shop', 'np-doctor-debug-a', 'debug', ['chroot', '/host', 'iptables-save']);
      assert.equal(unmapped.status?.reason, 'InternalError');
      assert.match(unmapped.status?.message ?? '', /no lab network namespace for node node-1$/);
    } finally {
      await deleteNamespace(netns);
      await api.stop();
    }
  });
});
