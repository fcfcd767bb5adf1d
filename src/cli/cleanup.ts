import { homedir, hostname } from 'node:os';
import { classify, listAll, makeKubeApi } from '../collect/kube/api.js';
import { resolveKubeconfig } from '../collect/kube/kubeconfig.js';
import { DEBUG_POD_SELECTOR, ownerOf, podDeadline, type PodLike, type PodOwner } from '../collect/node/debug-pod-owner.js';
import { EXIT } from '../exit.js';
import { describeApiRequest, type ApiRequest } from '../snapshot/gather-step.js';
import { command } from './command.js';
import { requestTimeoutMs, safeUserName } from './gather-flags.js';

export const CLEANUP_HELP = `Usage: np-doctor cleanup [--kubeconfig FILE] [--context NAME] [-n NS] [--all] [--dry-run]

Deletes debug pods an interrupted np-doctor left behind (labels ${DEBUG_POD_SELECTOR}), in every
namespace unless -n is given. They also end by themselves after their activeDeadlineSeconds.
Without --all it deletes only pods that are past that deadline or finished, and pods this user
started on this machine (from a np-doctor process that is no longer running): another engineer's
run may be reading a node right now.

      --all                 delete every np-doctor debug pod, whoever started it
      --dry-run             list what would be deleted and what would be kept, delete nothing
      --request-timeout D   per API request, e.g. 10s, 1m (default 30s; 0 = none)
`;

const FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
  'dry-run': { type: 'boolean' },
  all: { type: 'boolean' },
} as const;

/** Why a pod may go, or why it stays. */
type Verdict = { delete: true; why: string } | { delete: false; why: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const minutes = (ms: number): string => `${Math.max(1, Math.round(ms / 60_000))} min`;

/** The rules of `cleanup` without --all, for one pod. */
export function judge(pod: PodLike, me: PodOwner, now: number, isAlive: (pid: number) => boolean = alive): Verdict {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { delete: true, why: `it has ended (${phase})` };
  const deadline = podDeadline(pod);
  if (deadline !== undefined && deadline <= now) return { delete: true, why: `its deadline passed ${minutes(now - deadline)} ago` };
  const owner = ownerOf(pod);
  const left = deadline === undefined ? '' : `; it ends by itself in ${minutes(deadline - now)}`;
  if (owner === undefined) return { delete: false, why: `it does not say who started it${left}` };
  const who = `${owner.user ?? 'an unknown user'} on ${owner.host ?? 'an unknown machine'}`;
  if (owner.user !== me.user || owner.host !== me.host) return { delete: false, why: `${who} started it${left}` };
  if (owner.pid !== undefined && owner.pid !== me.pid && isAlive(owner.pid)) {
    return { delete: false, why: `np-doctor process ${owner.pid} on this machine started it and is still running${left}` };
  }
  return { delete: true, why: 'you started it on this machine' };
}

export const run = command({
  help: CLEANUP_HELP,
  flags: FLAGS,
  positionals: false,
  async run({ values }, io) {
    const kube = await resolveKubeconfig({
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context !== undefined ? { context: values.context } : {}),
      env: io.env,
      homeDir: io.env.HOME ?? homedir(),
    });
    const api = await makeKubeApi(kube.kc, kube.server, requestTimeoutMs(values['request-timeout']));
    const ns = values.namespace;
    const step = { verb: 'list', resource: 'pods', ...(ns ? { namespace: ns } : { allNamespaces: true }) } as const;
    let pods;
    try {
      pods = await listAll(api, step, (c) =>
        ns ? api.core.listNamespacedPod({ namespace: ns, labelSelector: DEBUG_POD_SELECTOR, limit: api.pageSize, _continue: c }, api.options)
          : api.core.listPodForAllNamespaces({ labelSelector: DEBUG_POD_SELECTOR, limit: api.pageSize, _continue: c }, api.options));
    } catch (e) {
      const f = classify(e, step, api).error;
      io.stderr(`np-doctor cleanup: ${f.what}: ${f.why}\n${f.hint ? `  → ${f.hint}\n` : ''}`);
      return EXIT.cannotDecide;
    }
    if (pods.length === 0) {
      io.stdout(`no np-doctor debug pods${ns ? ` in namespace ${ns}` : ''}\n`);
      return EXIT.ok;
    }
    const me: PodOwner = { user: safeUserName(), host: hostname(), pid: process.pid };
    const now = Date.now();
    let failed = 0;
    let kept = 0;
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const namespace = pod.metadata?.namespace ?? '';
      const verdict: Verdict = values.all ? { delete: true, why: '--all' } : judge(pod, me, now);
      if (!verdict.delete) {
        kept++;
        io.stdout(`${values['dry-run'] ? 'would keep' : 'kept'} pod ${namespace}/${name} (${verdict.why})\n`);
        continue;
      }
      if (values['dry-run']) {
        io.stdout(`would delete pod ${namespace}/${name} (${verdict.why})\n`);
        continue;
      }
      try {
        await api.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }, api.options);
        io.stdout(`deleted pod ${namespace}/${name} (${verdict.why})\n`);
      } catch (e) {
        const request: ApiRequest = { verb: 'delete', resource: 'pods', namespace, name };
        const f = classify(e, request, api);
        if (f.status === 404) continue;
        failed++;
        io.stderr(`np-doctor cleanup: ${describeApiRequest(request)}: ${f.error.why}\n`);
      }
    }
    if (kept > 0) io.stdout(`${kept} pod${kept === 1 ? '' : 's'} ${values['dry-run'] ? 'would be ' : ''}kept; np-doctor cleanup --all deletes them too\n`);
    return failed > 0 ? EXIT.cannotDecide : EXIT.ok;
  },
});
