/**
 * The Service asked about is not in the snapshot: a typo, the wrong namespace, or a Service that
 * was deleted. Names the Services that look like it (same namespace) and those with the same name
 * elsewhere, when the snapshot holds them.
 */
import { defineCheck, sh, type Evidence } from '../src/check-kit/index.js';
import { editDistance } from './lib/text.js';

/** "frontend" looks like "frontend-svc", "front-end", "frontedn". */
function looksLike(want: string, name: string): boolean {
  const w = want.toLowerCase();
  const n = name.toLowerCase();
  if (w === n) return false;
  if (n.includes(w) || w.includes(n)) return Math.min(w.length, n.length) >= 3;
  return editDistance(w, n) <= Math.max(1, Math.min(2, Math.floor(w.length / 4)));
}

export default defineCheck({
  id: 'service-missing',
  title: 'Service not found',
  description: 'The Service asked about does not exist in its namespace (typo, wrong namespace, deleted).',
  severity: 'error',
  stage: 'service',
  requires: ['services'],
  messages: {
    missing: 'Service {{namespace}}/{{service}} does not exist.{{similar}}',
    notInScan: 'There is no NodePort or LoadBalancer Service {{namespace}}/{{service}}: the snapshot lists every such Service of {{scope}}, so it either does not exist or is a ClusterIP Service, which has no nodePort.{{similar}}',
    outOfScope: 'The snapshot was gathered for {{scope}} only, so it cannot say whether {{namespace}}/{{service}} exists: gather it with -n {{namespace}} svc/{{service}}.',
  },
  run(ctx) {
    if (ctx.service !== null) return [];
    const { question: q, services } = ctx;
    const ns = q.namespace;
    const want = q.service;
    const cmd = [sh`kubectl get services -A | grep -i -F -e ${want}`, sh`kubectl get services -n ${ns}`];
    const t = q.gatheredFor;
    if (t.namespace !== null && t.namespace !== ns) {
      return [{
        messageId: 'outOfScope',
        severity: 'warning',
        data: { namespace: ns, service: want, scope: `namespace ${t.namespace}${t.service ? ` (Service ${t.service})` : ''}` },
        evidence: [{ kind: 'object', ref: 'snapshot', field: 'target', value: t }],
        remediation: { summary: `Gather a snapshot that includes namespace ${ns}, or ask about a Service of ${t.namespace}.`, commands: [sh`np-doctor diagnose svc/${want} -n ${ns}`, ...cmd] },
      }];
    }
    if (t.service !== null && !(t.namespace === ns && t.service === want)) {
      return [{
        messageId: 'outOfScope',
        severity: 'warning',
        data: { namespace: ns, service: want, scope: `Service ${t.namespace ?? ns}/${t.service}` },
        evidence: [{ kind: 'object', ref: 'snapshot', field: 'target', value: t }],
        remediation: { summary: `Gather a snapshot of ${ns}/${want}.`, commands: [sh`np-doctor diagnose svc/${want} -n ${ns}`, ...cmd] },
      }];
    }
    // Gathered as a scan (every NodePort/LoadBalancer Service in scope): a ClusterIP Service of that name would not be here.
    const scan = t.service === null;
    const same = services.all.filter((s) => s.namespace === ns && looksLike(want, s.name));
    const elsewhere = services.all.filter((s) => s.namespace !== ns && s.name === want);
    const parts: string[] = [];
    const [otherNs] = elsewhere;
    if (otherNs !== undefined) parts.push(` A Service of that name exists in namespace${elsewhere.length > 1 ? 's' : ''} ${elsewhere.map((s) => s.namespace).join(', ')}: use -n ${otherNs.namespace}.`);
    if (same.length > 0) parts.push(` Similarly named in ${ns}: ${same.slice(0, 5).map((s) => `${s.name} (${s.type}${s.ports.some((p) => p.nodePort) ? ` nodePort ${s.ports.filter((p) => p.nodePort).map((p) => p.nodePort).join(',')}` : ''})`).join(', ')}.`);
    if (parts.length === 0) {
      const inNs = services.all.filter((s) => s.namespace === ns).map((s) => s.name);
      parts.push(inNs.length === 0 ? ` Namespace ${ns} has no${scan ? ' NodePort or LoadBalancer' : ''} Services in the snapshot.` : ` Services in ${ns}: ${inNs.slice(0, 8).join(', ')}${inNs.length > 8 ? ', …' : ''}.`);
    }
    const evidence: Evidence[] = [
      { kind: 'object', ref: `${scan ? 'NodePort and LoadBalancer ' : ''}Services in namespace ${ns}`, field: 'metadata.name', value: services.all.filter((x) => x.namespace === ns).map((x) => x.name) },
      ...elsewhere.map((s): Evidence => ({ kind: 'object', ref: `Service ${s.namespace}/${s.name}`, field: 'spec.type', value: s.type })),
      ...same.slice(0, 5).map((s): Evidence => ({ kind: 'object', ref: `Service ${s.namespace}/${s.name}`, field: 'spec.type', value: s.type })),
    ];
    const fix = otherNs !== undefined
      ? `Ask about the Service where it lives (-n ${otherNs.namespace}), or point the client at that namespace's Service.`
      : same[0] !== undefined
        ? `Check the name: did you mean ${same[0].name}? Otherwise create the Service (kubectl expose) in ${ns}.`
        : `Create the Service in ${ns} (kubectl expose … --type=NodePort) or correct the name and namespace.`;
    return [{
      messageId: scan ? 'notInScan' : 'missing',
      data: { namespace: ns, service: want, scope: t.namespace === null ? 'every namespace' : `namespace ${t.namespace}`, similar: parts.join('') },
      evidence,
      remediation: {
        summary: fix,
        commands: [...cmd, ...(otherNs ? [sh`np-doctor diagnose svc/${want} -n ${otherNs.namespace}`] : same[0] ? [sh`np-doctor diagnose svc/${same[0].name} -n ${ns}`] : [])],
      },
    }];
  },
});
