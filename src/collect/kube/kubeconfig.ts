/**
 * Finds and loads the kubeconfig the way kubectl does:
 *   1. `--kubeconfig FILE`: that file only, and it must exist;
 *   2. else `KUBECONFIG`: a path list, files that do not exist are skipped, and for every cluster,
 *      user and context name (and for current-context) the FIRST file that sets it wins;
 *   3. else `~/.kube/config`;
 *   4. else the in-cluster service account (KUBERNETES_SERVICE_HOST + the mounted token).
 * client-node's loadFromDefault differs on purpose-relevant points (it throws on a name present in
 * two files, and without anything found it silently talks to http://localhost:8080), so the merge
 * is done here and "nothing found" is an error that says where we looked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { EXIT, UserError } from '../../exit.js';

export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** Prefix for the service-account mount (tests put a fake one under a temp dir). */
  rootPrefix?: string;
}

export interface ResolvedKubeconfig {
  kc: KubeConfig;
  context: string | null;
  /** -n, else the context's namespace, else the service account's, else "default" (kubectl's order). */
  namespace: string;
  /** The context's own namespace (or the service account's, or "default"), ignoring -n. */
  contextNamespace: string;
  /** The API server URL without credentials, query or fragment. */
  server: string | null;
  /** The cluster entry sets insecure-skip-tls-verify: anyone on the path could pose as the API server. */
  insecureSkipTlsVerify: boolean;
  /** Where the configuration came from, for messages. */
  origin: string;
}

/** No usable kubeconfig where the flags and the environment point: reported like a usage error (exit 2). */
export class KubeconfigError extends UserError {
  override readonly name = 'KubeconfigError';
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = true;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export async function resolveKubeconfig(opts: KubeconfigOptions): Promise<ResolvedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  let origin: string;
  let defaultNamespace: string | undefined;

  const fromEnv = (opts.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  const homeConfig = join(opts.homeDir, '.kube', 'config');
  const saDir = `${opts.rootPrefix ?? ''}${SERVICE_ACCOUNT_DIR}`;

  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig)) throw new KubeconfigError(`--kubeconfig ${opts.kubeconfig}: no such file`);
    mergeFiles(kc, [opts.kubeconfig], KubeConfig);
    origin = opts.kubeconfig;
  } else if (fromEnv.length > 0) {
    const present = fromEnv.filter((p) => existsSync(p));
    if (present.length === 0) throw new KubeconfigError(`KUBECONFIG names no file that exists (${fromEnv.join(delimiter)})`);
    mergeFiles(kc, present, KubeConfig);
    origin = `KUBECONFIG (${present.join(delimiter)})`;
  } else if (existsSync(homeConfig)) {
    mergeFiles(kc, [homeConfig], KubeConfig);
    origin = homeConfig;
  } else if (opts.env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, 'token'))) {
    loadInCluster(kc, opts.env, saDir);
    origin = 'in-cluster service account';
    const nsFile = join(saDir, 'namespace');
    if (existsSync(nsFile)) defaultNamespace = readFileSync(nsFile, 'utf8').trim() || undefined;
  } else {
    throw new KubeconfigError(
      `no kubeconfig found: --kubeconfig not given, KUBECONFIG not set, ${homeConfig} does not exist, ` +
        `and this is not a pod with a service account. Pass --kubeconfig FILE or set KUBECONFIG ` +
        `(np-doctor trace works without a cluster, from a dump or a snapshot file)`,
    );
  }

  if (opts.context !== undefined) {
    // setCurrentContext does not check the name; kubectl refuses an unknown context.
    if (kc.getContextObject(opts.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigError(`context "${opts.context}" not found in ${origin} (contexts: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  const current = kc.getCurrentContext();
  const ctx = current ? kc.getContextObject(current) : null;
  if (ctx === null && kc.getContexts().length > 0) {
    throw new KubeconfigError(`${origin} has no current-context; pass --context (contexts: ${kc.getContexts().map((c) => c.name).join(', ')})`);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new KubeconfigError(`${origin}: context "${current}" names a cluster that is not defined`);

  return {
    kc,
    context: current || null,
    namespace: opts.namespace ?? ctx?.namespace ?? defaultNamespace ?? 'default',
    contextNamespace: ctx?.namespace ?? defaultNamespace ?? 'default',
    server: withoutCredentials(cluster.server),
    insecureSkipTlsVerify: cluster.skipTLSVerify === true,
    origin,
  };
}

/**
 * The in-cluster configuration as client-go's InClusterConfig builds it (https to
 * KUBERNETES_SERVICE_HOST:PORT, IPv6 hosts in brackets, the mounted CA, and the token file, which
 * is re-read as it rotates), from the given environment rather than process.env.
 */
function loadInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv, saDir: string): void {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(saDir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: join(saDir, 'token') } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster' }],
    currentContext: 'in-cluster',
  });
}

/** kubectl's merge: the first file to define a name (or current-context) wins. */
function mergeFiles(kc: KubeConfig, files: string[], Ctor: new () => KubeConfig): void {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of files) {
    const one = new Ctor();
    try {
      // loadFromFile also makes relative certificate paths absolute against the file's directory.
      one.loadFromFile(file);
    } catch (e) {
      throw new KubeconfigError(`kubeconfig ${file} cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (currentContext === '') currentContext = one.getCurrentContext() ?? '';
  }
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
}

/**
 * A server URL may carry user:password@, and a query or fragment may carry a token; reports and
 * snapshots must never show them. Scheme, host, port and path stay (a path names a cluster behind
 * a proxy such as Rancher's /k8s/clusters/ID).
 */
export function withoutCredentials(server: string): string {
  try {
    const u = new URL(server);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: nothing in it can be told apart from a secret.
    return '(not a URL)';
  }
}
