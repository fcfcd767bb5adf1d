/**
 * kube-proxy's rules for the Service on a node disagree with the API: a KUBE-SEP chain DNATs to an
 * address that is no longer an endpoint (stale), a ready endpoint is missing from the KUBE-SVC /
 * KUBE-SVL chain, or a "has no endpoints" REJECT stands although endpoints are ready. The
 * Service's chains are found from the KUBE-NODEPORTS / KUBE-SERVICES rules that match its
 * nodePort and cluster IP and then by following jumps, so comments (which kube-proxy drops in
 * large clusters) are not needed.
 */
import type { Rule, Ruleset } from '../src/engine/iptables/ruleset.js';
import type { ServiceInfo } from '../src/model/kube.js';
import { defineCheck, type CheckContext, type Evidence, type FindingInput } from '../src/run/check.js';
import { sh } from '../src/run/command.js';
import type { KubeObject } from '../src/snapshot/schema.js';
import {
  chainEvidence, chainOf, commentOf, dportOf, hasKubeProxyRules, kubeProxyPodsOn, listText, localEndpoints, noEndpointRules, optionOf,
  protocolOf, ruleEvidence, rulesetsOf, rulesIn, servicePortName, targetOf, usedEndpoints,
} from './lib/kube-proxy.js';

const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-/;

export default defineCheck({
  id: 'kube-proxy-out-of-sync',
  title: "kube-proxy's rules disagree with the Service's endpoints",
  description: "A node's rules for the Service DNAT to addresses that are no longer endpoints, or lack ready endpoints: kube-proxy there has not synced.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState'],
  messages: {
    stale: 'kube-proxy\'s rules on {{node}} still send {{service}} to {{stale}}, which {{verb}} no longer an endpoint (the API lists {{current}}). kube-proxy on {{node}} has not applied the current EndpointSlices, so connections sent there time out or reach the wrong pod.',
    missing: 'kube-proxy\'s rules on {{node}} for {{service}} ({{chain}}) lack the ready endpoint {{missing}} that the API lists. kube-proxy on {{node}} has not applied the current EndpointSlices.',
    staleAndMissing: 'kube-proxy\'s rules on {{node}} for {{service}} disagree with the API: they send connections to {{stale}}, which {{verb}} no longer an endpoint, and lack the ready endpoint {{missing}}. kube-proxy on {{node}} has not applied the current EndpointSlices.',
    noEndpoints: 'kube-proxy on {{node}} believes {{service}} has no endpoints: its rule "{{comment}}" in {{table}}/{{chain}} (line {{line}}) rejects the connection, but the API lists the ready endpoint {{current}}. kube-proxy on {{node}} has not applied the current EndpointSlices.',
  },
  run(ctx) {
    const svc = ctx.service!;
    const port = ctx.question.port!;
    const name = servicePortName(svc, port);
    const used = usedEndpoints(ctx, svc, port);
    const key = (ip: string, p: number | null) => `${ip}:${p ?? '?'}`;
    const current = used.map((e) => key(e.address, e.port));
    const topology = usesTopology(ctx.snapshot.cluster.endpointSlices, svc);
    const findings: FindingInput[] = [];

    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      const rss = (rulesetsOf(ctx, node) ?? []).filter(hasKubeProxyRules);
      // Rules in both backends are iptables-backend-split's finding: one set is stale by nature.
      if (rss.length !== 1) continue;
      const rs = rss[0]!;
      const local = localEndpoints(ctx, svc, port, node).map((e) => key(e.address, e.port));
      const expected = new Set([...current, ...local]);

      const reject = noEndpointRules(rs, name)[0];
      if (reject !== undefined && used.length > 0) {
        findings.push(finding(ctx, svc, node, 'noEndpoints', {
          comment: commentOf(reject) ?? name, table: reject.table, chain: reject.chain, line: reject.line,
        }, [ruleEvidence(node, rs, reject), ...sliceEvidence(svc, used)]));
        continue;
      }

      const graph = serviceGraph(rs, svc, port.port, port.nodePort!, port.protocol.toLowerCase(), name);
      // Rules this node's iptables cannot print say nothing about their DNAT: iptables-version-skew.
      if (graph.entries.length === 0 || graph.undecidable) continue;
      const stale = [...graph.dnat.values()].filter((d) => !expected.has(d.dest));
      const missing: { chain: string; eps: string[]; jumps: Rule[] }[] = [];
      if (!topology) {
        for (const [chain, reach] of graph.reach) {
          const want = chain.startsWith('KUBE-SVC-') ? current : chain.startsWith('KUBE-SVL-') ? local : null;
          if (want === null) continue;
          const lacking = want.filter((w) => !reach.has(w));
          if (lacking.length > 0) missing.push({ chain, eps: lacking, jumps: rulesIn(rs, 'nat', chain).filter((r) => targetOf(r)?.startsWith('KUBE-SEP-') === true) });
        }
      }
      if (stale.length === 0 && missing.length === 0) continue;

      const evidence: Evidence[] = [...graph.entries.map((r) => ruleEvidence(node, rs, r))];
      for (const s of stale) evidence.push(ruleEvidence(node, rs, s.rule));
      for (const m of missing) {
        if (m.jumps.length === 0) evidence.push(chainEvidence(node, rs, chainOf(rs, 'nat', m.chain)!, 'no endpoint rules'));
        for (const j of m.jumps) evidence.push(ruleEvidence(node, rs, j));
      }
      const missingEps = [...new Set(missing.flatMap((m) => m.eps))];
      evidence.push(...sliceEvidence(svc, used.filter((e) => missingEps.includes(key(e.address, e.port)) || stale.length > 0)));
      const staleDests = [...new Set(stale.map((s) => s.dest))];
      findings.push(finding(ctx, svc, node, stale.length > 0 && missing.length > 0 ? 'staleAndMissing' : stale.length > 0 ? 'stale' : 'missing', {
        stale: listText(staleDests), verb: staleDests.length === 1 ? 'is' : 'are',
        missing: listText(missingEps), chain: listText(missing.map((m) => m.chain)),
        current: current.length > 0 ? listText(current) : 'no ready endpoint',
      }, evidence));
    }
    return findings;
  },
});

interface Graph {
  /** The KUBE-NODEPORTS / KUBE-SERVICES rules that lead into the Service's chains. */
  entries: Rule[];
  /** Every DNAT of the Service's KUBE-SEP chains, by chain. */
  dnat: Map<string, { dest: string; rule: Rule }>;
  /** For each KUBE-SVC / KUBE-SVL chain reached: the DNAT destinations reachable from it. */
  reach: Map<string, Set<string>>;
  /** A rule of the Service's chains this iptables printed as "[unsupported revision]". */
  undecidable: boolean;
}

function serviceGraph(rs: Ruleset, svc: ServiceInfo, svcPort: number, nodePort: number, proto: string, name: string): Graph {
  const protoOk = (r: Rule) => protocolOf(r) === null || protocolOf(r) === proto;
  const clusterIps = new Set(svc.clusterIPs.filter((ip) => !ip.includes(':')).map((ip) => `${ip}/32`));
  const entries = [
    ...rulesIn(rs, 'nat', 'KUBE-NODEPORTS').filter((r) => protoOk(r) && (dportOf(r) === nodePort || commentOf(r) === name)),
    ...rulesIn(rs, 'nat', 'KUBE-SERVICES').filter((r) => protoOk(r) && ((dportOf(r) === svcPort && clusterIps.has(normalise(optionOf(r, '-d', '')?.values[0]))) || commentOf(r) === `${name} cluster IP`)),
  ].filter((r) => SERVICE_CHAIN.test(targetOf(r) ?? ''));

  const children = new Map<string, string[]>();
  const dnat = new Map<string, { dest: string; rule: Rule }>();
  const queue = entries.map((r) => targetOf(r)!);
  const seen = new Set<string>();
  let undecidable = false;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (seen.has(c)) continue;
    seen.add(c);
    const kids: string[] = [];
    for (const r of rulesIn(rs, 'nat', c)) {
      if (r.target?.unsupportedRevision === true || r.matches.some((m) => m.unsupportedRevision === true)) undecidable = true;
      const t = targetOf(r);
      if (t === 'DNAT') {
        const to = r.target!.options.find((o) => o.name === '--to-destination')?.values[0];
        if (to !== undefined) dnat.set(c, { dest: to, rule: r });
      } else if (t !== null && SERVICE_CHAIN.test(t)) {
        kids.push(t);
        queue.push(t);
      }
    }
    children.set(c, kids);
  }
  const reachOf = (c: string, path: Set<string>): Set<string> => {
    const out = new Set<string>();
    const d = dnat.get(c);
    if (d !== undefined) out.add(d.dest);
    for (const k of children.get(c) ?? []) if (!path.has(k)) for (const x of reachOf(k, new Set([...path, k]))) out.add(x);
    return out;
  };
  const reach = new Map<string, Set<string>>();
  for (const c of seen) if (/^KUBE-(SVC|SVL)-/.test(c)) reach.set(c, reachOf(c, new Set([c])));
  return { entries, dnat, reach, undecidable };
}

const normalise = (cidr: string | undefined): string => cidr === undefined ? '' : cidr.includes('/') ? cidr : `${cidr}/32`;

/** Topology-aware routing legitimately leaves endpoints out of a node's KUBE-SVC chain. */
function usesTopology(slices: KubeObject[], svc: ServiceInfo): boolean {
  const spec = (svc.object.spec ?? {}) as { trafficDistribution?: string };
  const ann = ((svc.object.metadata as { annotations?: Record<string, string> }).annotations) ?? {};
  if (spec.trafficDistribution !== undefined || ann['service.kubernetes.io/topology-mode'] !== undefined || ann['service.kubernetes.io/topology-aware-hints'] !== undefined) return true;
  return slices.some((s) => s.metadata.namespace === svc.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === svc.name
    && Array.isArray(s.endpoints) && (s.endpoints as { hints?: unknown }[]).some((e) => e.hints !== undefined));
}

function sliceEvidence(svc: ServiceInfo, eps: { address: string; port: number | null; slice: string; ready: boolean; nodeName: string | null; pod: { name: string } | null }[]): Evidence[] {
  return eps.map((e) => ({
    kind: 'object' as const, ref: `EndpointSlice ${svc.namespace}/${e.slice}`, field: `endpoints[${e.address}]`,
    value: `${e.address}:${e.port ?? '?'} ready ${e.ready}${e.nodeName ? ` on ${e.nodeName}` : ''}${e.pod ? ` (pod ${e.pod.name})` : ''}`,
  }));
}

function finding(ctx: CheckContext, svc: ServiceInfo, node: string, messageId: string,
  data: Record<string, string | number>, evidence: Evidence[]): FindingInput {
  const pod = kubeProxyPodsOn(ctx, node)[0];
  return {
    messageId,
    node,
    data: { node, service: `${svc.namespace}/${svc.name}`, ...data },
    evidence,
    remediation: {
      summary: `Restart kube-proxy on ${node} so it rewrites the rules from the API; if they go stale again, its log shows why it stopped syncing (API server unreachable, iptables-restore failures).`,
      commands: [
        pod !== undefined ? sh`kubectl -n kube-system logs ${pod.name} | tail -50` : sh`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`,
        pod !== undefined ? sh`kubectl -n kube-system delete pod ${pod.name}` : sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}`,
        sh`kubectl -n ${svc.namespace} get endpointslices -l kubernetes.io/service-name=${svc.name} -o wide`,
      ],
    },
  };
}
