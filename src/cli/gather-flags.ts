/**
 * The flags every gathering command shares (snapshot, diagnose, scan, tui), and their translation
 * into a GatherRequest. Names follow kubectl (--kubeconfig, --context, -n, -A, --request-timeout)
 * and OpenSSH (-J as --ssh-jump).
 */
import { homedir, hostname, userInfo } from 'node:os';
import type { CollectMode, GatherRequest } from '../collect/gather.js';
import { DEFAULT_MAX_LIST_ITEMS } from '../collect/kube/api.js';
import { DEFAULT_OUTPUT_LIMIT_BYTES } from '../collect/node/bounded-output.js';
import { DEFAULT_DEBUG_IMAGE } from '../collect/node/debug-pod.js';
import { parseSize as parseSizeText } from '../snapshot/file.js';
import { JumpSpecError, parseJumpList } from '../collect/node/ssh-jump.js';
import type { Progress } from '../collect/gather-progress.js';
import { describeDuration } from '../collect/deadline.js';
import { follows, RULES, type RuleName } from '../snapshot/identifiers.js';
import { UsageError, type Io } from './io.js';

/** Nodes read at once by default: each holds an SSH connection or a debug pod. */
const DEFAULT_PARALLEL = 8;
/**
 * The most nodes read at once: every one holds a connection or a pod and its largest outputs
 * (up to --max-output each) in memory until its commands end.
 */
export const MAX_PARALLEL = 64;
/**
 * One node's whole read: a debug pod may take its 2 min start timeout pulling the image, and a
 * 10k-Service node's dumps take seconds; past this the node is stuck, and its slot goes to the next.
 */
const DEFAULT_NODE_TIMEOUT_MS = 180_000;

export const GATHER_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  'request-timeout': { type: 'string' },
  timeout: { type: 'string' },
  'max-list-items': { type: 'string' },
  parallel: { type: 'string' },
  'node-timeout': { type: 'string' },
  'max-output': { type: 'string' },
  collect: { type: 'string' },
  node: { type: 'string' },
  'node-ip': { type: 'string' },
  'all-nodes': { type: 'boolean' },
  'node-dump': { type: 'string', multiple: true },
  'ssh-user': { type: 'string' },
  'ssh-key': { type: 'string' },
  'ssh-port': { type: 'string' },
  'ssh-config': { type: 'string' },
  'ssh-known-hosts': { type: 'string', multiple: true },
  'ssh-jump': { type: 'string' },
  'ssh-insecure-skip-host-key-check': { type: 'boolean' },
  'debug-image': { type: 'string' },
  'debug-namespace': { type: 'string' },
  'debug-privileged': { type: 'boolean' },
  'exec-agent': { type: 'boolean' },
} as const;

export const GATHER_HELP = `Cluster (like kubectl):
      --kubeconfig FILE     kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)
      --context NAME        kubeconfig context
  -n, --namespace NS        the Service's namespace (default: the context's namespace)
  -A, --all-namespaces      every namespace (only without a Service name)
      --request-timeout D   per API request, e.g. 10s, 1m (default 30s; 0 = none)
      --timeout D           the whole gathering, API and nodes (default 5m)
      --max-list-items N    objects in one API list before np-doctor gives up on it (default ${DEFAULT_MAX_LIST_ITEMS})

Nodes:
      --collect HOW         ssh (default), debug-pod, local (np-doctor runs on the node), none
      --node NAME           the node clients connect to (also read)
      --node-ip IP          the node address clients connect to
      --all-nodes           read every node (default: the named node and the nodes with endpoints)
      --parallel N          nodes read at once, 1-${MAX_PARALLEL} (default ${DEFAULT_PARALLEL})
      --node-timeout D      one node's whole read; past it the node is reported and its slot freed
                            (default ${describeDuration(DEFAULT_NODE_TIMEOUT_MS)}; --timeout still ends everything)
      --node-dump NODE=FILE use an iptables-save dump from a file for NODE (repeatable)
      --max-output SIZE     output kept per node command and stream, and per dump file, e.g. 16MiB
                            (default 64MiB); past it the command is stopped and not used

SSH (--collect ssh; nodes are reached at their InternalIP unless ~/.ssh/config maps the node name):
      --ssh-user USER       login user (default: from ssh config, else your user name)
      --ssh-key FILE        private key (ssh-agent and ~/.ssh/id_* are tried too)
      --ssh-port PORT       port (default: from ssh config, else 22)
      --ssh-config FILE     OpenSSH client config (default ~/.ssh/config)
      --ssh-known-hosts FILE  known_hosts file (repeatable; default ~/.ssh/known_hosts)
      --ssh-jump [USER@]HOST[:PORT]  bastion to hop through (like ssh -J; comma-separated chain)
      --ssh-insecure-skip-host-key-check  accept any host key (never on untrusted networks)

Debug pod (--collect debug-pod: a hostNetwork pod per node with / read-only at /host and only
NET_ADMIN, NET_RAW and SYS_CHROOT, deleted afterwards):
      --debug-image IMAGE   image with chroot and sleep (default busybox 1.37, pinned by digest)
      --debug-namespace NS  where the pod runs (default: the context's namespace; -n does not change it)
      --debug-privileged    run the pod privileged (nodes where the capabilities are not enough, e.g. SELinux)

kube-proxy replacements (Cilium):
      --exec-agent          also run \`cilium-dbg service list -o json\` in the Cilium agent pod of each node
                            read (kube-system, container cilium-agent), to compare its service table with
                            the Service; needs create and get on pods/exec in kube-system (off by default)
`;

/** The gather flags as parsed: strings, string lists and booleans, each absent when not given. */
export type GatherFlagValues = { [K in keyof typeof GATHER_FLAGS]?: (typeof GATHER_FLAGS)[K] extends { multiple: true } ? string[] : (typeof GATHER_FLAGS)[K] extends { type: 'boolean' } ? boolean : string };

export const COLLECT: readonly CollectMode[] = ['ssh', 'debug-pod', 'local', 'none'];
/** Per node command: iptables-save of a 10k-Service node takes a few seconds; a minute means trouble. */
const COMMAND_TIMEOUT_MS = 60_000;

/** kubectl's duration syntax: 0, 30 (seconds), 30s, 2m, 1h, or combinations like 1m30s. */
export function parseDuration(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  if (m === null || text === '') throw new UsageError(`${flag} ${text}: expected a duration like 30s, 2m or 1m30s`);
  const [, h = '0', min = '0', s = '0', ms = '0'] = m;
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Number(ms);
}

/** --request-timeout as kubectl reads it: default 30s, 0 means no limit. */
export function requestTimeoutMs(text: string | undefined): number {
  const ms = parseDuration(text ?? '30s', '--request-timeout');
  return ms === 0 ? 24 * 3600 * 1000 : ms;
}

/** --timeout: the whole gathering. A gathering is never unbounded, so 0 is refused. */
export function gatherTimeoutMs(text: string | undefined): number {
  const ms = parseDuration(text ?? '5m', '--timeout');
  if (ms === 0) throw new UsageError('--timeout 0: the gathering needs a deadline; give one, e.g. 30m');
  return ms;
}

/**
 * --max-output: a size as NP_DOCTOR_MAX_SNAPSHOT_SIZE takes it (65536, 64KiB, 64MiB), between 1 KiB
 * and 256 MiB: a node's four largest outputs at that size must stay far below V8's string limit.
 */
export function parseSize(text: string, flag: string): number {
  const n = parseSizeText(text);
  if (n === null) throw new UsageError(`${flag} ${text}: expected a size like 64MiB or 1048576`);
  if (n < 1024 || n > 256 * 2 ** 20) throw new UsageError(`${flag} ${text}: use a size between 1KiB and 256MiB`);
  return n;
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} ${text}: expected a whole number above 0`);
  return n;
}

/** --parallel: how many nodes are read at once, 1 to MAX_PARALLEL. */
export function parallelNodes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PARALLEL;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_PARALLEL)) throw new UsageError(`--parallel ${text}: expected a whole number from 1 to ${MAX_PARALLEL} (nodes read at once)`);
  return n;
}

/** --node-timeout: one node's read; like --timeout, never unbounded. */
export function nodeTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_NODE_TIMEOUT_MS;
  const ms = parseDuration(text, '--node-timeout');
  if (ms === 0) throw new UsageError('--node-timeout 0: a node read needs a deadline; give one, e.g. 5m');
  return ms;
}

/**
 * Flags that would silently drop one another: -n beside -A; --all-nodes (replays every node)
 * beside --node or --node-ip (name the one clients connect to). (--node with a loopback
 * --node-ip is a question of its own: a client on that node; the question says so.)
 */
export function checkExclusiveFlags(values: Pick<GatherFlagValues, 'node' | 'node-ip' | 'all-nodes' | 'namespace' | 'all-namespaces'>): void {
  if (values['all-namespaces'] && values.namespace !== undefined) throw new UsageError('-n and -A exclude each other');
  const named = values.node !== undefined ? '--node' : values['node-ip'] !== undefined ? '--node-ip' : undefined;
  if (values['all-nodes'] && named !== undefined) {
    throw new UsageError(`${named} and --all-nodes exclude each other: ${named} replays connections entering at one node, --all-nodes at every node`);
  }
}

export function gatherRequest(
  values: GatherFlagValues,
  target: { service: string | null },
  io: Io,
  progress: Progress,
): GatherRequest {
  const collect = (values.collect ?? 'ssh') as CollectMode;
  if (!COLLECT.includes(collect)) throw new UsageError(`--collect ${values.collect}: use ${COLLECT.join(', ')}`);
  if (values['all-namespaces'] && target.service !== null) throw new UsageError('-A/--all-namespaces lists every NodePort Service; leave out the Service name, or use -n');
  if (values['all-namespaces'] && values.namespace !== undefined) throw new UsageError('-n and -A exclude each other');

  // Names go into the snapshot, which refuses what Kubernetes would refuse: say so now, not at load.
  const mustFollow = (rule: RuleName, value: string | null | undefined, flag: string) => {
    if (value !== null && value !== undefined && !follows(rule, value)) throw new UsageError(`${flag} ${value}: not ${RULES[rule].what}`);
  };
  mustFollow('dns1123Label', values.namespace, '-n');
  mustFollow('dns1123Subdomain', values.node, '--node');
  const nodeDumps = new Map<string, string>();
  for (const item of values['node-dump'] ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`--node-dump ${item}: expected NODE=FILE, e.g. node1=node1-iptables.txt`);
    mustFollow('nodeStateName', item.slice(0, eq), '--node-dump');
    nodeDumps.set(item.slice(0, eq), item.slice(eq + 1));
  }
  let port: number | undefined;
  if (values['ssh-port'] !== undefined) {
    port = Number(values['ssh-port']);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--ssh-port ${values['ssh-port']}: expected 1-65535`);
  }
  if (values['ssh-jump'] !== undefined) {
    try {
      parseJumpList(values['ssh-jump']);
    } catch (e) {
      if (e instanceof JumpSpecError) throw new UsageError(`--ssh-jump ${values['ssh-jump']}: ${e.message}`);
      throw e;
    }
  }
  const home = io.env.HOME ?? homedir();
  const warn = (message: string) => (io.quiet ? undefined : io.stderr(`np-doctor: warning: ${message}\n`));
  return {
    question: { namespace: values['all-namespaces'] ? null : (values.namespace ?? null), service: target.service },
    namespaceFromKubeconfig: !values['all-namespaces'] && values.namespace === undefined,
    collect,
    nodes: {
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values['node-ip'] !== undefined ? { nodeIp: values['node-ip'] } : {}),
      allNodes: values['all-nodes'] === true,
    },
    kubeconfig: {
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context !== undefined ? { context: values.context } : {}),
      ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
      env: io.env,
      homeDir: home,
    },
    requestTimeoutMs: requestTimeoutMs(values['request-timeout']),
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    timeoutMs: gatherTimeoutMs(values.timeout),
    outputLimitBytes: values['max-output'] === undefined ? DEFAULT_OUTPUT_LIMIT_BYTES : parseSize(values['max-output'], '--max-output'),
    maxListItems: positiveInt(values['max-list-items'], '--max-list-items', DEFAULT_MAX_LIST_ITEMS),
    nodeConcurrency: parallelNodes(values.parallel),
    nodeTimeoutMs: nodeTimeoutMs(values['node-timeout']),
    ssh: {
      ...(values['ssh-user'] !== undefined ? { user: values['ssh-user'] } : {}),
      ...(values['ssh-key'] !== undefined ? { keyFile: values['ssh-key'] } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values['ssh-config'] !== undefined ? { configFile: values['ssh-config'] } : {}),
      ...(values['ssh-known-hosts'] !== undefined ? { knownHostsFiles: values['ssh-known-hosts'] } : {}),
      ...(values['ssh-jump'] !== undefined ? { jump: values['ssh-jump'] } : {}),
      insecureSkipHostKeyCheck: values['ssh-insecure-skip-host-key-check'] === true,
      homeDir: home,
      env: io.env,
      localUser: safeUserName(),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      onWarning: warn,
    },
    debugPod: {
      namespace: values['debug-namespace'],
      image: values['debug-image'] ?? DEFAULT_DEBUG_IMAGE,
      activeDeadlineSeconds: 600,
      startTimeoutMs: 120_000,
      privileged: values['debug-privileged'] === true,
      // Who and where, on the pod: np-doctor cleanup deletes another user's pods only once expired.
      owner: { user: safeUserName(), host: hostname(), pid: process.pid },
    },
    nodeDumps,
    localNodeName: hostname(),
    signal: io.interrupt,
    progress,
    execAgent: values['exec-agent'] === true,
    onWarning: warn,
  };
}

/** The local user name; "root" where this process has none (no passwd entry in some containers). */
export function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}
