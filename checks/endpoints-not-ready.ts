/**
 * The Service port has endpoint addresses, but none is ready: the pods fail their readiness
 * probe, crash-loop, or are terminating. kube-proxy only sends to ready endpoints (falling back to
 * serving terminating ones), so with none it rejects the nodePort ("has no endpoints").
 */
import { defineCheck, sh, type Command, type Evidence, type PodInfo, type SliceEndpoint } from '../src/check-kit/index.js';
import { noEndpointsRejectEvidence } from './lib/no-endpoints-evidence.js';

interface Cond { type?: string; status?: string; reason?: string; message?: string }
interface CStatus { name?: string; restartCount?: number; state?: { waiting?: { reason?: string; message?: string } }; lastState?: { terminated?: { reason?: string; exitCode?: number } } }

/** `Ready=False (ContainersNotReady); web CrashLoopBackOff, 12 restarts, last exit Error (code 1)`. */
function describePod(p: PodInfo): { text: string; crashing: string | null } {
  const status = (p.object.status ?? {}) as { conditions?: Cond[]; containerStatuses?: CStatus[] };
  const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready ? `Ready=${ready.status ?? '?'}${ready.reason ? ` (${ready.reason})` : ''}` : 'no Ready condition'];
  let crashing: string | null = null;
  for (const c of status.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    const last = c.lastState?.terminated;
    const restarts = c.restartCount ?? 0;
    if (waiting === undefined && restarts === 0) continue;
    if (crashing === null && (waiting === 'CrashLoopBackOff' || restarts > 0)) crashing = c.name ?? null;
    parts.push(`container ${c.name ?? '?'}${waiting ? ` ${waiting}` : ''}${restarts > 0 ? `, ${restarts} restart${restarts === 1 ? '' : 's'}` : ''}${last ? `, last exit ${last.reason ?? 'terminated'}${last.exitCode !== undefined ? ` (code ${last.exitCode})` : ''}` : ''}`);
  }
  if (p.terminating) parts.push(`terminating since ${String((p.object.metadata as { deletionTimestamp?: string }).deletionTimestamp)}`);
  return { text: parts.join(', '), crashing };
}

export default defineCheck({
  id: 'endpoints-not-ready',
  title: 'No ready endpoint',
  description: 'The Service has endpoints but none is ready (readiness failing, crash-looping or terminating pods).',
  severity: 'error',
  stage: 'endpoints',
  requires: ['service', 'endpointSlices', 'pods'],
  messages: {
    notReady: 'Service {{service}} has {{count}} endpoint(s) for port {{servicePort}}, none ready, so kube-proxy rejects {{port}} (connection refused): {{pods}}.',
    terminating: 'Service {{service}} has only terminating endpoints for port {{servicePort}}, none still serving, so kube-proxy rejects {{port}} (connection refused): {{pods}}.',
    mixed: 'Service {{service}} has {{count}} endpoint(s) for port {{servicePort}}, all unready or terminating, so kube-proxy rejects {{port}} (connection refused): {{pods}}.',
    terminatingServing: 'Service {{service}} has no ready endpoint for port {{servicePort}}, only terminating ones that still serve: kube-proxy sends {{port}} to them as a last resort until they exit, then rejects it: {{pods}}.',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    if (port === null) return [];
    // Endpoints without the port (named targetPort unresolved) are target-port-mismatch's.
    const eps = ctx.endpointSlices.of(svc, port).filter((e) => e.port !== null);
    if (eps.length === 0 || eps.some((e) => e.ready)) return [];
    const name = `${svc.namespace}/${svc.name}`;
    const ns = svc.namespace;
    const portText = port.nodePort !== null ? `nodePort ${port.nodePort}` : `port ${port.port}`;

    // One line per pod (an endpoint may carry several addresses).
    const byPod = new Map<string, { e: SliceEndpoint; pod: PodInfo | undefined }>();
    for (const e of eps) {
      const pod = e.pod ? ctx.pods.get(e.pod.namespace ?? ns, e.pod.name) : ctx.pods.byIp(e.address);
      const key = pod?.name ?? e.pod?.name ?? e.address;
      if (!byPod.has(key)) byPod.set(key, { e, pod });
    }
    const lines: string[] = [];
    const evidence: Evidence[] = [];
    let crash: { pod: string; container: string } | null = null;
    for (const [key, { e, pod }] of byPod) {
      const cond = `ready=${e.ready}, serving=${e.serving}, terminating=${e.terminating}`;
      evidence.push({ kind: 'object', ref: `EndpointSlice ${ns}/${e.slice}`, field: `endpoints[${e.address}].conditions`, value: { ready: e.ready, serving: e.serving, terminating: e.terminating } });
      if (pod === undefined) {
        lines.push(`${key} (${e.address}${e.nodeName ? ` on ${e.nodeName}` : ''}): ${cond}`);
        continue;
      }
      const d = describePod(pod);
      if (crash === null && d.crashing !== null) crash = { pod: pod.name, container: d.crashing };
      lines.push(`pod ${pod.name} (${e.address}${pod.nodeName ? ` on ${pod.nodeName}` : ''}): ${d.text}`);
      const status = (pod.object.status ?? {}) as { conditions?: Cond[] };
      const ready = (status.conditions ?? []).find((c) => c.type === 'Ready');
      evidence.push({ kind: 'object', ref: `Pod ${ns}/${pod.name}`, field: 'status.conditions[Ready]', value: ready ?? null });
    }
    const shown = lines.slice(0, 4).join('; ') + (lines.length > 4 ? `; and ${lines.length - 4} more` : '');
    const servingTerminating = eps.filter((e) => e.serving && e.terminating);
    const unready = eps.filter((e) => !e.terminating);
    const terminating = eps.filter((e) => e.terminating);
    const messageId = servingTerminating.length > 0 ? 'terminatingServing'
      : terminating.length === 0 ? 'notReady' : unready.length === 0 ? 'terminating' : 'mixed';
    const firstPod = [...byPod.values()].find((x) => x.pod !== undefined)?.pod;
    const commands: Command[] = [];
    if (crash !== null) commands.push(sh`kubectl logs ${crash.pod} -n ${ns} -c ${crash.container} --previous`);
    if (firstPod !== undefined) commands.push(sh`kubectl describe pod ${firstPod.name} -n ${ns}`);
    if (terminating.length > 0) commands.push(sh`kubectl get pods -n ${ns} -l ${Object.entries(svc.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || `kubernetes.io/service-name=${svc.name}`} -o wide`);
    commands.push(sh`kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${svc.name} -o yaml`);
    const summary = messageId === 'notReady'
      ? crash !== null
        ? `Pod ${crash.pod} keeps crashing (container ${crash.container}): read its previous log, fix the cause, and the endpoint turns ready by itself.`
        : 'The pods fail their readiness probe: check the probe (path, port, timing) against what the app serves; describe shows the probe failures.'
      : messageId === 'terminatingServing'
        ? 'Only pods on their way out are left: start the replacement pods (check the Deployment rollout and why new pods are not ready).'
        : 'The pods are being deleted and no ready replacement exists: check the rollout (replicas, why new pods are not ready) and stuck finalizers.';
    return [{
      messageId,
      ...(messageId === 'terminatingServing' ? { severity: 'warning' as const } : {}),
      data: { service: name, count: eps.length, port: portText, servicePort: port.name || String(port.port), pods: shown },
      evidence: [...evidence, ...noEndpointsRejectEvidence(ctx)],
      remediation: { summary, commands },
    }];
  },
});
