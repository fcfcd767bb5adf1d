/**
 * kube-proxy's rules for the Service on a node disagree with the API: a KUBE-SEP chain DNATs to an
 * address that is no longer an endpoint (stale), a ready endpoint is missing from the KUBE-SVC /
 * KUBE-SVL chain, or a "has no endpoints" REJECT stands although endpoints are ready. The
 * Service's chains are found from the KUBE-NODEPORTS / KUBE-SERVICES rules that match its
 * nodePort and cluster IP and then by following jumps, so comments (which kube-proxy drops in
 * large clusters) are not needed.
 */
import {
  chainEvidence, defineCheck, familyOf, hostCidr, hostPort, readableRules, ruleEvidence, sh, type Evidence, type FindingInput, type KubeObject, type KubeProxy, type Remediation,
  type Rule, type Ruleset, type ServiceInfo,
} from '../src/check-kit/index.js';
import { chainOf, commentOf, dportOf, optionOf, protocolOf, rulesKeyed, targetOf } from './lib/iptables-rule.js';
import { hasKubeProxyRules, noEndpointsRejectRules, servicePortName } from './lib/kube-proxy-rules.js';
import { listText } from './lib/text.js';

const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-/;

const MESSAGES = {
  stale: 'kube-proxy\'s rules on {{node}} still send {{service}} to {{stale}}, which {{verb}} no longer an endpoint (the API lists {{current}}). kube-proxy on {{node}} has not applied the current EndpointSlices, so connections sent there time out or reach the wrong pod.',
  missing: 'kube-proxy\'s rules on {{node}} for {{service}} ({{chain}}) lack the ready endpoint {{missing}} that the API lists. kube-proxy on {{node}} has not applied the current EndpointSlices.',
  staleAndMissing: 'kube-proxy\'s rules on {{node}} for {{service}} disagree with the API: they send connections to {{stale}}, which {{verb}} no longer an endpoint, and lack the ready endpoint {{missing}}. kube-proxy on {{node}} has not applied the current EndpointSlices.',
  noEndpoints: 'kube-proxy on {{node}} believes {{service}} has no endpoints: its rule "{{comment}}" in {{table}}/{{chain}} (line {{line}}) rejects the connection, but the API lists the ready endpoint {{current}}. kube-proxy on {{node}} has not applied the current EndpointSlices.',
} as const;

export default defineCheck({
  id: 'kube-proxy-out-of-sync',
  title: "kube-proxy's rules disagree with the Service's endpoints",
  description: "A node's rules for the Service DNAT to addresses that are no longer endpoints, or lack ready endpoints: kube-proxy there has not synced.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const name = servicePortName(svc, port);
    const used = ctx.endpointSlices.used(svc, port);
    // As the DNAT prints it, so the rules' destinations and the API's endpoints compare.
    const key = hostPort;
    const current = used.map((e) => key(e.address, e.port));
    const currentText = current.length > 0 ? listText(current) : 'no ready endpoint';
    const topology = usesTopology(ctx.endpointSlices.objectsOf(svc), svc);
    const service = `${svc.namespace}/${svc.name}`;
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      // A kube-proxy replacement handles NodePorts here: kube-proxy-replaced says so.
      if (ctx.nodeState(node).proxyReplacement !== null) continue;
      const rss = (ctx.nodeState(node).rulesets ?? []).filter(hasKubeProxyRules);
      // Rules in both backends are iptables-backend-split's finding: one set is stale by nature.
      const [rs, ...others] = rss;
      if (rs === undefined || others.length > 0) continue;
      const local = ctx.endpointSlices.local(svc, port, node).map((e) => key(e.address, e.port));
      const expected = new Set([...current, ...local]);
      const remediation = restartKubeProxy(ctx.kubeProxy, svc, node);

      const reject = noEndpointsRejectRules(rs, name)[0];
      if (reject !== undefined && used.length > 0) {
        findings.push({
          messageId: 'noEndpoints', node,
          data: { node, service, comment: commentOf(reject) ?? name, table: reject.table, chain: reject.chain, line: reject.line, current: currentText },
          evidence: [ruleEvidence(node, rs, reject), ...sliceEvidence(svc, used)],
          remediation,
        });
        continue;
      }

      const graph = serviceGraph(rs, svc, ctx.question.family, port.port, port.nodePort, port.protocol.toLowerCase(), name);
      // Rules this node's iptables cannot print say nothing about their DNAT: iptables-version-skew.
      if (graph.entries.length === 0 || graph.undecidable) continue;
      const stale = [...graph.dnat.values()].filter((d) => !expected.has(d.dest));
      const missing: { chain: string; eps: string[]; jumps: Rule[] }[] = [];
      if (!topology) {
        for (const [chain, reach] of graph.reach) {
          const want = chain.startsWith('KUBE-SVC-') ? current : chain.startsWith('KUBE-SVL-') ? local : null;
          if (want === null) continue;
          const lacking = want.filter((w) => !reach.has(w));
          if (lacking.length > 0) missing.push({ chain, eps: lacking, jumps: readableRules(rs, 'nat', chain).filter((r) => targetOf(r)?.startsWith('KUBE-SEP-') === true) });
        }
      }
      if (stale.length === 0 && missing.length === 0) continue;

      const evidence: Evidence[] = [...graph.entries.map((r) => ruleEvidence(node, rs, r))];
      for (const s of stale) evidence.push(ruleEvidence(node, rs, s.rule));
      for (const m of missing) {
        const chain = chainOf(rs, 'nat', m.chain);
        if (m.jumps.length === 0 && chain !== undefined) evidence.push(chainEvidence(node, rs, chain, 'no endpoint rules'));
        for (const j of m.jumps) evidence.push(ruleEvidence(node, rs, j));
      }
      const missingEps = [...new Set(missing.flatMap((m) => m.eps))];
      evidence.push(...sliceEvidence(svc, used.filter((e) => missingEps.includes(key(e.address, e.port)) || stale.length > 0)));
      const staleDests = [...new Set(stale.map((s) => s.dest))];
      const data = {
        node, service, stale: listText(staleDests), verb: staleDests.length === 1 ? 'is' : 'are',
        missing: listText(missingEps), chain: listText(missing.map((m) => m.chain)), current: currentText,
      };
      findings.push({ messageId: stale.length > 0 && missing.length > 0 ? 'staleAndMissing' : stale.length > 0 ? 'stale' : 'missing', node, data, evidence, remediation });
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

function serviceGraph(rs: Ruleset, svc: ServiceInfo, family: 4 | 6, svcPort: number, nodePort: number, proto: string, name: string): Graph {
  const protoOk = (r: Rule) => protocolOf(r) === null || protocolOf(r) === proto;
  // Each family's proxier writes the ClusterIP of its own family only.
  const clusterIps = new Set(svc.clusterIPs.filter((ip) => familyOf(ip) === family).map(hostCidr));
  // Only the rules naming this Service's ports, addresses or comments are looked at (rulesKeyed).
  const nodePorts = rulesKeyed(rs, 'nat', 'KUBE-NODEPORTS', 'dport-comment', (r) => [`p:${dportOf(r)}`, `c:${commentOf(r)}`], [`p:${nodePort}`, `c:${name}`]);
  const services = rulesKeyed(rs, 'nat', 'KUBE-SERVICES', 'dport-dest-comment', (r) => [`d:${dportOf(r)} ${normalise(optionOf(r, '-d', '')?.values[0])}`, `c:${commentOf(r)}`],
    [...[...clusterIps].map((c) => `d:${svcPort} ${c}`), `c:${name} cluster IP`]);
  const entries = [
    ...nodePorts.filter((r) => protoOk(r) && (dportOf(r) === nodePort || commentOf(r) === name)),
    ...services.filter((r) => protoOk(r) && ((dportOf(r) === svcPort && clusterIps.has(normalise(optionOf(r, '-d', '')?.values[0]))) || commentOf(r) === `${name} cluster IP`)),
  ].filter((r) => SERVICE_CHAIN.test(targetOf(r) ?? ''));

  const children = new Map<string, string[]>();
  const dnat = new Map<string, { dest: string; rule: Rule }>();
  const queue = entries.flatMap((r) => targetOf(r) ?? []);
  const seen = new Set<string>();
  let undecidable = false;
  for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
    if (seen.has(c)) continue;
    seen.add(c);
    const kids: string[] = [];
    for (const r of readableRules(rs, 'nat', c)) {
      if (r.target?.unsupportedRevision === true || r.matches.some((m) => m.unsupportedRevision === true)) undecidable = true;
      const t = targetOf(r);
      if (t === 'DNAT') {
        const to = r.target?.options.find((o) => o.name === '--to-destination')?.values[0];
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

const normalise = (cidr: string | undefined): string => cidr === undefined ? '' : cidr.includes('/') ? cidr : hostCidr(cidr);

/** Topology-aware routing legitimately leaves endpoints out of a node's KUBE-SVC chain. */
function usesTopology(slices: KubeObject[], svc: ServiceInfo): boolean {
  const spec = (svc.object.spec ?? {}) as { trafficDistribution?: string };
  const ann = ((svc.object.metadata as { annotations?: Record<string, string> }).annotations) ?? {};
  if (spec.trafficDistribution !== undefined || ann['service.kubernetes.io/topology-mode'] !== undefined || ann['service.kubernetes.io/topology-aware-hints'] !== undefined) return true;
  return slices.some((s) => Array.isArray(s.endpoints) && (s.endpoints as { hints?: unknown }[]).some((e) => e.hints !== undefined));
}

function sliceEvidence(svc: ServiceInfo, eps: { address: string; port: number | null; slice: string; ready: boolean; nodeName: string | null; pod: { name: string } | null }[]): Evidence[] {
  return eps.map((e) => ({
    kind: 'object' as const, ref: `EndpointSlice ${svc.namespace}/${e.slice}`, field: `endpoints[${e.address}]`,
    value: `${e.port === null ? `${e.address}:?` : hostPort(e.address, e.port)} ready ${e.ready}${e.nodeName ? ` on ${e.nodeName}` : ''}${e.pod ? ` (pod ${e.pod.name})` : ''}`,
  }));
}

/** Restart kube-proxy on the node, with its log, and show the EndpointSlices it should follow. */
function restartKubeProxy(kubeProxy: KubeProxy, svc: ServiceInfo, node: string): Remediation {
  const pod = kubeProxy.podsOn(node)[0];
  return {
    summary: `Restart kube-proxy on ${node} so it rewrites the rules from the API; if they go stale again, its log shows why it stopped syncing (API server unreachable, iptables-restore failures).`,
    commands: [
      pod !== undefined ? sh`kubectl -n kube-system logs ${pod.name} | tail -50` : sh`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`,
      pod !== undefined ? sh`kubectl -n kube-system delete pod ${pod.name}` : sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}`,
      sh`kubectl -n ${svc.namespace} get endpointslices -l kubernetes.io/service-name=${svc.name} -o wide`,
    ],
  };
}
