/**
 * The Kubernetes API as the gatherer uses it: typed clients from @kubernetes/client-node, a
 * client-side timeout on every request, complete paginated lists (bounded in items and pages: a
 * server that keeps handing out continue tokens cannot keep np-doctor reading for ever), and
 * failures turned into GatherErrors that say which verb on which resource failed and why. The
 * server's own words (Status messages) are kept as data, cut at MAX_MESSAGE_BYTES.
 */
import type * as K8s from '@kubernetes/client-node';
import { describeApiRequest, type ApiRequest } from '../../snapshot/gather-step.js';
import type { GatherError } from '../../snapshot/schema.js';
import { deadlinePassed, stopReason } from '../deadline.js';
import { boundMessage } from '../untrusted-text.js';

export type K8sModule = typeof K8s;

export interface KubeApi {
  k8s: K8sModule;
  kc: K8s.KubeConfig;
  core: K8s.CoreV1Api;
  discovery: K8s.DiscoveryV1Api;
  networking: K8s.NetworkingV1Api;
  apps: K8s.AppsV1Api;
  /** Options for every call: the client-side timeout, and Ctrl-C. */
  options: K8s.ConfigurationOptions;
  /** The timeout only: for the clean-up a Ctrl-C must not cancel (deleting debug pods). */
  cleanupOptions: K8s.ConfigurationOptions;
  server: string | null;
  timeoutMs: number;
  /** Ctrl-C and the gathering deadline (deadline.ts): aborts requests in flight. */
  interrupt?: AbortSignal | undefined;
  /** `limit` of each list page. */
  pageSize: number;
  /** Bounds of one list, whatever the server sends. */
  listLimits: ListLimits;
}

export interface ListLimits {
  /** Objects in one list (--max-list-items). */
  maxItems: number;
  /** Pages of one list: enough for maxItems in full pages, and some short ones a filtered list may return. */
  maxPages: number;
}

/** More pods than any one namespace of a supported cluster holds (150,000 pods per cluster). */
export const DEFAULT_MAX_LIST_ITEMS = 100_000;

export function listLimits(maxItems: number, pageSize: number): ListLimits {
  return { maxItems, maxPages: Math.ceil(maxItems / pageSize) + 100 };
}

export async function makeKubeApi(
  kc: K8s.KubeConfig,
  server: string | null,
  timeoutMs: number,
  interrupt?: AbortSignal,
  pageSize = 500,
  maxListItems = DEFAULT_MAX_LIST_ITEMS,
): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  return {
    k8s,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    options: withSignal(k8s, () => {
      const timeout = AbortSignal.timeout(timeoutMs);
      return interrupt ? AbortSignal.any([timeout, interrupt]) : timeout;
    }),
    cleanupOptions: withSignal(k8s, () => AbortSignal.timeout(timeoutMs)),
    server,
    timeoutMs,
    interrupt,
    pageSize,
    listLimits: listLimits(maxListItems, pageSize),
  };
}

/**
 * client-node 1.x has no per-request timeout setting; a middleware sets an AbortSignal. The
 * ObjectParamAPI hands options to the Observable API, so middleware must return Observables.
 */
function withSignal(k8s: K8sModule, signal: () => AbortSignal): K8s.ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal());
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (rsp) => new k8s.Observable(Promise.resolve(rsp)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** A failed API call: the HTTP status (or a network error code) and a GatherError for the snapshot. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number | string | undefined,
    readonly reason: string | undefined,
    readonly error: GatherError,
  ) {
    super(`${error.what}: ${error.why}`);
    this.name = 'ApiCallError';
  }
}

interface Status {
  message?: string;
  reason?: string;
}

/** The Status the server sent, its words cut to size (a hostile server may send megabytes). */
function statusOf(body: unknown): Status {
  let st: unknown = body;
  if (typeof body === 'string') {
    try {
      st = JSON.parse(body) as unknown; // client-node 1.x keeps the Status as its raw JSON text
    } catch {
      return { message: boundMessage(body, 200) };
    }
  }
  if (typeof st !== 'object' || st === null) return {};
  const { message, reason } = st as Record<string, unknown>;
  return {
    ...(typeof message === 'string' ? { message: boundMessage(message) } : {}),
    ...(typeof reason === 'string' ? { reason: boundMessage(reason, 128) } : {}),
  };
}

const NETWORK_WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens at the API server address',
  ENOTFOUND: 'the API server host name does not resolve',
  EHOSTUNREACH: 'no route to the API server',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted by the kubeconfig',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain is not trusted by the kubeconfig\'s CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by the kubeconfig\'s CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
};

/** Which of the README's RBAC objects grants `step`: kube-system's ConfigMaps are a Role of their own (only those two names). */
function rbacObjectFor(step: ApiRequest): string {
  return step.resource === 'configmaps' && step.namespace === 'kube-system' ? 'the Role in kube-system' : 'a read-only ClusterRole';
}

/** The start of a GatherError about an API request: the request as data and in words. */
export function aboutRequest(step: ApiRequest) {
  return { stage: 'cluster', step: { kind: 'api', ...step }, what: describeApiRequest(step) } as const;
}

/** Turns whatever a client-node call threw into an ApiCallError for `step`. */
export function classify(e: unknown, step: ApiRequest, api: Pick<KubeApi, 'k8s' | 'server' | 'timeoutMs' | 'interrupt'>): ApiCallError {
  if (e instanceof ApiCallError) return e;
  const at = aboutRequest(step);
  if (deadlinePassed(api.interrupt)) {
    return new ApiCallError('deadline', undefined, {
      ...at, why: stopReason(api.interrupt), code: 'deadline',
      hint: 'raise --timeout, or narrow the question (svc/NAME, -n NAMESPACE)',
    });
  }
  if (api.interrupt?.aborted) return new ApiCallError('interrupted', undefined, { ...at, why: 'interrupted', code: 'interrupted' });
  if (e instanceof api.k8s.ApiException) {
    const code = (e as K8s.ApiException<unknown>).code;
    const st = statusOf((e as K8s.ApiException<unknown>).body);
    const message = st.message ?? `HTTP ${code}`;
    const hint =
      code === 403 ? `np-doctor needs "${step.verb}" on ${step.resource}; see "RBAC" in the README for ${rbacObjectFor(step)}`
      : code === 401 ? 'the credentials in the kubeconfig were refused: log in again or refresh the token'
      : undefined;
    const why = code === 401 ? `unauthorized (401): ${message}` : `${st.reason ?? `HTTP ${code}`} (${code}): ${message}`;
    return new ApiCallError(code, st.reason, { ...at, why, code, ...(hint ? { hint } : {}) });
  }
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (err.name === 'AbortError' || err.name === 'TimeoutError') {
    return new ApiCallError('timeout', undefined, {
      ...at, code: 'timeout',
      why: `no answer from ${api.server ?? 'the API server'} within ${api.timeoutMs / 1000} s`,
      hint: 'raise --request-timeout, or check that the API server is reachable',
    });
  }
  const code = typeof (err.code ?? err.cause?.code) === 'string' ? boundMessage((err.code ?? err.cause?.code) as string, 64) : undefined;
  const why = code !== undefined && NETWORK_WHY[code] !== undefined ? `${NETWORK_WHY[code]} (${api.server ?? ''})` : boundMessage(err.message ?? String(e));
  return new ApiCallError(code, undefined, { ...at, why, ...(code ? { code } : {}) });
}

/** True for errors that will fail every further call too (the API is unreachable or refuses us). */
export function isFatal(e: ApiCallError): boolean {
  return typeof e.status === 'string' || e.status === 401;
}

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

/**
 * A whole list, page by page (`limit`/`continue`). A 410 Expired means the continue token outlived
 * etcd's compaction window; the list then starts over once, as kubectl does. A list longer than
 * the limits is an error, not a partial list: a check reading half the pods would be wrong.
 */
export async function listAll<T>(
  api: KubeApi,
  step: ApiRequest,
  page: (cont: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const { maxItems, maxPages } = api.listLimits;
  for (let attempt = 0; ; attempt++) {
    const items: T[] = [];
    let cont: string | undefined;
    try {
      for (let pages = 1; ; pages++) {
        const r = await page(cont);
        // Checked before keeping the page: a server may send any number of items in one.
        if (items.length + r.items.length > maxItems) throw tooLong(step, `more than ${maxItems} items`);
        for (const item of r.items) items.push(item);
        cont = r.metadata?._continue || undefined;
        if (cont === undefined) return items;
        if (pages >= maxPages) throw tooLong(step, `more than ${maxPages} pages: the API server kept handing out continue tokens without finishing the list`);
      }
    } catch (e) {
      const failure = classify(e, step, api);
      if (failure.status === 410 && attempt === 0) continue;
      throw failure;
    }
  }
}

/** Not fatal (no string status): the list is left out with this error, the rest goes on. */
function tooLong(step: ApiRequest, why: string): ApiCallError {
  return new ApiCallError(undefined, undefined, {
    ...aboutRequest(step), why, code: 'list-limit',
    hint: 'narrow the question (svc/NAME, -n NAMESPACE), or raise --max-list-items',
  });
}

/** A single read; null when the object does not exist (404), an ApiCallError for anything else. */
export async function getOrNull<T>(api: KubeApi, step: ApiRequest, read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (e) {
    const failure = classify(e, step, api);
    if (failure.status === 404) return null;
    throw failure;
  }
}
