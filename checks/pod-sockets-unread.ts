/**
 * np-doctor could not read what a backend pod listens on, so nothing proves or disproves that its
 * app accepts connections on the endpoint port: said once per reason, as info (the exit code does
 * not change). The reasons: a snapshot written before np-doctor read pods' sockets, a debug pod
 * without CAP_SYS_ADMIN (entering a namespace needs it), a runtime that keeps pod namespaces
 * elsewhere (cri-dockerd, Kata Containers, gVisor), two namespaces holding the pod's IP. A
 * hostNetwork pod's sockets are its node's, read with the node's own commands: not this check's.
 */
import { defineCheck, sh, type FindingInput, type PodInfo } from '../src/check-kit/index.js';
import { backendSockets, socketProtocol } from './lib/backend-sockets.js';

const MESSAGES = {
  unread: 'np-doctor could not see what {{pods}} listen on, so it cannot prove whether the app accepts connections there: {{why}}',
} as const;

const podText = (pod: PodInfo): string => `pod ${pod.namespace}/${pod.name}`;

export default defineCheck({
  id: 'pod-sockets-unread',
  title: 'The pods\' sockets were not read',
  description: 'What a backend pod listens on could not be read (an older snapshot, a debug pod without CAP_SYS_ADMIN, another runtime): nothing proves the app accepts connections.',
  severity: 'info',
  stage: 'backend',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    if (socketProtocol(port) === null) return [];
    const unread = new Map<string, { pods: PodInfo[]; nodes: Set<string> }>();
    const seen = new Set<string>();
    for (const e of ctx.endpointSlices.used(svc, port)) {
      const pod = e.pod ? ctx.pods.get(e.pod.namespace ?? svc.namespace, e.pod.name) : undefined;
      const node = e.nodeName ?? pod?.nodeName ?? null;
      if (pod === undefined || pod.hostNetwork || node === null || seen.has(pod.name) || ctx.nodeState(node).unavailable !== null) continue;
      seen.add(pod.name);
      const read = backendSockets(ctx, pod, node, e.address);
      if (!('unknown' in read)) continue;
      const u = unread.get(read.unknown) ?? { pods: [], nodes: new Set<string>() };
      u.pods.push(pod);
      u.nodes.add(node);
      unread.set(read.unknown, u);
    }
    return [...unread].map(([why, { pods, nodes }]): FindingInput<typeof MESSAGES> => {
      const [only] = nodes;
      const [first] = pods;
      return {
        messageId: 'unread',
        ...(nodes.size === 1 && only !== undefined ? { node: only } : {}),
        data: { pods: pods.slice(0, 4).map(podText).join(', ') + (pods.length > 4 ? ` and ${pods.length - 4} more` : ''), why },
        evidence: [],
        remediation: {
          summary: 'Gather again over SSH (or with --debug-privileged) so np-doctor reads the pods\' sockets, or look inside a pod yourself.',
          commands: first === undefined ? [] : [sh`kubectl exec -n ${first.namespace} ${first.name} -- sh -c ${'ss -ltnup 2>/dev/null || netstat -ltnup'}`],
        },
      };
    });
  },
});
