/**
 * externalTrafficPolicy Local exists to keep the client's address, yet a NAT rule on the node
 * rewrites the source on its way to the pod: ip-masq-agent whose nonMasqueradeCIDRs lack the pod
 * network, a CNI's masquerade rule, kube-proxy's masqueradeAll. The connection works, but the pod
 * (its logs, its allow-lists, NetworkPolicy ipBlocks) sees a node address instead of the client.
 */
import { defineCheck, hostPort, rulesOf, sh, type Command, type Evidence, type FindingInput, type Hop, type NodePath, type PathBranch } from '../src/check-kit/index.js';
import { iptablesFor, podCidrsOf } from './lib/family.js';
import { percent } from './lib/text.js';

interface Snat { path: NodePath; branch: PathBranch; seen: string }

function ownerOf(chain: string): string {
  if (chain.startsWith('IP-MASQ-AGENT')) return 'ip-masq-agent';
  if (chain.startsWith('KUBE-')) return 'kube-proxy';
  if (chain.startsWith('FLANNEL')) return 'flannel';
  if (chain.startsWith('cali-')) return 'Calico';
  return 'a';
}

const MESSAGES = {
  snat:
    'Service {{service}} has externalTrafficPolicy Local to keep the client\'s address, but on {{node}} {{owner}} rule nat/{{chain}} line {{line}} `{{rule}}` {{action}}s NodePort {{port}} connections on their way to {{pods}}: the pod sees {{seen}}, not the client {{client}}. Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'unexpected-snat',
  title: 'externalTrafficPolicy Local, but the client address is rewritten',
  description: 'A Service with externalTrafficPolicy Local has its NodePort traffic SNATed on the way to the pod (ip-masq-agent, a CNI or other masquerade rule), so the pod never sees the client address.',
  severity: 'warning',
  stage: 'node',
  requires: ['service', 'paths', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const svc = ctx.service;
    if (svc.externalTrafficPolicy !== 'Local') return [];
    const byRule = new Map<string, { node: string; hop: Hop; rule: string; items: [Snat, ...Snat[]] }>();
    for (const path of ctx.paths) {
      for (const branch of path.branches) {
        for (const s of branch.stages) {
          const o = s.outcome;
          if ((s.stage !== 'ingress' && s.stage !== 'backend-node') || o === undefined || o.snat === null || o.verdict !== 'ACCEPT') continue;
          const hop = [...o.hops].reverse().find((h) => h.action === 'MASQUERADE' || h.action.startsWith('SNAT'));
          if (hop === undefined || hop.rule === null) continue;
          const node = s.node ?? path.node;
          // kube-proxy masquerades eTP Local traffic from the node itself or from pods on purpose.
          if (ownerOf(hop.chain) === 'kube-proxy' && (ctx.nodes.inPodCidr(path.client.ip) || ctx.nodes.byAddress(path.client.ip) !== undefined)) continue;
          const seen = o.snat.ip ?? branch.sourceAtPod ?? `an address of ${node}`;
          if (seen === path.client.ip) continue;
          const key = `${node}\0${hop.source ?? ''}\0${hop.line}`;
          const item: Snat = { path, branch, seen };
          const e = byRule.get(key);
          if (e === undefined) byRule.set(key, { node, hop, rule: hop.rule, items: [item] });
          else e.items.push(item);
        }
      }
    }

    const findings: FindingInput<typeof MESSAGES>[] = [];
    const family = ctx.question.family;
    // No node lists a pod CIDR of the family: IPv4 falls back to flannel's default; IPv6 has no common
    // default, so the fixes that need a CIDR are left out.
    const podCidr = podCidrsOf(ctx.nodes.podCidrs(), family)[0] ?? (family === 4 ? '10.244.0.0/16' : undefined);
    const ipt = iptablesFor(family);
    for (const { node, hop, rule, items } of byRule.values()) {
      const rulesets = ctx.nodeState(node).rulesets;
      const rs = rulesets === null ? undefined : rulesets.find((r) => r.source === hop.source) ?? rulesets[0];
      const source = hop.source ?? rs?.source ?? `${node}:iptables-save`;
      const owner = ownerOf(hop.chain);
      const evidence: Evidence[] = [{ kind: 'rule', node, source, table: hop.table, chain: hop.chain, line: hop.line, rule: hop.rule, action: hop.action }];
      const [sample] = items;
      // The jumps that led there (ip-masq-agent's POSTROUTING hook rule, its RETURNs that did not match).
      const o = sample.branch.stages.find((s) => s.outcome?.hops.includes(hop))?.outcome;
      for (const h of o?.hops.filter((x) => x.table === 'nat' && x.chain === 'POSTROUTING' && x.action === `JUMP ${hop.chain}`) ?? []) {
        evidence.push({ kind: 'rule', node, source: h.source ?? source, table: h.table, chain: h.chain, line: h.line, rule: h.rule, action: h.action });
      }
      evidence.push({ kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: 'spec.externalTrafficPolicy', value: 'Local' });
      const byIngress = new Map<string, { path: NodePath; share: number; seen: string }>();
      for (const it of items) {
        const e = byIngress.get(it.path.node) ?? { path: it.path, share: 0, seen: it.seen };
        e.share += it.branch.probability;
        byIngress.set(it.path.node, e);
      }
      for (const e of byIngress.values()) evidence.push({ kind: 'path', node: e.path.node, summary: `${percent(e.share)} of connections to ${hostPort(e.path.address, e.path.port)} reach the pod from ${e.seen}` });

      let summary: string;
      let commands: Command[];
      if (owner === 'ip-masq-agent') {
        // Its RETURN rules are the configured nonMasqueradeCIDRs; add the pod network to them.
        const chain = rs?.tables.get('nat')?.chains.get(hop.chain);
        const keep = chain && rs ? rulesOf(rs, chain).filter((r) => r.target?.name === 'RETURN').flatMap((r) => r.matches.flatMap((m) => m.options.filter((x) => x.name === '-d' && !x.negated).flatMap((x) => x.values.slice(0, 1)))) : [];
        const linkLocal = !keep.includes('169.254.0.0/16');
        const config = (cidr: string) => {
          const cidrs = [...new Set([...keep.filter((c) => c !== '169.254.0.0/16'), cidr])];
          return `nonMasqueradeCIDRs:\n${cidrs.map((c) => `- ${c}\n`).join('')}masqLinkLocal: ${linkLocal}\nresyncInterval: 60s\n`;
        };
        summary = `Add the pod network ${podCidr ?? `(the cluster's IPv${family} pod CIDR: no node lists one, so no patch is given)`} to ip-masq-agent's nonMasqueradeCIDRs (ConfigMap kube-system/ip-masq-agent): traffic to pods must never be masqueraded. The agent rewrites its chain within its resync interval.`;
        commands = [
          sh`kubectl -n kube-system get configmap ip-masq-agent -o yaml`,
          ...(podCidr === undefined ? [] : [sh`kubectl -n kube-system patch configmap ip-masq-agent --type merge -p ${JSON.stringify({ data: { config: config(podCidr) } })}`]),
          ipt`-t nat -S ${hop.chain}`,
        ];
      } else if (owner === 'kube-proxy') {
        summary = 'kube-proxy marks this traffic for masquerading: check iptables.masqueradeAll in ConfigMap kube-system/kube-proxy (it masquerades all Service traffic) and kube-proxy\'s --cluster-cidr / detectLocalMode.';
        commands = [sh`kubectl -n kube-system get configmap kube-proxy -o yaml`, ipt`-t nat -S ${hop.chain}`];
      } else {
        summary = `Exempt traffic to the pod network${podCidr === undefined ? ` (no node lists an IPv${family} pod CIDR, so no rule is given)` : ''} from this rule on ${node} (it should only masquerade pod traffic leaving the cluster), in the tool that writes it${owner !== 'a' ? ` (${owner})` : ''}.`;
        commands = [...(podCidr === undefined ? [] : [ipt`-t nat -I ${hop.chain} 1 -d ${podCidr} -j RETURN`]), ipt`-t nat -S ${hop.chain}`];
      }
      const seen = [...new Set(items.map((i) => i.seen))].join(', ');
      findings.push({
        messageId: 'snat',
        node,
        data: {
          service: `${svc.namespace}/${svc.name}`, node, owner: owner === 'a' ? 'a' : `${owner}'s`, chain: hop.chain, line: hop.line, rule,
          action: hop.action === 'MASQUERADE' ? 'masquerade' : 'SNAT', port: sample.path.port,
          pods: [...new Set(items.map((i) => i.branch.backend?.pod ?? i.branch.backend?.ip ?? '?'))].join(', '),
          seen, client: sample.path.client.ip,
          affected: [...byIngress.values()].map((e) => `${percent(e.share)} of the connections that enter through ${e.path.node} (${e.path.address})`).join(', '),
        },
        evidence,
        remediation: { summary, commands },
      });
    }
    return findings;
  },
});
