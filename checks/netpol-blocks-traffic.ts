/**
 * NetworkPolicy isolates the backend pod for ingress and none of the rules of the isolating
 * policies admits the NodePort traffic: a default-deny, an ipBlock that leaves the client out, a
 * port that is not the targetPort, a namespaceSelector that matches no external client. The case
 * where only the ingress node's masquerade address is refused is netpol-blocks-snated-source's.
 */
import { defineCheck, hostCidr, hostPort, sh, type Evidence, type FindingInput, type NodePath, type PolicyDecision } from '../src/check-kit/index.js';
import { applyManifest } from './lib/kubectl-apply.js';
import { percent } from './lib/text.js';
import { snatedDenial } from './lib/snated-denial.js';

interface Group {
  pod: string;
  podNode: string;
  port: number;
  decision: PolicyDecision;
  /** The first path that reached the pod. */
  first: NodePath;
  /** source → ingress nodes. */
  sources: Map<string, { path: NodePath; share: number; why: string }[]>;
}

const MESSAGES = {
  denied:
    'NetworkPolicy {{policies}} isolates pod {{pod}} on {{podNode}} for ingress, and no rule allows {{sources}} on {{target}}: {{misses}}. NodePort {{port}} connections that reach this pod are dropped there (the client times out). Affected: {{affected}}.',
  deniedSnated:
    'NetworkPolicy {{policies}} isolates pod {{pod}} on {{podNode}} for ingress, and no rule allows {{sources}} on {{target}}: {{misses}}. Those are masquerade addresses of the ingress nodes, but the client {{client}} itself would not be allowed either ({{clientWhy}}). NodePort {{port}} connections that reach this pod are dropped there (the client times out). Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'netpol-blocks-traffic',
  title: 'NetworkPolicy drops the NodePort traffic',
  description: 'A NetworkPolicy isolates the backend pod and none of its ingress rules allows the NodePort client on the target port.',
  severity: 'error',
  stage: 'policy',
  requires: ['paths', 'networkPolicies', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const groups = new Map<string, Group>();
    for (const path of ctx.paths) {
      for (const b of path.branches) {
        const decision = b.stages.find((s) => s.stage === 'policy')?.policy;
        if (b.failedAt !== 'policy' || decision?.verdict !== 'denied' || !b.backend?.pod || b.sourceAtPod === null) continue;
        if (snatedDenial(ctx, path, b) !== null) continue;
        const g: Group = groups.get(b.backend.pod) ?? { pod: b.backend.pod, podNode: b.backend.node ?? '(unknown node)', port: b.backend.port ?? path.port, decision, first: path, sources: new Map() };
        const list = g.sources.get(b.sourceAtPod) ?? [];
        const e = list.find((x) => x.path === path);
        if (e) e.share += b.probability;
        else list.push({ path, share: b.probability, why: b.why });
        g.sources.set(b.sourceAtPod, list);
        groups.set(b.backend.pod, g);
      }
    }

    const findings: FindingInput<typeof MESSAGES>[] = [];
    const nodePort = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    for (const g of groups.values()) {
      const [ns, name] = g.pod.split('/') as [string, string];
      const client = g.first.client.ip;
      const proto = g.first.protocol.toUpperCase();
      const snated = [...g.sources.keys()].some((s) => s !== client);
      const pod = ctx.pods.get(ns, name);
      const clientDecision = snated && pod
        ? ctx.networkPolicies.ingress({ srcIp: client, pod, port: g.port, protocol: g.first.protocol })
        : null;
      const evidence: Evidence[] = [];
      for (const ref of g.decision.isolatedBy) {
        const spec = ctx.networkPolicies.get(ref)?.spec as { podSelector?: unknown; policyTypes?: unknown; ingress?: unknown[] } | undefined;
        evidence.push({ kind: 'object', ref: `NetworkPolicy ${ref.namespace}/${ref.name}`, field: 'spec', value: { podSelector: spec?.podSelector, policyTypes: spec?.policyTypes, ingress: spec?.ingress ?? [] } });
      }
      const affected: string[] = [];
      for (const [source, list] of g.sources) {
        for (const l of list) {
          evidence.push({ kind: 'path', node: l.path.node, summary: `${percent(l.share)} of connections to ${hostPort(l.path.address, nodePort)} reach ${g.pod} from ${source}: ${l.why}` });
          affected.push(`${percent(l.share)} of the connections that enter through ${l.path.node} (${l.path.address})`);
        }
      }
      const misses = (g.decision.misses ?? []).map((m) => `${m.policy.name}${m.rule >= 0 ? ` ingress rule ${m.rule}` : ''}: ${m.why}`).join('; ') || g.decision.reason;
      const selector = ctx.service?.selector ?? pod?.labels ?? {};
      const allowClient = {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
        metadata: { name: `allow-${ctx.service?.name ?? name}-nodeport-clients`, namespace: ns },
        spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: hostCidr(client) } }], ports: [{ protocol: proto, port: g.port }] }] },
      };
      const svc = ctx.service;
      const data = {
        policies: g.decision.isolatedBy.map((p) => `${p.namespace}/${p.name}`).join(', '),
        pod: g.pod, podNode: g.podNode, port: nodePort, target: `${g.port}/${proto}`,
        sources: [...g.sources.keys()].join(', '), misses, client,
        clientWhy: clientDecision?.reason ?? 'not evaluated',
        affected: affected.join(', '),
      };
      findings.push({
        messageId: snated ? 'deniedSnated' : 'denied',
        node: g.podNode,
        data,
        evidence,
        remediation: {
          summary: `Allow the NodePort clients to reach the pods on ${g.port}/${proto} with an ingress rule (policies add up, so a separate allow policy leaves ${g.decision.isolatedBy.map((p) => p.name).join(', ')} intact). Use the clients' real CIDR rather than one address.${snated ? ` With externalTrafficPolicy ${svc?.externalTrafficPolicy ?? 'Cluster'} remote pods see the ingress node's address instead, so also set externalTrafficPolicy Local (only nodes with a ready pod answer then) or allow the node addresses.` : ''}`,
          commands: [
            ...g.decision.isolatedBy.map((p) => sh`kubectl -n ${p.namespace} describe networkpolicy ${p.name}`),
            applyManifest(allowClient),
            ...(snated && svc ? [sh`kubectl -n ${svc.namespace} patch service ${svc.name} -p ${JSON.stringify({ spec: { externalTrafficPolicy: 'Local' } })}`] : []),
          ],
        },
      });
    }
    return findings;
  },
});
