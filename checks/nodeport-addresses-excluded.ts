/**
 * kube-proxy serves NodePorts only on the addresses nodePortAddresses (--nodeport-addresses)
 * selects. Unset, the KUBE-SERVICES tail rule matches every local address (`--dst-type LOCAL`);
 * set, kube-proxy writes one `-d <ip>` tail rule per local address inside the CIDRs. A client
 * dialling another address of the node (a secondary IP, a VIP, an address added later) passes no
 * tail rule, is never translated, and reaches the host itself.
 */
import {
  defineCheck, hostCidr, hostPort, inCidr, ingressOutcomes, isLoopbackIp, readableRules, ruleEvidence, sh, type Evidence, type FindingInput, type NftTable,
  type NodePath, type Outcome,
} from '../src/check-kit/index.js';
import { chainOf, dportOf, optionOf } from './lib/iptables-rule.js';
import { nodePortTailRules } from './lib/kube-proxy-rules.js';
import { listText } from './lib/text.js';

const MESSAGES = {
  excludedNft: 'kube-proxy on {{node}} (nftables mode) serves NodePorts only on the addresses of its set nodeport-ips ({{served}}){{config}}, not on {{address}}: the NodePort rule `{{daddr}} daddr @nodeport-ips … vmap @service-nodeports` does not match {{address}}, so {{target}} is never translated and reaches {{node}} itself ({{outcome}}).',
  excluded: 'kube-proxy on {{node}} serves NodePorts only on {{served}} (nodePortAddresses{{config}}), not on {{address}}: no KUBE-SERVICES tail rule matches {{address}}, so {{target}} is never translated and reaches {{node}} itself ({{outcome}}).',
} as const;

export default defineCheck({
  id: 'nodeport-addresses-excluded',
  title: 'nodePortAddresses excludes the address the client dials',
  description: "kube-proxy's nodePortAddresses does not include the node address the client dials, so the NodePort is not served on it.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'paths', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    /**
     * nftables mode: kube-proxy puts the addresses nodePortAddresses selects in the set
     * nodeport-ips and matches NodePorts with `ip daddr @nodeport-ips`; a match-all setting uses
     * `fib daddr type local` instead and has no such set. Unset, nodePortAddresses means
     * "primary" in nftables mode (the node's primary IPs only), not every address as in iptables mode.
     */
    const nftExcluded = (p: NodePath, o: Outcome, table: NftTable): FindingInput<typeof MESSAGES> | null => {
      const set = table.sets.get('nodeport-ips');
      if (set === undefined) return null;
      const served = set.elements.map((e) => e.keyText);
      if (served.some((s) => inCidr(p.address, s))) return null;
      const cfg = config?.nodePortAddresses ?? null;
      const primary = cfg === null || cfg.includes('primary');
      const evidence: Evidence[] = [{ kind: 'output', node: p.node, command: 'nft -j list ruleset', excerpt: `table ${table.family} kube-proxy, set nodeport-ips: { ${served.join(', ')} }` }];
      if (config !== null) evidence.push({ kind: 'object', ref: config.source, field: 'nodePortAddresses', value: cfg === null ? '(unset: "primary" in nftables mode)' : cfg.join(', ') });
      const branch = p.branches.find((b) => b.stages[0]?.outcome === o);
      if (branch !== undefined) evidence.push({ kind: 'path', node: p.node, summary: `${hostPort(p.address, nodePort)}: ${branch.why}` });
      const outcome = o.verdict === 'ACCEPT' ? 'connection refused, unless a process there listens on the port' : o.verdict === 'DROP' ? 'dropped' : o.verdict === 'REJECT' ? 'rejected' : 'undecided';
      return {
        messageId: 'excludedNft',
        node: p.node,
        data: {
          node: p.node, address: p.address, target: hostPort(p.address, nodePort), outcome, served: listText(served), daddr: table.family,
          config: primary
            ? `: nodePortAddresses is ${cfg === null ? 'unset, which in nftables mode means' : ''} "primary", the node's primary IPs only — iptables mode served every local address, so clients of a secondary address or VIP break after the switch to nftables`
            : ` = ${cfg.join(', ')}`,
        },
        evidence,
        remediation: {
          summary: `Dial an address kube-proxy serves (${listText(served.map((s) => hostPort(s, nodePort)))}), or set nodePortAddresses in the kube-proxy ConfigMap to include ${p.address} (for example ["${hostCidr(p.address)}"${primary ? ', "primary"' : cfg.map((c) => `, "${c}"`).join('')}], or ["${ctx.question.family === 4 ? '0.0.0.0/0' : '::/0'}"] for every address as in iptables mode) and restart kube-proxy.`,
          commands: [sh`kubectl -n kube-system edit configmap kube-proxy`, sh`kubectl -n kube-system rollout restart daemonset kube-proxy`],
        },
      };
    };

    const { nodePort } = ctx.port;
    const config = ctx.kubeProxy.config;
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const p of ctx.paths) {
      // Loopback is localhost-nodeport-unsupported's case.
      if (p.unavailable !== null || isLoopbackIp(p.address)) continue;
      const o = ingressOutcomes(p).find((x) => x.dnat === null && !x.hops.some((h) => h.table === 'nat' && (h.action === 'JUMP KUBE-NODEPORTS' || h.action === 'GOTO KUBE-NODEPORTS')));
      if (o === undefined) continue;
      const gathered = ctx.nodeState(p.node);
      const table = gathered.kubeProxyTable;
      if (table !== null) {
        const f = nftExcluded(p, o, table);
        if (f !== null) findings.push(f);
        continue;
      }
      const rs = (gathered.rulesets ?? []).find((r) => chainOf(r, 'nat', 'KUBE-SERVICES') !== undefined);
      if (rs === undefined) continue;
      const tails = nodePortTailRules(rs);
      if (tails.length === 0) continue;
      // A match-all tail (--dst-type LOCAL) serves every local address: the address is not excluded.
      if (tails.some((r) => optionOf(r, '--dst-type', 'addrtype') !== undefined)) continue;
      const dsts = tails.map((r) => optionOf(r, '-d', ''));
      const positive = dsts.filter((d) => d !== undefined && !d.negated);
      if (positive.length !== dsts.length) continue;
      const served = positive.map((d) => (d?.values[0] ?? '').replace(/\/(32|128)$/, ''));
      if (served.some((s) => inCidr(p.address, s))) continue;

      const hasPort = readableRules(rs, 'nat', 'KUBE-NODEPORTS').some((r) => dportOf(r) === nodePort);
      const evidence: Evidence[] = tails.map((r) => ruleEvidence(p.node, rs, r));
      const cfg = config?.nodePortAddresses ?? null;
      if (config !== null) evidence.push({ kind: 'object', ref: config.source, field: 'nodePortAddresses', value: cfg === null ? '(unset: every address)' : cfg.join(', ') });
      const branch = p.branches.find((b) => b.stages[0]?.outcome === o);
      if (branch !== undefined) evidence.push({ kind: 'path', node: p.node, summary: `${hostPort(p.address, nodePort)}: ${branch.why}` });
      const outcome = o.verdict === 'ACCEPT' ? 'connection refused, unless a process there listens on the port' : o.verdict === 'DROP' ? 'dropped' : o.verdict === 'REJECT' ? 'rejected' : 'undecided';
      const cidrs = [...(cfg ?? served.map(hostCidr)), hostCidr(p.address)];
      findings.push({
        messageId: 'excluded',
        node: p.node,
        data: {
          node: p.node, address: p.address, target: hostPort(p.address, nodePort), outcome, served: listText(served),
          config: cfg === null
            ? config === null ? '' : `: ${config.source} leaves it unset, so this node's kube-proxy was started with its own --nodeport-addresses`
            : ` = ${cfg.join(', ')} in ${config?.source ?? 'the kube-proxy configuration'}`,
        },
        evidence,
        remediation: {
          summary: `Dial an address kube-proxy serves (${listText(served.map((s) => hostPort(s, nodePort)))}), or add ${hostCidr(p.address)} (or its subnet) to nodePortAddresses in the kube-proxy ConfigMap (nodePortAddresses: [${cidrs.map((c) => `"${c}"`).join(', ')}]) and restart kube-proxy${cfg === null && config !== null ? " (and remove the --nodeport-addresses flag this node's kube-proxy runs with)" : ''}.${hasPort ? '' : ` Note: KUBE-NODEPORTS on ${p.node} has no rule for ${nodePort} either.`}`,
          commands: [
            sh`kubectl -n kube-system edit configmap kube-proxy`,
            sh`kubectl -n kube-system rollout restart daemonset kube-proxy`,
          ],
        },
      });
    }
    return findings;
  },
});
