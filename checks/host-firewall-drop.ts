/**
 * A NodePort connection is dropped or rejected by a rule that neither kube-proxy nor kubelet
 * wrote: a host firewall (ufw, firewalld, the RHEL iptables-services ruleset), a Calico host
 * endpoint, Docker's isolation chains, or a hand-written rule. kube-proxy's own DROP/REJECT rules
 * (KUBE-*) are other checks' findings. A chain policy DROP is reported here for every chain but
 * filter FORWARD (ufw's "default deny incoming" is the INPUT policy); FORWARD's is forward-policy-drop's.
 */
import {
  defineCheck, hostCidr, hostPort, ruleSpecWords, rulesOf, sh, type Command, type Evidence, type FindingInput, type Hop, type NodePath, type Outcome, type PathBranch,
  type Ruleset,
} from '../src/check-kit/index.js';
import { iptablesFor, podCidrsOf } from './lib/family.js';
import { percent } from './lib/text.js';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
/** kube-router writes KUBE-* chains too, but it is a firewall (its NetworkPolicy and pod firewall), not kube-proxy. */
const KUBE_ROUTER = /^KUBE-(ROUTER-|POD-FW-|NWPLCY-)/;

/** Written by kube-proxy or kubelet: another check explains those. */
const kubeOwned = (chain: string) => chain.startsWith('KUBE-') && !KUBE_ROUTER.test(chain);
/** kube-proxy in nftables mode keeps its rules in `table ip kube-proxy` (`ip6` for IPv6); IPVS hops are kube-proxy's too. */
const kubeProxyHop = (h: Hop) => ((h.family === 'ip' || h.family === 'ip6') && h.table === 'kube-proxy') || h.table === 'ipvs';

type Tool = 'ufw' | 'firewalld' | 'calico-hep' | 'calico' | 'docker' | 'flannel' | 'kube-router' | 'iptables-services' | 'other';

const TOOL_TEXT: Record<Tool, string> = {
  ufw: 'ufw',
  firewalld: 'firewalld',
  'calico-hep': 'Calico host endpoint policy',
  calico: 'Calico',
  docker: 'Docker',
  flannel: 'flannel',
  'kube-router': 'kube-router',
  'iptables-services': 'iptables-services (/etc/sysconfig/iptables)',
  other: 'a',
};

const FIREWALLD_CHAIN = /^(INPUT_direct|FORWARD_direct|OUTPUT_direct|INPUT_ZONES|FORWARD_IN_ZONES|FORWARD_OUT_ZONES|IN_|FWDI_|FWDO_|FWD_)/;

function toolOf(chain: string, rule: string, rs: Ruleset): Tool {
  if (chain.startsWith('ufw-')) return 'ufw';
  if (FIREWALLD_CHAIN.test(chain)) return 'firewalld';
  if (/^cali-(fh-|th-|from-host-endpoint|to-host-endpoint|from-hep-forward|to-hep-forward|pre-dnat)/.test(chain)) return 'calico-hep';
  if (chain.startsWith('cali-')) return 'calico';
  if (chain.startsWith('DOCKER')) return 'docker';
  if (chain.startsWith('FLANNEL')) return 'flannel';
  if (KUBE_ROUTER.test(chain)) return 'kube-router';
  if (BUILTIN.has(chain)) {
    const chains = [...(rs.tables.get('filter')?.chains.keys() ?? [])];
    if (chains.some((c) => FIREWALLD_CHAIN.test(c))) return 'firewalld';
    if (chains.some((c) => c.startsWith('ufw-'))) return 'ufw';
    if (rule.includes('icmp-host-prohibited')) return 'iptables-services';
  }
  return 'other';
}

interface Hit {
  path: NodePath;
  branch: PathBranch;
  outcome: Outcome;
  hop: Hop;
  /** The built-in chain (hook) the rule was reached from. */
  hook: string;
}

/** The built-in chain (hook) through which the walk reached `hop`, the last of `hops`. */
function hookOf(hops: Hop[], hop: Hop): string {
  return [...hops].reverse().find((h) => h.table === hop.table && BUILTIN.has(h.chain))?.chain ?? hop.chain;
}

/** The jumps that entered the chain of `hop` (one of `hops`), from the built-in chain down (empty for a built-in chain). */
function callers(hops: Hop[], hop: Hop): Hop[] {
  const out: Hop[] = [];
  let target = hop.chain;
  for (const h of hops.slice(0, hops.indexOf(hop)).reverse()) {
    if (BUILTIN.has(target)) break;
    if (h.table === hop.table && (h.action === `JUMP ${target}` || h.action === `GOTO ${target}`)) {
      out.unshift(h);
      target = h.chain;
    }
  }
  return out;
}

const MESSAGES = {
  dropped:
    '{{node}} {{verb}} NodePort {{port}} connections {{toWhat}}: {{tool}} rule {{table}}/{{chain}} line {{line}} `{{rule}}` {{verb}} them{{rejectNote}}. Affected: {{affected}}.',
  droppedNft:
    '{{node}} {{verb}} NodePort {{port}} connections {{toWhat}}: {{tool}} rule in {{family}} {{table}}/{{chain}} (handle {{line}}) `{{rule}}` {{verb}} them{{rejectNote}}. Affected: {{affected}}.',
  policy:
    '{{node}} drops NodePort {{port}} connections {{toWhat}}: no rule in {{table}}/{{chain}} accepts them (nothing allows {{proto}} port {{dport}}), and the chain\'s policy is DROP{{owner}} (the client times out). Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'host-firewall-drop',
  title: 'A host firewall drops NodePort traffic',
  description: 'A DROP or REJECT rule not written by kube-proxy or kubelet (ufw, firewalld, Calico host endpoint, a hand-written rule), or a default-deny INPUT policy, stops the NodePort connection on the ingress or backend node.',
  severity: 'error',
  stage: 'node',
  requires: ['paths', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const byRule = new Map<string, { node: string; hits: [Hit, ...Hit[]] }>();
    for (const path of ctx.paths) {
      for (const branch of path.branches) {
        if (branch.result === 'delivered') continue;
        const s = branch.stages.find((x) => x.ok === false && (x.stage === 'ingress' || x.stage === 'backend-node') && x.outcome !== undefined);
        const o = s?.outcome;
        if (s === undefined || o === undefined || (o.verdict !== 'DROP' && o.verdict !== 'REJECT')) continue;
        const hop = o.hops[o.hops.length - 1];
        if (hop === undefined) continue;
        if (hop.rule === null) {
          // A policy: filter FORWARD's is forward-policy-drop's.
          if (hop.action !== 'POLICY DROP' || (hop.table === 'filter' && hop.chain === 'FORWARD')) continue;
        } else if ((hop.action !== 'DROP' && hop.action !== 'REJECT') || kubeOwned(hop.chain) || kubeProxyHop(hop)) continue;
        const node = s.node ?? path.node;
        const key = `${node}\0${hop.source ?? ''}\0${hop.table}\0${hop.line}`;
        const hit: Hit = { path, branch, outcome: o, hop, hook: hookOf(o.hops, hop) };
        const same = byRule.get(key);
        if (same === undefined) byRule.set(key, { node, hits: [hit] });
        else same.hits.push(hit);
      }
    }

    const findings: FindingInput<typeof MESSAGES>[] = [];
    const port = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    const v6 = ctx.question.family === 6;
    const [familyCidr] = podCidrsOf(ctx.nodes.podCidrs(), ctx.question.family);
    for (const { node, hits: list } of byRule.values()) {
      const [{ hop, outcome: o, hook, path: firstPath, branch: firstBranch }] = list;
      const rulesets = ctx.nodeState(node).rulesets;
      const rs = rulesets === null ? undefined : rulesets.find((r) => r.source === hop.source) ?? rulesets[0];
      // A native nftables rule (a hop with a family) comes from `nft -j list ruleset`, not an iptables dump.
      const family = hop.family;
      const nft = family !== undefined;
      const source = hop.source ?? (nft ? `${node}:nft-ruleset` : rs?.source ?? `${node}:iptables-save`);
      const rule = hop.rule;
      const isPolicy = rule === null;
      const tool = rs ? toolOf(hop.chain, hop.rule ?? '', rs) : 'other';
      const reject = hop.action === 'REJECT';
      const rejectWith = o.rejectWith ?? 'icmp-port-unreachable';
      // Forwarded (to a pod) or delivered to the node itself (no translation, or a hostNetwork backend).
      const forwarded = hook === 'FORWARD' || hook === 'POSTROUTING';
      const proto = firstPath.protocol;
      // Where the packet was headed when it died: the backend (as translated on the ingress node), else the node itself.
      const backend = firstBranch.backend;
      const dstIp = backend?.ip ?? o.dnat?.ip ?? firstPath.address;
      const dport = backend?.port ?? o.dnat?.port ?? port;
      const translated = backend !== null || o.dnat !== null;
      const pods = [...new Set(list.map((h) => h.branch.backend?.pod).filter((p): p is string => !!p))];
      const podCidr = familyCidr ?? (v6 ? hostCidr(dstIp) : '10.244.0.0/16');

      const byIngress = new Map<string, { path: NodePath; share: number; why: string }>();
      for (const h of list) {
        const e = byIngress.get(h.path.node) ?? { path: h.path, share: 0, why: h.branch.why };
        e.share += h.branch.probability;
        byIngress.set(h.path.node, e);
      }
      const nftIds = nft ? { family, ...(hop.handle !== undefined ? { handle: hop.handle } : {}) } : {};
      const evidence: Evidence[] = [{ kind: 'rule', node, source, table: hop.table, chain: hop.chain, line: hop.line, rule: hop.rule, action: isPolicy ? 'DROP' : hop.action, ...nftIds }];
      // How the packet got there: the jumps from the hook to the rule's chain.
      const chainPath = isPolicy ? [] : callers(o.hops, hop);
      for (const h of chainPath) {
        evidence.push({
          kind: 'rule', node, source: h.source ?? source, table: h.table, chain: h.chain, line: h.line, rule: h.rule, action: h.action,
          ...(h.family !== undefined ? { family: h.family, ...(h.handle !== undefined ? { handle: h.handle } : {}) } : {}),
        });
      }
      for (const e of byIngress.values()) {
        evidence.push({ kind: 'path', node: e.path.node, summary: `${percent(e.share)} of connections to ${hostPort(e.path.address, e.path.port)}: ${e.why}` });
      }

      // Where in its chain the rule sits, to insert an ACCEPT just before it (at the end for a policy).
      let position = 1;
      const chain = rs?.tables.get(hop.table)?.chains.get(hop.chain);
      if (rs && chain) {
        const i = isPolicy ? -1 : rulesOf(rs, chain).findIndex((r) => r.line === hop.line);
        position = i >= 0 ? i + 1 : chain.count + 1;
      }
      const dest = forwarded ? podCidr : hostCidr(dstIp);
      const daddr = v6 ? 'ip6' : 'ip';
      const iptables = iptablesFor(ctx.question.family);
      const iface = o.outIface ?? 'cni0';
      let summary: string;
      let commands: Command[];
      switch (tool) {
        case 'ufw':
          summary = forwarded
            ? `Allow ufw on ${node} to route traffic to the pods (NodePort traffic is forwarded, so "ufw allow" for input does not cover it).`
            : `Allow ${proto} port ${dport} in ufw on ${node}: the NodePort connection reaches INPUT ${translated ? `already translated to ${hostPort(dstIp, dport)}, so opening ${port} is not enough` : `on ${port}`}.`;
          commands = forwarded
            ? [sh`ufw route allow proto ${proto} to ${podCidr} port ${dport}`, sh`ufw status verbose`]
            : [sh`ufw allow ${dport}/${proto}`, sh`ufw status verbose`];
          break;
        case 'firewalld':
          summary = forwarded
            ? `Let firewalld on ${node} forward to the pod network: put the pod bridge ${iface} and the pod CIDR in the trusted zone.`
            : `Open ${proto} port ${dport} in firewalld on ${node}${translated ? ` (the connection reaches INPUT translated to ${hostPort(dstIp, dport)})` : ''}.`;
          commands = forwarded
            ? [sh`firewall-cmd --permanent --zone=trusted --add-interface=${iface}`, sh`firewall-cmd --permanent --zone=trusted --add-source=${podCidr}`, sh`firewall-cmd --reload`]
            : [sh`firewall-cmd --permanent --add-port=${dport}/${proto}`, sh`firewall-cmd --reload`];
          break;
        case 'calico-hep':
          summary = `A Calico HostEndpoint on ${node} applies host policy to this traffic: allow it in a GlobalNetworkPolicy with ${forwarded ? 'applyOnForward: true (or preDNAT: true for the NodePort itself)' : 'preDNAT: true'}, selecting the host endpoint.`;
          commands = [sh`kubectl get hostendpoints.crd.projectcalico.org -o wide`, sh`kubectl get globalnetworkpolicies.crd.projectcalico.org -o yaml`];
          break;
        default: {
          if (nft) {
            // nft inserts before the rule with the given handle; a base chain's policy applies after its last rule.
            summary = isPolicy
              ? `On ${node}, accept the NodePort traffic in ${hop.family} ${hop.table}/${hop.chain} before its drop policy applies, and make the change persistent where these rules are loaded from (/etc/nftables.conf, or the tool that writes them).`
              : `On ${node}, accept the NodePort traffic before rule handle ${hop.line} of ${hop.family} ${hop.table}/${hop.chain} ${reject ? 'rejects' : 'drops'} it (or delete that rule), then make the change persistent where these rules are loaded from (/etc/nftables.conf, or the tool that writes them).`;
            commands = isPolicy
              ? [sh`nft add rule ${family} ${hop.table} ${hop.chain} ${daddr} daddr ${dest} ${proto} dport ${dport} accept`]
              : [
                sh`nft insert rule ${family} ${hop.table} ${hop.chain} handle ${hop.line} ${daddr} daddr ${dest} ${proto} dport ${dport} accept`,
                sh`nft delete rule ${family} ${hop.table} ${hop.chain} handle ${hop.line}`,
              ];
            break;
          }
          const spec = rule === null ? null : ruleSpecWords(rule, hop.chain);
          summary = isPolicy
            ? `On ${node}, accept the NodePort traffic in ${hop.table}/${hop.chain} before its DROP policy applies, and make the change persistent in whatever manages these rules.`
            : `On ${node}, accept the NodePort traffic before ${hop.chain} line ${hop.line} ${reject ? 'rejects' : 'drops'} it (or delete that rule), then make the change persistent in whatever manages these rules${tool === 'iptables-services' ? ' (iptables-services: /etc/sysconfig/iptables)' : ''}.`;
          commands = [
            iptables`-t ${hop.table} -I ${hop.chain} ${position} -d ${dest} -p ${proto} --dport ${dport} -j ACCEPT`,
            ...(spec !== null ? [iptables`-t ${hop.table} -D ${hop.chain} ${spec}`] : []),
            // iptables-services loads /etc/sysconfig/iptables at boot; its init script writes it.
            ...(tool === 'iptables-services' ? [sh`service iptables save`] : []),
          ];
        }
      }
      const common = {
        node, port, table: hop.table, chain: hop.chain,
        toWhat: forwarded ? `forwarded to ${pods.join(', ') || hostPort(dstIp, dport)}` : `to ${hostPort(dstIp, dport)} on the node itself${pods.length ? ` (${pods.join(', ')}, host network)` : ''}`,
        affected: [...byIngress.values()].map((e) => `${percent(e.share)} of the connections that enter through ${e.path.node} (${e.path.address})`).join(', '),
      };
      const dropped = rule === null ? null : {
        ...common, line: hop.line, rule,
        verb: reject ? 'rejects' : 'drops',
        tool: tool === 'other' ? 'a' : `the ${TOOL_TEXT[tool]}`,
        rejectNote: reject ? ` (the client gets ${rejectWith}${rejectWith.includes('host-prohibited') || rejectWith.includes('host-unreach') ? ', "No route to host"' : rejectWith === 'tcp-reset' || rejectWith.includes('port-unreach') ? ', "Connection refused"' : ''})` : ' (the client times out)',
      };
      findings.push({
        ...(dropped === null ? { messageId: 'policy', data: { ...common, proto, dport, owner: tool === 'other' ? '' : `, set by ${TOOL_TEXT[tool]}` } }
          : nft ? { messageId: 'droppedNft', data: { ...dropped, family } }
            : { messageId: 'dropped', data: dropped }),
        node,
        evidence,
        remediation: { summary, commands },
      });
    }
    return findings;
  },
});
