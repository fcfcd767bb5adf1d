/**
 * Cluster DNS is down or misconfigured: kube-dns has no ready endpoint, the coredns Deployment has
 * no available replica, or the Corefile forwards to a loopback address (systemd-resolved's
 * 127.0.0.53 seen from inside the pod is CoreDNS itself: the loop plugin then crash-loops it).
 * Context rather than cause: it matters when the backends call other Services by name.
 */
import { defineCheck, sh, type Evidence } from '../src/check-kit/index.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)(:\d+)?$/;

/** `forward . 127.0.0.53` / `proxy . 127.0.0.1:53` lines whose upstreams include a loopback address. */
function loopForwards(corefile: string): { line: number; text: string; upstream: string }[] {
  const out: { line: number; text: string; upstream: string }[] = [];
  corefile.split('\n').forEach((raw, i) => {
    const text = raw.replace(/#.*$/, '').replace(/\{.*$/, '').trim();
    const upstreams = /^(forward|proxy)\s+\S+\s+(.+)$/.exec(text)?.[2];
    if (upstreams === undefined) return;
    for (const up of upstreams.split(/\s+/)) {
      const host = up.replace(/^(dns|tls|grpc):\/\//, '');
      if (LOOPBACK.test(host)) out.push({ line: i + 1, text, upstream: host });
    }
  });
  return out;
}

export default defineCheck({
  id: 'coredns-unhealthy',
  title: 'Cluster DNS unhealthy',
  description: 'kube-dns has no ready endpoint, CoreDNS has no available replica, or the Corefile forwards to a loopback address.',
  severity: 'warning',
  stage: 'context',
  requires: ['coreDns'],
  messages: {
    forwardLoop: 'The CoreDNS Corefile forwards to {{upstream}} ("{{line}}"): inside the CoreDNS pod that loopback address is CoreDNS itself, so queries loop (the loop plugin stops CoreDNS){{state}}. This does not block the NodePort itself, but it matters when the backends call other Services or outside names by name: those lookups fail.',
    unavailable: 'Cluster DNS is down: {{state}}. This does not block the NodePort itself, but it matters when the backends call other Services by name: their lookups time out, and the backends may fail their readiness or answer with errors.',
  },
  run(ctx) {
    const dns = ctx.coreDns;
    const evidence: Evidence[] = [];
    const problems: string[] = [];

    if (dns.service !== null) {
      const eps = dns.endpointSlices.flatMap((s) => ((s as { endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[] }).endpoints ?? [])
        .map((e) => ({ slice: s.metadata.name, addresses: e.addresses ?? [], ready: e.conditions?.ready !== false })));
      if (!eps.some((e) => e.ready && e.addresses.length > 0)) {
        problems.push(eps.length === 0 ? 'Service kube-system/kube-dns has no endpoints' : `Service kube-system/kube-dns has ${eps.length} endpoint(s), none ready`);
        evidence.push({ kind: 'object', ref: 'EndpointSlices of kube-system/kube-dns', field: 'endpoints', value: eps.map((e) => ({ addresses: e.addresses, ready: e.ready })) });
      }
    }
    const dep = dns.deployment;
    if (dep !== null) {
      const spec = (dep.spec ?? {}) as { replicas?: number };
      const status = (dep.status ?? {}) as { availableReplicas?: number; unavailableReplicas?: number; conditions?: { type?: string; status?: string; message?: string }[] };
      const want = spec.replicas ?? 1;
      const available = status.availableReplicas ?? 0;
      if (want > 0 && available === 0) {
        const cond = (status.conditions ?? []).find((c) => c.type === 'Available' && c.status === 'False');
        problems.push(`Deployment kube-system/${dep.metadata.name} has 0 of ${want} replicas available${cond?.message ? ` (${cond.message})` : ''}`);
        evidence.push({ kind: 'object', ref: `Deployment kube-system/${dep.metadata.name}`, field: 'status.availableReplicas', value: available });
      }
    }
    const loops = dns.corefile === null ? [] : loopForwards(dns.corefile);
    const state = problems.join('; ');
    const commands = [
      sh`kubectl -n kube-system get deployment coredns`,
      sh`kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide`,
      sh`kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50`,
    ];
    const l = loops[0];
    if (l !== undefined) {
      return [{
        messageId: 'forwardLoop',
        data: { upstream: l.upstream, line: l.text, state: state ? `; now ${state}` : '' },
        evidence: [{ kind: 'object', ref: 'ConfigMap kube-system/coredns', field: `data.Corefile line ${l.line}`, value: l.text }, ...evidence],
        remediation: {
          summary: `Forward to real upstream resolvers instead of ${l.upstream}: "forward . /etc/resolv.conf" with kubelet's resolvConf pointing at /run/systemd/resolve/resolv.conf (on systemd-resolved hosts), or the upstream servers' addresses; then restart CoreDNS.`,
          commands: [sh`kubectl -n kube-system edit configmap coredns`, sh`kubectl -n kube-system rollout restart deployment coredns`, ...commands],
        },
      }];
    }
    if (problems.length === 0) return [];
    return [{
      messageId: 'unavailable',
      data: { state },
      evidence,
      remediation: {
        summary: 'Find out why the CoreDNS pods are not ready (crash loop, image pull, scheduling, Corefile error) from their status and log, and fix it.',
        commands: [...commands, sh`kubectl -n kube-system describe deployment coredns`],
      },
    }];
  },
});
