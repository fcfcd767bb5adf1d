import { homedir } from 'node:os';
import { classify, describeStep, listAll, makeKubeApi } from '../collect/kube/api.js';
import { resolveKubeconfig } from '../collect/kube/kubeconfig.js';
import { DEBUG_POD_SELECTOR } from '../collect/node/debug-pod.js';
import { requestTimeoutMs } from './gather-flags.js';
import { parseFlags } from './flags.js';
import { EXIT, type Io } from './io.js';

export const CLEANUP_HELP = `Usage: np-doctor cleanup [--kubeconfig FILE] [--context NAME] [-n NS]

Deletes debug pods an interrupted np-doctor left behind (labels ${DEBUG_POD_SELECTOR}), in every
namespace unless -n is given. They also end by themselves after their activeDeadlineSeconds.

      --dry-run             list them, delete nothing
      --request-timeout D   per API request, e.g. 10s, 1m (default 30s; 0 = none)
`;

const FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags({ args: argv, options: FLAGS, allowPositionals: false });
  if (values.help) {
    io.stdout(CLEANUP_HELP);
    return EXIT.ok;
  }
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
  let failed = 0;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    if (values['dry-run']) {
      io.stdout(`would delete pod ${namespace}/${name}\n`);
      continue;
    }
    try {
      await api.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }, api.options);
      io.stdout(`deleted pod ${namespace}/${name}\n`);
    } catch (e) {
      const f = classify(e, { verb: 'delete', resource: 'pods', namespace, name }, api);
      if (f.status === 404) continue;
      failed++;
      io.stderr(`np-doctor cleanup: ${describeStep({ verb: 'delete', resource: 'pods', namespace, name })}: ${f.error.why}\n`);
    }
  }
  return failed > 0 ? EXIT.cannotDecide : EXIT.ok;
}
