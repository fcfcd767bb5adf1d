/**
 * A NetworkPolicy drops NodePort traffic because of the source address the pod sees, not the
 * client's: with externalTrafficPolicy Cluster the ingress node masquerades a connection it sends
 * to another node's pod, so the policy is evaluated against the node's address (or its tunnel
 * address), which an ipBlock for the clients or a namespaceSelector does not match. The same policy
 * would allow the client. Traffic from the pod's own node is always allowed, so the NodePort works
 * only via the node that runs the pod. Any other policy denial is netpol-blocks-traffic's.
 */
import { defineCheck, familyOf, hostCidr, hostPort, sh, type Evidence, type FindingInput, type PolicyDecision } from '../src/check-kit/index.js';
import { podCidrsOf } from './lib/family.js';
import { applyManifest } from './lib/kubectl-apply.js';
import { snatedDenial } from './lib/snated-denial.js';
import { percent } from './lib/text.js';

const UNKNOWN_NODE = '(unknown node)';

interface Arrival { ingress: string; address: string; share: number; why: string }

interface Group {
  pod: string;
  podNode: string;
  port: number;
  decision: PolicyDecision;
  client: PolicyDecision;
  /** source address → the ingress nodes whose connections arrive with it, and their share. */
  sources: Map<string, [Arrival, ...Arrival[]]>;
}

const MESSAGES = {
  snated:
    'NetworkPolicy {{policies}} drops NodePort {{port}} connections that enter through {{via}}: they reach pod {{pod}} on {{podNode}} masqueraded to {{sources}}, and {{miss}}. The policy allows the client {{client}} itself ({{allowedBy}}), but it never sees it: with externalTrafficPolicy {{etp}} the ingress node replaces the client address with its own when it forwards to a pod on another node. Through {{podNode}}, the node that runs the pod, connections pass because NetworkPolicy always allows traffic from the pod\'s own node, which is why the NodePort works only via that node.',
} as const;

export default defineCheck({
  id: 'netpol-blocks-snated-source',
  title: 'NetworkPolicy sees the ingress node, not the client',
  description: 'A NetworkPolicy drops NodePort traffic that arrives masqueraded to an ingress node address, although it would allow the client itself (works only via the node that runs the pod).',
  severity: 'error',
  stage: 'policy',
  requires: ['paths', 'networkPolicies', 'pods', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const groups = new Map<string, Group>();
    for (const path of ctx.paths) {
      for (const b of path.branches) {
        const d = snatedDenial(ctx, path, b);
        if (d === null) continue;
        const { pod, backend, source } = d;
        const g: Group = groups.get(pod) ?? { pod, podNode: backend.node ?? UNKNOWN_NODE, port: backend.port ?? path.port, decision: d.decision, client: d.client, sources: new Map() };
        const arrival: Arrival = { ingress: path.node, address: path.address, share: b.probability, why: b.why };
        const list = g.sources.get(source);
        const e = list?.find((x) => x.ingress === path.node);
        if (e) e.share += b.probability;
        else if (list) list.push(arrival);
        else g.sources.set(source, [arrival]);
        groups.set(pod, g);
      }
    }

    const findings: FindingInput<typeof MESSAGES>[] = [];
    const svc = ctx.service;
    const nodePort = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    const client = ctx.paths[0]?.client.ip ?? ctx.question.client.ip;
    for (const g of groups.values()) {
      const [ns, name] = g.pod.split('/') as [string, string];
      const policies = g.decision.isolatedBy.map((p) => `${p.namespace}/${p.name}`);
      const miss = g.decision.misses?.[0];
      const allowed = g.client.allowedBy;
      const ruleOf = (ref: { namespace: string; name: string }, rule: number) => ((ctx.networkPolicies.get(ref)?.spec as { ingress?: unknown[] } | undefined)?.ingress ?? [])[rule];
      const evidence: Evidence[] = [];
      if (allowed) {
        const rule = ruleOf(allowed.policy, allowed.rule) as { from?: unknown[] } | undefined;
        evidence.push({
          kind: 'object', ref: `NetworkPolicy ${allowed.policy.namespace}/${allowed.policy.name}`,
          field: allowed.peer === 'all' ? `spec.ingress[${allowed.rule}]` : `spec.ingress[${allowed.rule}].from[${allowed.peer}]`,
          value: allowed.peer === 'all' ? rule : rule?.from?.[allowed.peer],
        });
      }
      for (const m of g.decision.misses ?? []) {
        const same = allowed !== undefined && allowed.policy.namespace === m.policy.namespace && allowed.policy.name === m.policy.name && allowed.rule === m.rule;
        if (m.rule >= 0 && !same) evidence.push({ kind: 'object', ref: `NetworkPolicy ${m.policy.namespace}/${m.policy.name}`, field: `spec.ingress[${m.rule}]`, value: ruleOf(m.policy, m.rule) });
      }
      const vias: string[] = [];
      const cidrs: string[] = [];
      for (const [source, list] of g.sources) {
        // A tunnel or bridge address in the pod network stands for that node's whole pod subnet.
        const owner = ctx.nodes.byAddress(source);
        const subnet = owner === undefined && ctx.nodes.inPodCidr(source)
          ? podCidrsOf(ctx.nodes.all.find((n) => list.some((l) => l.ingress === n.name))?.podCIDRs ?? [], familyOf(source))[0]
          : undefined;
        cidrs.push(subnet ?? hostCidr(source));
        for (const l of list) {
          vias.push(`${l.ingress} (${l.address})`);
          evidence.push({ kind: 'path', node: l.ingress, summary: `${percent(l.share)} of connections to ${hostPort(l.address, nodePort)} reach ${g.pod} from ${source}: ${l.why}` });
        }
      }
      const sources = [...g.sources.entries()].map(([s, [l]]) => `${s} (${ctx.nodes.byAddress(s) ? `${l.ingress}'s address`
        : ctx.nodes.inPodCidr(s) ? `${l.ingress}'s tunnel or bridge address, inside the pod network` : `an address of ${l.ingress}`})`).join(', ');
      const subnets = cidrs.some((c) => !c.endsWith('/32') && !c.endsWith('/128'));
      const selector = svc?.selector ?? ctx.pods.get(ns, name)?.labels ?? {};
      const proto = (ctx.paths[0]?.protocol ?? 'tcp').toUpperCase();
      const allowNodes = {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
        metadata: { name: `allow-nodeport-from-nodes`, namespace: ns },
        spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress'], ingress: [{ from: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: proto, port: g.port }] }] },
      };
      // The finding is about the nodes whose connections fail (one is named when there is one);
      // the pod's node is where the NodePort still works.
      const failing = [...new Set([...g.sources.values()].flat().map((l) => l.ingress))];
      findings.push({
        messageId: 'snated',
        ...(failing.length === 1 ? { node: failing[0] } : {}),
        ...(g.podNode === UNKNOWN_NODE ? {} : { workingNodes: [g.podNode] }),
        data: {
          policies: policies.join(', '), port: nodePort, via: vias.join(', '), pod: g.pod, podNode: g.podNode, sources,
          miss: miss ? `${miss.rule >= 0 ? `its closest rule (ingress rule ${miss.rule} of ${miss.policy.name})` : `${miss.policy.name}`} does not match: ${miss.why}` : 'no ingress rule matches that source',
          client, allowedBy: allowed ? `${allowed.policy.name} ingress rule ${allowed.rule}${allowed.peer === 'all' ? '' : `, peer ${allowed.peer}`}` : 'allowed',
          etp: svc?.externalTrafficPolicy ?? 'Cluster',
        },
        evidence,
        remediation: {
          summary: `Either keep the client address: externalTrafficPolicy Local makes every node send NodePort traffic only to its own pods without SNAT (trade-off: a node without a ready pod drops the connection, so clients or the load balancer must use nodes that run one). Or allow the masquerade addresses ${cidrs.join(', ')} in a policy (trade-off: then every client that comes in through those nodes, and every host process on them, is allowed, so the policy no longer restricts NodePort clients${subnets ? '; a pod-network address stands for that node\'s pod subnet, which also admits the pods running there' : ''}).`,
          commands: svc
            ? [
              sh`kubectl -n ${svc.namespace} patch service ${svc.name} -p ${JSON.stringify({ spec: { externalTrafficPolicy: 'Local' } })}`,
              applyManifest(allowNodes),
            ]
            : [applyManifest(allowNodes)],
        },
      });
    }
    return findings;
  },
});
