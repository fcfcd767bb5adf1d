/**
 * `np-doctor tui [svc/NAME]` (and `np-doctor` alone in a terminal): the interactive session over a
 * snapshot file or a live cluster.
 */
import { CHECKS } from '../../checks/index.js';
import { gather } from '../collect/gather.js';
import { SILENT } from '../collect/gather-progress.js';
import { GatherFatalError } from '../collect/kube/cluster.js';
import { EXIT } from '../exit.js';
import { PROBE_TIMEOUT_MS } from '../snapshot/probe.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { Gatherer, WhatIf } from '../tui/state/session.js';
import { command } from './command.js';
import { loadChecks, parseProtocol, PLUGIN_FLAG } from './diagnose-common.js';
import { GATHER_FLAGS, GATHER_HELP, gatherRequest } from './gather-flags.js';
import { inCi, UsageError, type Io } from './io.js';
import { probeRequest } from './probe-flags.js';
import { readSnapshotFile, snapshotSource } from './snapshot-source.js';
import { serviceArg } from './target.js';

export const TUI_HELP = `Usage: np-doctor tui [svc/NAME] [-n NS | -A] [--snapshot FILE] [flags]
       np-doctor            (in a terminal, with no arguments)

An interactive session, like k9s for one question: why does this NodePort not answer? It lists every
NodePort and LoadBalancer Service with a health badge, opens a Service's findings with their evidence
and fixes, shows the packet's path through each node's rules, and replays what-if questions (another
node, client, port or protocol) from what was gathered, without gathering again. Press ? inside.

      --snapshot FILE       explore a saved snapshot (offline) instead of the live cluster
      --port PORT           open svc/NAME on this port (name, number or nodePort)
      --protocol P          ... with this protocol (tcp, udp, sctp)
      --from IP[:PORT]      ... from this client
      --plugin FILE         load more checks from a JS module (repeatable)

${GATHER_HELP}
Live sessions read every node, so what-if can switch the ingress node without gathering again.
Nothing is sent to the Service unless you press P in a diagnosis: that gathers again with probes, as
np-doctor diagnose --probe does (see its help for what each probe sends).
Needs a terminal on stdin and stdout; np-doctor diagnose and scan print text or JSON anywhere.
`;

const FLAGS = {
  ...GATHER_FLAGS,
  snapshot: { type: 'string' },
  port: { type: 'string' },
  protocol: { type: 'string' },
  from: { type: 'string' },
  ...PLUGIN_FLAG,
} as const;

export const run = command({
  help: TUI_HELP,
  flags: FLAGS,
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`one Service at a time (got ${positionals.join(' ')})`);
    const service = serviceArg(positionals[0]);
    if (values['all-namespaces'] && values.namespace !== undefined) throw new UsageError('-n and -A exclude each other');
    if (values['all-namespaces'] && service !== null) throw new UsageError('-A lists every namespace; leave out the Service name, or use -n');
    const protocol = parseProtocol(values.protocol);
    const terminal = io.terminal;
    if (terminal === undefined || inCi(io.env) || io.env.TERM === 'dumb') {
      const why = terminal === undefined ? 'a terminal on stdin and stdout' : inCi(io.env) ? 'a terminal, and CI is set (Ink would draw nothing until the end)' : 'a terminal that can move the cursor (TERM=dumb)';
      throw new UsageError(`the interactive session needs ${why}; for text or JSON use np-doctor diagnose svc/NAME or np-doctor scan`);
    }
    // Warnings (an SSH host key, a ProxyCommand) wait until the session has given the screen back.
    const held: string[] = [];
    const heldIo: Io = { ...io, stderr: (text) => held.push(text) };
    const checks = await loadChecks(CHECKS, values.plugin ?? []);

    let snapshot: Snapshot | undefined;
    let gatherer: Gatherer | undefined;
    const leftovers: string[] = [];
    const source = snapshotSource(values);
    if ('file' in source) {
      snapshot = await readSnapshotFile(source.file);
    } else {
      // Checked now, so a bad flag is a usage error before the screen is taken.
      const live = source.live;
      gatherRequest({ ...live, 'all-nodes': true }, { service: null }, heldIo, SILENT);
      let gatheredOnce = false;
      gatherer = async (namespace, progress, signal, probe) => {
        // The first gathering follows the flags (no -n: the kubeconfig's namespace); later ones, the namespace picked.
        const scope = !gatheredOnce ? {} : namespace === null ? { 'all-namespaces': true, namespace: undefined } : { 'all-namespaces': false, namespace };
        gatheredOnce = true;
        const request = gatherRequest({ ...live, ...scope, 'all-nodes': true }, { service: null }, heldIo, progress);
        try {
          const result = await gather({ ...request, signal, ...(probe !== undefined ? { probe: probeRequest(PROBE_TIMEOUT_MS, probe.service, probe, probe.namespace) } : {}) });
          leftovers.push(...result.leftovers);
          return result.snapshot;
        } catch (e) {
          if (e instanceof GatherFatalError) throw new Error(`${e.error.what}: ${e.error.why}${e.error.hint ? ` (${e.error.hint})` : ''}`, { cause: e });
          throw e;
        }
      };
    }

    const { Session } = await import('../tui/state/session.js');
    const { runSession } = await import('../tui/run-session.js');
    const namespace = values['all-namespaces'] ? null : values.namespace ?? snapshot?.target.namespace ?? null;
    const session = new Session({
      checks, namespace, cwd: process.cwd(),
      ...('file' in source && snapshot ? { snapshot, file: source.file } : {}),
      ...(gatherer ? { gather: gatherer } : {}),
    });
    const whatIf: WhatIf = {
      ...(values.node !== undefined ? { node: values.node } : {}),
      ...(values['node-ip'] !== undefined ? { nodeIp: values['node-ip'] } : {}),
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(protocol !== undefined ? { protocol } : {}),
    };
    try {
      await runSession({
        session, ...terminal,
        // Without -n the namespace is the snapshot's, or the kubeconfig's once gathered.
        ...(service !== null ? { open: { service, namespace: values.namespace ?? null } } : {}),
        whatIf,
        ...(io.interrupt ? { interrupt: io.interrupt } : {}),
      });
    } finally {
      for (const text of held) io.stderr(text);
      if (leftovers.length > 0) io.stderr(`np-doctor tui: could not delete debug pod${leftovers.length === 1 ? '' : 's'} ${leftovers.join(', ')}: run np-doctor cleanup\n`);
    }
    return io.interrupt?.aborted ? EXIT.interrupted : EXIT.ok;
  },
});
