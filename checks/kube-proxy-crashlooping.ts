/**
 * A kube-proxy pod on a node of the path that is not Ready, crash-looping, or restarting over and
 * over: it is not keeping that node's Service rules in step with the API. Whatever rules the node
 * has are what the last successful sync left.
 */
import { defineCheck, sh, type Evidence, type FindingInput, type PodInfo, type Ruleset } from '../src/check-kit/index.js';
import { hasKubeProxyRules } from './lib/kube-proxy-rules.js';
import { ingressAndEndpointNodes } from './lib/path-nodes.js';

/** Restarts of a Ready pod worth a warning: it keeps dying, even if it is up right now. */
const MANY_RESTARTS = 5;
const CONNTRACK_MAX = 'nf_conntrack_max';

const MESSAGES = {
  down: 'kube-proxy pod {{pod}} on {{node}} is {{state}} ({{restarts}} restarts){{last}}. While it is down, nothing updates {{node}}\'s Service rules: {{rules}}',
  restarting: 'kube-proxy pod {{pod}} on {{node}} is Ready now but has restarted {{restarts}} times{{last}}. Each restart leaves {{node}}\'s Service rules unsynced until it comes back.',
} as const;

export default defineCheck({
  id: 'kube-proxy-crashlooping',
  title: 'kube-proxy is crash-looping or not Ready',
  description: "A kube-proxy pod on a node of the path is not Ready, in CrashLoopBackOff, or restarting often, so that node's rules are not kept in sync.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['kubeProxy', 'endpointSlices'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const onPath = new Set(ingressAndEndpointNodes(ctx));
    const ingress = new Set(ctx.question.ingress.map((i) => i.node));
    for (const pod of ctx.kubeProxy.pods) {
      if (pod.nodeName === null || !onPath.has(pod.nodeName)) continue;
      const node = pod.nodeName;
      const restarts = pod.troubled.reduce((s, t) => s + t.restarts, 0);
      const waiting = pod.troubled.map((t) => t.reason).find((r): r is string => r !== null);
      const down = pod.phase !== 'Running' || pod.ready === false || waiting !== undefined;
      if (!down && restarts < MANY_RESTARTS) continue;

      const last = lastTermination(pod);
      const conntrack = last?.message?.includes(CONNTRACK_MAX) ?? false;
      const state = waiting ?? (pod.phase !== 'Running' ? `in phase ${pod.phase ?? 'unknown'}` : 'not Ready');
      const evidence: Evidence[] = [
        { kind: 'object', ref: `Pod kube-system/${pod.name}`, field: 'status', value: `phase ${pod.phase ?? 'unknown'}, ready ${String(pod.ready)}${waiting ? `, waiting: ${waiting}` : ''}, restarts ${restarts}` },
      ];
      if (last !== null) {
        evidence.push({ kind: 'object', ref: `Pod kube-system/${pod.name}`, field: `status.containerStatuses[${last.container}].lastState.terminated`, value: `${last.reason ?? 'terminated'}, exit code ${last.exitCode ?? '?'}${last.message ? `: ${last.message.trim().split('\n').slice(-3).join(' ')}` : ''}` });
      }
      const summary = conntrack
        ? `kube-proxy cannot write ${CONNTRACK_MAX} (permission denied): the known problem of kube-proxy in kind/minikube on kernels 5.12.2 and later, whose /proc/sys/net/netfilter is read-only in the container (kubernetes/minikube#11418, kubernetes-sigs/kind#2240). Set conntrack.maxPerCore: 0 in the kube-proxy ConfigMap so kube-proxy leaves the sysctl alone, then restart it.`
        : `Read the previous container's log for why kube-proxy exits, fix that, and restart the pod. In kind or minikube on kernels 5.12.2 and later, one known cause is "open /proc/sys/net/netfilter/${CONNTRACK_MAX}: permission denied" (kubernetes/minikube#11418), fixed by conntrack.maxPerCore: 0 in the kube-proxy ConfigMap.`;
      const data = {
        pod: pod.name, node, state, restarts, rules: rulesNow(node, ctx.nodeState(node).rulesets),
        last: last === null ? '' : `; it last exited with ${last.reason ?? 'an error'}${last.exitCode !== null ? ` (exit code ${last.exitCode})` : ''}${last.message ? `: "${oneLine(last.message)}"` : ''}`,
      };
      findings.push({
        messageId: down ? 'down' : 'restarting',
        // Only the dialled node's kube-proxy translates the connection; a backend node's matters
        // for connections that enter there, not for this path.
        ...(down && ingress.has(node) ? {} : { severity: 'warning' as const }),
        node,
        data,
        evidence,
        remediation: {
          summary,
          commands: [
            sh`kubectl -n kube-system logs ${pod.name} --previous`,
            sh`kubectl -n kube-system describe pod ${pod.name}`,
            ...(conntrack ? [sh`kubectl -n kube-system edit configmap kube-proxy`, sh`kubectl -n kube-system rollout restart daemonset kube-proxy`] : [sh`kubectl -n kube-system delete pod ${pod.name}`]),
          ],
        },
      });
    }
    return findings;
  },
});

interface Termination { container: string; reason: string | null; exitCode: number | null; message: string | null }

/** The last termination of the pod's most troubled container, from the raw status. */
function lastTermination(pod: PodInfo): Termination | null {
  const status = (pod.object.status ?? {}) as { containerStatuses?: { name?: string; restartCount?: number; lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } } }[] };
  const sorted = [...(status.containerStatuses ?? [])].sort((a, b) => (b.restartCount ?? 0) - (a.restartCount ?? 0));
  for (const c of sorted) {
    const t = c.lastState?.terminated;
    if (t !== undefined) {
      return { container: c.name ?? '', reason: t.reason ?? null, exitCode: typeof t.exitCode === 'number' ? t.exitCode : null, message: typeof t.message === 'string' && t.message !== '' ? t.message : null };
    }
  }
  return null;
}

function oneLine(s: string): string {
  const line = s.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** What the node's rules (null: not read) say about kube-proxy's last sync. */
function rulesNow(node: string, rss: Ruleset[] | null): string {
  if (rss === null) return 'a NodePort created or changed since its last sync is missing there, and endpoints that moved are stale.';
  return rss.some(hasKubeProxyRules)
    ? 'its rules there are those of its last successful sync, so NodePorts created or changed since then are missing and endpoints that moved are stale.'
    : `${node} has none of its rules (no KUBE-SERVICES or KUBE-NODEPORTS chain), so no NodePort is translated there.`;
}
