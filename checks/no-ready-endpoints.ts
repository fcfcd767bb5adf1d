/**
 * The Service port has no endpoint address at all: its selector matches no pod (the nearest misses
 * and the label that differs are named), the pods it matches have no IP yet, or it has no selector
 * and nobody created an EndpointSlice. kube-proxy then rejects the nodePort ("has no endpoints"),
 * which the client sees as "connection refused".
 */
import { defineCheck, ipFamiliesOf, sh, type Evidence, type PodInfo } from '../src/check-kit/index.js';
import { noEndpointsRejectEvidence } from './lib/no-endpoints-evidence.js';
import { editDistance } from './lib/text.js';

interface Miss { pod: PodInfo; score: number; diffs: string[]; patch: Record<string, string | null> }

/** 1 for equal strings, towards 0 as the edit distance grows ("fronted" is close to "frontend"). */
function similarity(a: string, b: string): number {
  return 1 - editDistance(a, b) / Math.max(a.length, b.length, 1);
}

/**
 * How close a pod's labels are to the selector: a matching pair counts 2, the selector's value under
 * another key 1.5, the key with another value 1 plus how alike the values are, a missing key 0.
 */
function miss(selector: Record<string, string>, pod: PodInfo): Miss {
  let score = 0;
  const diffs: string[] = [];
  const patch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(selector)) {
    const have = pod.labels[k];
    if (have === v) {
      score += 2;
      continue;
    }
    if (have !== undefined) {
      score += 1 + similarity(v, have);
      diffs.push(`selector ${k}: ${v} vs pod ${k}: ${have}`);
      patch[k] = have;
      continue;
    }
    const other = Object.entries(pod.labels).find(([, pv]) => pv === v);
    if (other !== undefined) {
      score += 1.5;
      diffs.push(`selector ${k}: ${v} vs pod ${other[0]}: ${v}`);
      patch[k] = null;
      patch[other[0]] = v;
    } else {
      diffs.push(`selector ${k}: ${v}, but the pod has no ${k} label`);
      patch[k] = null;
    }
  }
  return { pod, score, diffs, patch };
}

const labelText = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',');

export default defineCheck({
  id: 'no-ready-endpoints',
  title: 'Service has no endpoints',
  description: 'The Service port has no endpoint address: the selector matches no pod, the pods have no IP, or no EndpointSlice exists.',
  severity: 'error',
  stage: 'endpoints',
  requires: ['service', 'endpointSlices', 'pods'],
  messages: {
    selectorMismatch: 'Service {{service}} selects {{selector}}, but no pod in namespace {{namespace}} has these labels, so it has no endpoints and kube-proxy rejects {{port}} (connection refused). Nearest: {{nearest}}.',
    noPodLooksLike: 'Service {{service}} selects {{selector}}, but none of the {{count}} pods in namespace {{namespace}} carries any of these labels ({{examples}}), so it has no endpoints and kube-proxy rejects {{port}} (connection refused).',
    noPods: 'Service {{service}} selects {{selector}}, but namespace {{namespace}} has no pods at all, so it has no endpoints and kube-proxy rejects {{port}} (connection refused).',
    podsNoIp: 'Service {{service}} selects {{count}} pod(s), but none has an IP address to serve from ({{pods}}), so it has no endpoints and kube-proxy rejects {{port}} (connection refused).',
    notListed: 'Service {{service}} selects {{count}} running pod(s) with IPs ({{pods}}), yet no EndpointSlice lists any of them: the EndpointSlice controller in kube-controller-manager has not processed the Service, so kube-proxy rejects {{port}}.',
    noSelector: 'Service {{service}} has no selector, so its endpoints must be created by hand, and no EndpointSlice labelled kubernetes.io/service-name={{name}} lists an address: kube-proxy rejects {{port}} (connection refused).',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    // A family the Service lacks has no EndpointSlices by design (service-family-not-served).
    if (port === null || !ipFamiliesOf(svc).includes(ctx.question.family)) return [];
    // Any address at all, even unready or without the port: that is endpoints-not-ready's or target-port-mismatch's.
    if (ctx.endpointSlices.of(svc, port).length > 0) return [];
    const name = `${svc.namespace}/${svc.name}`;
    const ns = svc.namespace;
    const portText = port.nodePort !== null ? `nodePort ${port.nodePort}` : `port ${port.port}`;
    const ref = `Service ${name}`;
    const slices = sh`kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${svc.name} -o wide`;
    const rules = noEndpointsRejectEvidence(ctx);
    const sliceEvidence: Evidence = { kind: 'object', ref: `EndpointSlices of ${name}`, field: 'endpoints', value: [] };

    if (svc.selector === null) {
      return [{
        messageId: 'noSelector',
        data: { service: name, name: svc.name, port: portText },
        evidence: [{ kind: 'object', ref, field: 'spec.selector', value: null }, sliceEvidence, ...rules],
        remediation: {
          summary: `Create an EndpointSlice labelled kubernetes.io/service-name=${svc.name} in ${ns} with the backend addresses and port ${port.name || port.port}, or give the Service a selector that matches the backend pods.`,
          commands: [slices, sh`kubectl get service ${svc.name} -n ${ns} -o yaml`],
        },
      }];
    }

    const selector = svc.selector;
    const selText = labelText(selector);
    const evidence: Evidence[] = [{ kind: 'object', ref, field: 'spec.selector', value: selector }, sliceEvidence];
    const selected = ctx.pods.selectedBy(svc);
    const inNs = ctx.pods.all.filter((p) => p.namespace === ns);

    const [firstSelected] = selected;
    if (firstSelected === undefined) {
      if (inNs.length === 0) {
        return [{
          messageId: 'noPods',
          data: { service: name, selector: selText, namespace: ns, port: portText },
          evidence: [...evidence, { kind: 'object', ref: `Pods in namespace ${ns}`, value: [] }, ...rules],
          remediation: {
            summary: `Nothing runs in ${ns}: deploy the workload there (pods labelled ${selText}), or check whether it runs in another namespace.`,
            commands: [sh`kubectl get pods -A -l ${selText}`, sh`kubectl get deployments,statefulsets,daemonsets -n ${ns}`],
          },
        }];
      }
      const misses = inNs.map((p) => miss(selector, p)).filter((m) => m.score > 0).sort((a, b) => b.score - a.score || a.pod.name.localeCompare(b.pod.name));
      const [first] = misses;
      if (first === undefined) {
        const examples = inNs.slice(0, 3).map((p) => `${p.name}: ${labelText(p.labels) || 'no labels'}`).join('; ');
        return [{
          messageId: 'noPodLooksLike',
          data: { service: name, selector: selText, namespace: ns, port: portText, count: inNs.length, examples },
          evidence: [...evidence, ...inNs.slice(0, 3).map((p): Evidence => ({ kind: 'object', ref: `Pod ${ns}/${p.name}`, field: 'metadata.labels', value: p.labels })), ...rules],
          remediation: {
            summary: `Label the backend pods (their template) with ${selText}, or change the Service selector to the labels the backend pods carry.`,
            commands: [sh`kubectl get pods -n ${ns} --show-labels`, sh`kubectl get pods -A -l ${selText}`, slices],
          },
        }];
      }
      // Group the best misses by what differs: replicas of one workload read as one line.
      const best = misses.filter((m) => first.score - m.score < 1e-9);
      const groups = new Map<string, [Miss, ...Miss[]]>();
      for (const m of best) {
        const key = m.diffs.join('; ');
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [m]);
        else group.push(m);
      }
      // The first group holds the nearest miss first.
      const shown = [...groups.entries()].slice(0, 3);
      const nearest = shown.map(([diff, ms]) => `pod ${ms[0].pod.name}${ms.length > 1 ? ` (and ${ms.length - 1} more like it)` : ''}: ${diff}`).join('; ');
      return [{
        messageId: 'selectorMismatch',
        data: { service: name, selector: selText, namespace: ns, port: portText, nearest },
        evidence: [...evidence, ...shown.map(([, ms]): Evidence => ({ kind: 'object', ref: `Pod ${ns}/${ms[0].pod.name}`, field: 'metadata.labels', value: ms[0].pod.labels })), ...rules],
        remediation: {
          summary: `Make the selector and the pod labels agree: either change the Service selector to what pod ${first.pod.name} carries (the command below), or relabel the pods' template to ${selText}.`,
          commands: [
            sh`kubectl patch service ${svc.name} -n ${ns} --type=merge -p ${JSON.stringify({ spec: { selector: first.patch } })}`,
            sh`kubectl get pods -n ${ns} --show-labels`,
            slices,
          ],
        },
      }];
    }

    const withIp = selected.filter((p) => p.ips.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed');
    if (withIp.length === 0) {
      const pods = selected.slice(0, 4).map((p) => `${p.name} ${p.phase ?? 'phase unknown'}${podWhy(p) ? `: ${podWhy(p)}` : ''}`).join('; ');
      return [{
        messageId: 'podsNoIp',
        data: { service: name, count: selected.length, pods: pods + (selected.length > 4 ? '; …' : ''), port: portText },
        evidence: [...evidence, ...selected.slice(0, 4).map((p): Evidence => ({ kind: 'object', ref: `Pod ${ns}/${p.name}`, field: 'status.phase', value: p.phase })), ...rules],
        remediation: {
          summary: 'The pods are not running yet (unscheduled, image not pulled, sandbox not created) or have finished; see why in their events.',
          commands: [sh`kubectl describe pod ${firstSelected.name} -n ${ns}`, sh`kubectl get events -n ${ns} --field-selector involvedObject.name=${firstSelected.name}`],
        },
      }];
    }
    return [{
      messageId: 'notListed',
      data: { service: name, count: withIp.length, pods: withIp.slice(0, 4).map((p) => `${p.name} ${p.ips[0]}`).join(', ') + (withIp.length > 4 ? ', …' : ''), port: portText },
      evidence: [...evidence, ...withIp.slice(0, 4).map((p): Evidence => ({ kind: 'object', ref: `Pod ${ns}/${p.name}`, field: 'status.podIP', value: p.ips[0] })), ...rules],
      remediation: {
        summary: 'Check that kube-controller-manager runs and its EndpointSlice controller is not failing (its log says why).',
        commands: [slices, sh`kubectl -n kube-system get pods -l component=kube-controller-manager`, sh`kubectl -n kube-system logs -l component=kube-controller-manager --tail=200`],
      },
    }];
  },
});

/** Why a pod has no IP: the PodScheduled condition or a waiting container. */
function podWhy(p: PodInfo): string {
  const status = (p.object.status ?? {}) as { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
  const sched = (status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) return `${sched.reason ?? 'not scheduled'}${sched.message ? ` (${sched.message})` : ''}`;
  const t = p.troubled.find((x) => x.reason !== null);
  return t ? `${t.container} ${t.reason}` : '';
}
