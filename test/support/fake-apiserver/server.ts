/**
 * The fake kube-apiserver: HTTPS on 127.0.0.1 with a per-start CA, bearer-token authentication,
 * then (in the apiserver's order) fault injection, routing, admission and storage. It exists so
 * tests can drive the real @kubernetes/client-node, TLS and WebSocket code included, against
 * responses shaped like a real cluster's. See DESIGN.md §4.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { discovery } from './discovery.js';
import { admitExec, ExecServer, pickProtocol, type ExecHandler } from './exec.js';
import { Faults, type ContinueRule, type DelayRule, type FailRule, type FaultHandle } from './faults.js';
import { encodeContinue } from './pagination.js';
import { writeKubeconfig } from './kubeconfig.js';
import { PodLifecycle, type DeletionRecord, type PodStartOutcome } from './pods.js';
import { requestInfo } from './request-info.js';
import { handleResource } from './routes.js';
import { badRequest, unauthorized, unknownResource, type Status } from './status.js';
import { ObjectStore } from './store.js';
import { generateTls } from './tls.js';
import type { KubeObject } from './types.js';

export interface FakeApiserverOptions {
  /** Seed objects (wire JSON). Namespaces must be among them for pod creation to succeed. */
  objects?: readonly KubeObject[];
  /** The bearer token clients must send; random when absent. */
  token?: string;
  /** Who the token belongs to, as RBAC refusals name it. */
  user?: string;
  /** Pending → Running (or → ErrImagePull) after this long. Default 100 ms. */
  startDelayMs?: number;
  /** How long a gracefully deleted pod lingers with a deletionTimestamp. Default 100 ms. */
  stopDelayMs?: number;
  /** What happens to each created pod. Default: every pod runs. */
  podStart?: (pod: KubeObject) => PodStartOutcome;
  /** Enforce Pod Security from namespace labels. Default true. */
  podSecurity?: boolean;
  execHandler?: ExecHandler;
  /** /version's gitVersion. Default v1.31.4. */
  gitVersion?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Date.now() when the request arrived. */
  time: number;
  /** The HTTP status sent (101 for an accepted exec upgrade); undefined while in flight. */
  status?: number;
  upgrade: boolean;
}

export interface KubeconfigRequest {
  context: string;
  namespace?: string;
  path?: string;
  format?: 'yaml' | 'json';
  /** Another token than the server's (for 401 tests). */
  token?: string;
  cluster?: string;
  user?: string;
}

export interface FakeApiserver {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly caPem: string;
  readonly caFile: string;
  /** Private temp dir (certificates, kubeconfigs); removed by stop(). */
  readonly dir: string;
  readonly store: ObjectStore;
  /** Every request, in arrival order, including refused ones. */
  readonly requests: RequestRecord[];
  /** Every pod DELETE that found its pod. */
  readonly deletions: DeletionRecord[];
  writeKubeconfig(o: KubeconfigRequest): Promise<string>;
  fail(rule: FailRule): FaultHandle;
  delay(rule: DelayRule): FaultHandle;
  /** List pages matching `path` always carry a continue token (later pages are empty): a list that never ends. */
  endlessContinue(rule: ContinueRule): FaultHandle;
  clearFaults(): void;
  /** Compacts: continue tokens issued so far get 410 Expired; new lists work. */
  expireContinueTokens(): void;
  setExecHandler(h: ExecHandler | undefined): void;
  setPodStart(fn: (pod: KubeObject) => PodStartOutcome): void;
  stop(): Promise<void>;
}

const json = (body: unknown): string => JSON.stringify(body);

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '' || text === 'undefined') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparseable: text };
  }
}

export async function startFakeApiserver(opts: FakeApiserverOptions = {}): Promise<FakeApiserver> {
  const dir = await mkdtemp(join(tmpdir(), 'npd-fake-apiserver-'));
  const tls = await generateTls(dir);
  const token = opts.token ?? `npd-${randomBytes(16).toString('hex')}`;
  const user = opts.user ?? 'system:serviceaccount:ops:np-doctor';
  const store = new ObjectStore(opts.objects ?? []);
  let podStart = opts.podStart ?? ((): PodStartOutcome => 'Running');
  const pods = new PodLifecycle(store, {
    startDelayMs: opts.startDelayMs ?? 100,
    stopDelayMs: opts.stopDelayMs ?? 100,
    podStart: (p) => podStart(p),
    podSecurity: opts.podSecurity ?? true,
    now: Date.now,
  });
  let execHandler = opts.execHandler;
  const exec = new ExecServer(() => execHandler);
  const faults = new Faults(user);
  const requests: RequestRecord[] = [];
  const gitVersion = opts.gitVersion ?? 'v1.31.4';
  const flowSchema = randomUUID();
  let stopped = false;

  // Delayed requests wait here; stop() releases them so no handler outlives the server.
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const s = { timer: setTimeout(() => s.wake(), ms), wake: () => (sleepers.delete(s), clearTimeout(s.timer), resolve()) };
      sleepers.add(s);
    });

  const authorized = (req: IncomingMessage): boolean => req.headers.authorization === `Bearer ${token}`;

  /** Auth, delay and injected failure, common to plain requests and upgrades. */
  async function gate(req: IncomingMessage, url: URL): Promise<Status | undefined> {
    if (!authorized(req)) return unauthorized();
    const method = req.method ?? 'GET';
    const target = url.pathname + url.search;
    const ms = faults.delayFor(method, target);
    if (ms > 0) await sleep(ms);
    return faults.failureFor(method, target, requestInfo(method, url.pathname, url.searchParams));
  }

  function nonResource(path: string): { code: number; body: unknown; text?: string } {
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return { code: 200, body: null, text: 'ok' };
    if (path === '/version') {
      const [, minor = '31'] = /^v\d+\.(\d+)/.exec(gitVersion) ?? [];
      return {
        code: 200,
        body: {
          major: '1',
          minor,
          gitVersion,
          gitCommit: '0'.repeat(40),
          gitTreeState: 'clean',
          buildDate: '2024-12-10T11:43:21Z',
          goVersion: 'go1.22.10',
          compiler: 'gc',
          platform: 'linux/amd64',
        },
      };
    }
    const found = discovery(path, `127.0.0.1:${port}`);
    if (found !== undefined) return { code: 200, body: found };
    if (path === '/api' || path === '/apis' || path.startsWith('/api/') || path.startsWith('/apis/')) return { code: 404, body: unknownResource() };
    return { code: 404, body: null, text: '404 page not found\n' };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    const rec: RequestRecord = { method, path: url.pathname, query: url.searchParams, time: Date.now(), upgrade: false };
    requests.push(rec);
    const send = (code: number, body: unknown, text?: string): void => {
      rec.status = code;
      if (stopped || res.destroyed || res.writableEnded) return;
      const payload = text ?? json(body);
      res.writeHead(code, {
        'Audit-Id': randomUUID(),
        'Cache-Control': 'no-cache, private',
        'Content-Type': text === undefined ? 'application/json' : 'text/plain; charset=utf-8',
        'X-Kubernetes-Pf-Flowschema-Uid': flowSchema,
        'X-Kubernetes-Pf-Prioritylevel-Uid': flowSchema,
        'Content-Length': Buffer.byteLength(payload),
      });
      res.end(payload);
    };
    const body = await readBody(req);
    const refusal = await gate(req, url);
    if (refusal !== undefined) return send(refusal.code, refusal);
    const info = requestInfo(method, url.pathname, url.searchParams);
    if (info === null) {
      const r = nonResource(url.pathname);
      return send(r.code, r.body, r.text);
    }
    const reply = handleResource({ store, pods }, method, info, url.searchParams, body);
    if (info.verb === 'list' && reply.code === 200 && faults.continueFor(method, url.pathname + url.search)) {
      // A token past every key: the next page is empty, and this fault gives it a token again.
      const meta = (reply.body as { metadata: Record<string, unknown> }).metadata;
      meta.continue = encodeContinue(store.resourceVersion, `\uffff/endless-${requests.length}`);
      delete meta.remainingItemCount;
    }
    send(reply.code, reply.body);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    const rec: RequestRecord = { method, path: url.pathname, query: url.searchParams, time: Date.now(), upgrade: true };
    requests.push(rec);
    // Refused before the upgrade: a plain HTTP response, which the client sees as a failed handshake.
    const refuse = (s: Status): void => {
      rec.status = s.code;
      const text = json(s);
      socket.end(
        `HTTP/1.1 ${s.code} ${STATUS_CODES[s.code] ?? ''}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    const refusal = await gate(req, url);
    if (stopped) return void socket.destroy();
    if (refusal !== undefined) return refuse(refusal);
    const info = requestInfo(method, url.pathname, url.searchParams);
    if (info === null || info.resource !== 'pods' || info.subresource !== 'exec' || info.name === '') return refuse(unknownResource());
    const argv = url.searchParams.getAll('command');
    if (argv.length === 0) return refuse(badRequest('you must specify at least 1 command'));
    const admitted = admitExec(store, info, url.searchParams);
    if ('code' in admitted) return refuse(admitted);
    if (pickProtocol(req.headers['sec-websocket-protocol']) === null) {
      return refuse(badRequest('unable to upgrade: no supported subprotocol offered (want v5.channel.k8s.io or v4.channel.k8s.io)'));
    }
    rec.status = 101;
    exec.run(req, socket, head, admitted.pod, admitted.container, argv);
  }

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`fake apiserver bug: ${String(e)}`);
      }
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  // A client that aborts mid-handshake must not crash the test process.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  let kubeconfigs = 0;

  return {
    url,
    port,
    token,
    caPem: tls.caPem,
    caFile: tls.caFile,
    dir,
    store,
    requests,
    deletions: pods.deletions,
    writeKubeconfig: (o) =>
      writeKubeconfig({
        path: o.path ?? join(dir, `kubeconfig-${++kubeconfigs}.${o.format === 'json' ? 'json' : 'yaml'}`),
        server: url,
        caPem: tls.caPem,
        token: o.token ?? token,
        context: o.context,
        cluster: o.cluster,
        user: o.user,
        namespace: o.namespace,
        format: o.format,
      }),
    fail: (rule) => faults.fail(rule),
    delay: (rule) => faults.delay(rule),
    endlessContinue: (rule) => faults.endlessContinue(rule),
    clearFaults: () => faults.clear(),
    expireContinueTokens: () => {
      store.compactedRevision = store.bump();
    },
    setExecHandler: (h) => {
      execHandler = h;
    },
    setPodStart: (fn) => {
      podStart = fn;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const s of [...sleepers]) s.wake();
      pods.stop();
      exec.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
