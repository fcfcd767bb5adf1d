/**
 * The real control plane, from the binaries `npm run lab:build` made: etcd and kube-apiserver
 * with generated certificates (serving, client CA, service account keys), RBAC and Pod Security
 * admission on, and kube-controller-manager running only the controllers the lab needs:
 *
 *   endpointslice, endpointslice-mirroring, endpoints  EndpointSlices from Services and Pods (the
 *                                                      controller needs no kubelet: a Pod with a
 *                                                      podIP, a Ready condition and an existing Node
 *                                                      is an endpoint)
 *   serviceaccount                                     the `default` ServiceAccount, without which
 *                                                      ServiceAccount admission refuses every Pod
 *   namespace, garbage-collector                       deleting namespaces and owned objects
 *
 * Left out on purpose: node-lifecycle and taint-eviction (with no kubelet posting status they would
 * mark every Pod NotReady and evict it) and pod-garbage-collector (it deletes Pods on Nodes it
 * thinks gone). etcd listens on loopback; the apiserver on `bindAddress` (loopback, or the lab's
 * host address so kube-proxy in a node namespace reaches it over the lab's LAN).
 */
import { createServer } from 'node:net';
import { request } from 'node:https';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from '../../kernel/lab/exec.js';
import { binary, k8sCache } from './binaries.js';
import { clientCert, makePki, writeKubeconfig, type Pki } from './pki.js';
import { Processes, stopStaleProcesses, waitFor, type LabProcess } from './processes.js';

export interface ControlPlaneOptions {
  version: string;
  /** Where kube-apiserver listens. Default 127.0.0.1. */
  bindAddress?: string;
  /** --service-cluster-ip-range. Default 10.96.0.0/16 (the ClusterIP of default/kubernetes is 10.96.0.1). */
  serviceCIDR?: string;
}

export interface ControlPlane {
  version: string;
  /** https://ADDRESS:PORT */
  server: string;
  dir: string;
  pki: Pki;
  /** A kubeconfig for system:masters (the lab's admin). */
  admin: string;
  processes: Processes;
  /** A kubeconfig whose client certificate says user `name` in `groups`. */
  userKubeconfig(name: string, groups?: string[]): Promise<string>;
  /** The real kubectl of this version, as the admin unless `kubeconfig` says otherwise. */
  kubectl(args: string[], opts?: { kubeconfig?: string; input?: string; allowFail?: boolean; timeoutMs?: number }): Promise<RunResult>;
  /** A JSON request to the API as the admin (GET unless `method`); resolves with status and body. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** A free TCP port on `host` now (the kernel's choice); the lab binds it right after. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const bind = o.bindAddress ?? '127.0.0.1';
  const serviceCIDR = o.serviceCIDR ?? '10.96.0.0/16';
  const clusterIp = serviceCIDR.replace(/\.0\/\d+$/, '.1');
  stopStaleProcesses(k8sCache());
  const dir = await mkdtemp(join(tmpdir(), `npd-k8s-${o.version}-`));
  const processes = new Processes(dir);
  const stop = async () => {
    await processes.stopAll();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await makePki(dir, [bind], clusterIp);
    const [etcdPort, peerPort, apiPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort(bind)];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    await mkdir(join(dir, 'etcd'), { mode: 0o700 });
    const etcd = processes.start('etcd', binary(o.version, 'etcd'), [
      '--name', 'lab', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `lab=http://127.0.0.1:${peerPort}`,
      // A test cluster: durability buys nothing and fsync costs seconds on a loaded disk.
      '--unsafe-no-fsync', '--log-level', 'warn',
    ]);
    await waitFor('etcd to serve', async () => (await fetch(`${etcdUrl}/health`)).ok, { watch: [etcd], timeoutMs: 30_000 });

    const server = `https://${bind}:${apiPort}`;
    const apiserver = processes.start('kube-apiserver', binary(o.version, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${bind}`, `--secure-port=${apiPort}`,
      `--advertise-address=${bind}`,
      // The apiserver publishes its own address as default/kubernetes's endpoint, which may not be
      // loopback: with a loopback bind there is nothing to publish.
      ...(bind.startsWith('127.') ? ['--endpoint-reconciler-type=none'] : []),
      `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caFile}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${serviceCIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ]);
    const adminCert = await clientCert(pki, 'admin', 'lab-admin', ['system:masters']);
    const admin = await writeKubeconfig(join(dir, 'admin.kubeconfig'), server, pki, adminCert, 'lab-admin');
    const [ca, cert, key] = await Promise.all([readFile(pki.caFile), readFile(adminCert.cert), readFile(adminCert.key)]);
    const api = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const u = new URL(path, server);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        // A body is always framed by its length: unframed, the next request on the same keep-alive
        // connection would be read as part of it (the apiserver answers that one 400).
        const headers = payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(payload.length) };
        const req = request(u, { method, ca, cert, key, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // /readyz answers "ok"
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        });
        req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
        req.on('error', reject);
        req.end(payload);
      });
    await waitFor('kube-apiserver to be ready', async () => (await api('GET', '/readyz')).status === 200, { watch: [etcd, apiserver], timeoutMs: 90_000 });

    const controllers = ['endpointslice-controller', 'endpointslice-mirroring-controller', 'endpoints-controller', 'serviceaccount-controller', 'namespace-controller', 'garbage-collector-controller'];
    const kcm = processes.start('kube-controller-manager', binary(o.version, 'kube-controller-manager'), [
      `--kubeconfig=${admin}`, '--leader-elect=false', `--controllers=${controllers.join(',')}`,
      // No serving port: nothing here scrapes it, and two labs would fight over 10257.
      '--secure-port=0', '--v=1',
    ]);
    const watch: LabProcess[] = [etcd, apiserver, kcm];
    // ServiceAccount admission refuses Pods until the controller made the namespace's `default` SA.
    await waitFor('the default ServiceAccount', async () => (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, { watch, timeoutMs: 60_000 });

    const kubectl: ControlPlane['kubectl'] = (args, opts = {}) =>
      run(binary(o.version, 'kubectl'), [`--kubeconfig=${opts.kubeconfig ?? admin}`, ...args], {
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        ...(opts.allowFail ? { allowFail: true } : {}),
        timeoutMs: opts.timeoutMs ?? 30_000,
      });
    const userKubeconfig = async (name: string, groups: string[] = []) => {
      const file = name.replace(/[^A-Za-z0-9_-]/g, '_');
      return writeKubeconfig(join(dir, `${file}.kubeconfig`), server, pki, await clientCert(pki, file, name, groups), name);
    };
    return { version: o.version, server, dir, pki, admin, processes, userKubeconfig, kubectl, api, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
