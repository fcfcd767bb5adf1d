/**
 * A NodePort connection dies on a node's filter FORWARD chain policy DROP: nothing in FORWARD
 * accepted the forwarded packet. kube-proxy's KUBE-FORWARD accepts what its own NAT rules marked
 * (0x4000) even under a DROP policy, so the drop means that accept is missing, the packet was not
 * marked on this node (it arrived translated from another node, or eTP Local does not mark it), or
 * the marks disagree. Docker ≥ 1.13 sets the policy DROP when it turns on ip_forward itself.
 * kube-proxy in nftables mode writes no KUBE-FORWARD at all, and an accept in its own nft table
 * cannot overrule another table's drop at the same hook: there the drop is nobody's missing rule.
 */
import { defineCheck, FORWARDING_SYSCTL, hostPort, rulesOf, sh, type Command, type Evidence, type FindingInput, type Hop, type NodePath, type PathBranch, type Rule, type Ruleset } from '../src/check-kit/index.js';
import { iptablesFor, podCidrsOf } from './lib/family.js';
import { percent } from './lib/text.js';

interface Hit {
  path: NodePath;
  branch: PathBranch;
  hop: Hop;
  mark: number;
  /** Dropped on the ingress node itself, or on the backend's node after the ingress node forwarded it. */
  role: 'ingress' | 'backend';
  /** Where the ingress node translated it (the branch names no backend when it died on the ingress node). */
  dnat: { ip: string; port: number | null } | null;
}

const isPolicyDrop = (h: Hop | undefined): h is Hop => h !== undefined && h.table === 'filter' && h.chain === 'FORWARD' && h.rule === null && h.action === 'POLICY DROP';

/** The branches that die on a FORWARD policy drop, by the node that drops them. */
function hits(paths: NodePath[]): Map<string, [Hit, ...Hit[]]> {
  const out = new Map<string, [Hit, ...Hit[]]>();
  for (const path of paths) {
    for (const branch of path.branches) {
      if (branch.result === 'delivered') continue;
      const s = branch.stages.find((x) => x.ok === false && (x.stage === 'ingress' || x.stage === 'backend-node') && x.outcome !== undefined);
      const o = s?.outcome;
      const hop = o?.hops[o.hops.length - 1];
      if (s === undefined || o === undefined || !isPolicyDrop(hop)) continue;
      const node = s.node ?? path.node;
      const hit: Hit = { path, branch, hop, mark: Number.parseInt(o.mark, 16) || 0, role: s.stage === 'ingress' ? 'ingress' : 'backend', dnat: o.dnat };
      const list = out.get(node);
      if (list === undefined) out.set(node, [hit]);
      else list.push(hit);
    }
  }
  return out;
}

/** `--mark 0x4000/0x4000` → [value, mask]. */
function markOf(rule: Rule): [number, number] | null {
  for (const m of rule.matches) {
    if (m.module !== 'mark') continue;
    const o = m.options.find((x) => x.name === '--mark' && !x.negated);
    const [v, mask] = (o?.values[0] ?? '').split('/');
    if (v === undefined || v === '') continue;
    return [Number(v) >>> 0, mask === undefined ? 0xffffffff : Number(mask) >>> 0];
  }
  return null;
}

/** Whoever set the policy, when its chains say so. */
function policyOwner(rs: Ruleset, family: 4 | 6): { tool: string; persist?: string; fix: (podCidr: string | undefined) => Command[] } | null {
  const chains = [...(rs.tables.get('filter')?.chains.keys() ?? [])];
  if (chains.some((c) => c.startsWith('ufw-'))) {
    return { tool: 'ufw (DEFAULT_FORWARD_POLICY="DROP")', persist: 'ufw restores its routed policy on every reload: change it in ufw.', fix: () => [sh`ufw default allow routed`] };
  }
  if (chains.some((c) => c.startsWith('DOCKER'))) {
    return {
      tool: 'Docker (dockerd sets it when it turns on ip_forward itself)',
      // Docker leaves the policy alone when forwarding is already on when it starts; Engine ≥ 28 can be told directly.
      persist: `Docker sets DROP again whenever it starts and finds ${FORWARDING_SYSCTL[family]} off: turn forwarding on at boot (below), or, with Docker Engine ≥ 28, set "ip-forward-no-drop": true in /etc/docker/daemon.json.`,
      fix: () => [sh`echo ${FORWARDING_SYSCTL[family]}=1 | tee /etc/sysctl.d/99-kubernetes-ip-forward.conf`, sh`sysctl --system`],
    };
  }
  if (chains.some((c) => c === 'FORWARD_direct' || c.startsWith('FWD_') || c.startsWith('FWDI_'))) {
    return { tool: 'firewalld', fix: (podCidr) => podCidr === undefined ? [] : [sh`firewall-cmd --permanent --zone=trusted --add-source=${podCidr}`, sh`firewall-cmd --reload`] };
  }
  return null;
}

const MESSAGES = {
  noKubeForward:
    '{{node}} drops NodePort {{port}} connections it forwards to {{pods}}: filter FORWARD has policy DROP{{owner}} and {{missing}}, so kube-proxy\'s accept for its masquerade-marked traffic ({{mark}}) never applies. Affected: {{affected}}.',
  unmarkedBackend:
    '{{node}} drops NodePort {{port}} connections that other nodes forward to {{pods}}: filter FORWARD has policy DROP{{owner}}; KUBE-FORWARD accepts only packets this node marked {{mark}} itself (or established ones), a connection that arrives already translated from {{from}} carries no mark here, and no other FORWARD rule (such as a CNI rule for the pod network {{podCidr}}) accepts it. That is why the NodePort works only through the node that runs the pod.{{also}} Affected: {{affected}}.',
  unmarkedIngress:
    '{{node}} drops NodePort {{port}} connections to {{pods}}: filter FORWARD has policy DROP{{owner}}; KUBE-FORWARD accepts only packets kube-proxy marked {{mark}} for masquerading, externalTrafficPolicy {{etp}} leaves this connection unmarked, and no other FORWARD rule (such as a CNI rule for the pod network {{podCidr}}) accepts it. Affected: {{affected}}.',
  nftablesMode:
    '{{node}} drops NodePort {{port}} connections it forwards to {{pods}}: filter FORWARD has policy DROP{{owner}}, and kube-proxy runs there in nftables mode, which accepts nothing in iptables\' FORWARD chain (it writes no KUBE-FORWARD) and cannot overrule that drop from its own table, so nothing accepts the forwarded connection or its replies. Affected: {{affected}}.',
  markMismatch:
    '{{node}} drops NodePort {{port}} connections to {{pods}}: filter FORWARD has policy DROP{{owner}}, and KUBE-FORWARD accepts mark {{mark}} while this node\'s NAT rules marked the packet {{packetMark}}: kube-proxy\'s masquerade bit and the accept rule disagree. Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'forward-policy-drop',
  title: 'filter FORWARD policy DROP drops forwarded NodePort traffic',
  description: "A node's filter FORWARD policy is DROP and nothing in FORWARD (kube-proxy's KUBE-FORWARD mark accept, a CNI rule) accepts the forwarded NodePort packet.",
  severity: 'error',
  stage: 'node',
  requires: ['paths', 'nodes', 'kubeProxy', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const port = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    // The family's pod CIDRs and tool: an IPv6 connection is filtered by ip6tables' own FORWARD chain.
    // When no node lists a pod CIDR of the family, the fixes that need one are left out.
    const podCidrs = podCidrsOf(ctx.nodes.podCidrs(), ctx.question.family);
    const podCidr = podCidrs.join(',') || 'the pod CIDR';
    const ipt = iptablesFor(ctx.question.family);
    const [firstCidr] = podCidrs;
    const acceptTo = firstCidr === undefined ? [] : [ipt`-I FORWARD -d ${firstCidr} -j ACCEPT`];
    const acceptFrom = firstCidr === undefined ? [] : [ipt`-I FORWARD -s ${firstCidr} -j ACCEPT`];
    const noCidr = firstCidr === undefined ? ` (no node lists an IPv${ctx.question.family} pod CIDR, so no rule for it is given)` : '';
    for (const [node, list] of hits(ctx.paths)) {
      const gathered = ctx.nodeState(node);
      const rulesets = gathered.rulesets;
      if (rulesets === null) continue;
      const [first] = list;
      const rs = rulesets.find((r) => r.source === first.hop.source) ?? rulesets.find((r) => r.tables.get('filter')?.chains.get('FORWARD')?.policy === 'DROP') ?? rulesets[0];
      if (rs === undefined) continue;
      const filter = rs.tables.get('filter');
      const forward = filter?.chains.get('FORWARD');
      const kf = filter?.chains.get('KUBE-FORWARD');
      const forwardRules = forward ? rulesOf(rs, forward) : [];
      const jump = forwardRules.find((r) => r.target?.name === 'KUBE-FORWARD');
      const kfRules = kf ? rulesOf(rs, kf) : [];
      const accept = kfRules.find((r) => r.target?.name === 'ACCEPT' && markOf(r) !== null);
      const want = accept ? markOf(accept) : null;
      const ruleEv = (r: Rule): Evidence => ({ kind: 'rule', node, source: rs.source, table: r.table, chain: r.chain, line: r.line, rule: r.text });

      const evidence: Evidence[] = [
        { kind: 'rule', node, source: first.hop.source ?? rs.source, table: 'filter', chain: 'FORWARD', line: first.hop.line, rule: null, action: 'DROP' },
      ];
      if (jump) evidence.push(ruleEv(jump));
      evidence.push(...kfRules.map(ruleEv));
      const missing = !kf ? 'the filter table has no KUBE-FORWARD chain'
        : !jump ? 'FORWARD never jumps to KUBE-FORWARD'
          : !accept ? 'KUBE-FORWARD has no rule accepting the masquerade mark'
            : null;
      if (missing !== null) evidence.push({ kind: 'output', node, command: rs.source.split(':').pop() ?? 'iptables-save', excerpt: `${missing}; FORWARD: ${forwardRules.map((r) => r.text).join(' | ') || '(no rules)'}` });

      // Per ingress node, the share of its connections that die here.
      const byIngress = new Map<string, { path: NodePath; share: number; why: string }>();
      for (const h of list) {
        const e = byIngress.get(h.path.node) ?? { path: h.path, share: 0, why: h.branch.why };
        e.share += h.branch.probability;
        byIngress.set(h.path.node, e);
      }
      for (const e of byIngress.values()) evidence.push({ kind: 'path', node: e.path.node, summary: `${percent(e.share)} of connections to ${hostPort(e.path.address, e.path.port)}: ${e.why}` });
      const affected = [...byIngress.values()].map((e) => `${percent(e.share)} of the connections that enter through ${e.path.node} (${e.path.address})`).join(', ');
      const pods = [...new Set(list.map((h) => {
        const ip = h.branch.backend?.ip ?? h.dnat?.ip;
        const pod = h.branch.backend?.pod ?? (ip ? ctx.pods.byIp(ip) : undefined);
        return typeof pod === 'string' ? pod : pod ? `${pod.namespace}/${pod.name}` : ip ?? 'the backends';
      }))].join(', ');
      const owner = policyOwner(rs, ctx.question.family);
      const markText = want ? `0x${want[0].toString(16)}/0x${want[1].toString(16)}` : `0x${(1 << (ctx.kubeProxy.config?.masqueradeBit ?? 14)).toString(16)}`;
      const data = { node, port, pods, owner: owner ? `, set by ${owner.tool}` : '', mark: markText, podCidr, affected };

      const policyFix = owner?.fix(firstCidr) ?? [];
      const proxyPod = ctx.kubeProxy.podsOn(node)[0]?.name;
      const backendOnly = list.every((h) => h.role === 'backend');
      const persist = owner?.persist ? ` ${owner.persist}` : '';
      const proxyLogs = proxyPod ? sh`kubectl -n kube-system logs ${proxyPod}` : sh`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`;
      const proxyRestart = proxyPod ? sh`kubectl -n kube-system delete pod ${proxyPod}` : sh`kubectl -n kube-system rollout restart daemonset/kube-proxy`;
      const fix = (summary: string, commands: Command[]) => ({ node, evidence, remediation: { summary, commands } });
      if (!kf && gathered.kubeProxyTable !== null) {
        findings.push({
          messageId: 'nftablesMode', data,
          ...fix(`On ${node}, let forwarded pod traffic through: set the FORWARD policy to ACCEPT, or accept traffic to and from the pod network in FORWARD${noCidr} (kube-proxy in nftables mode leaves that to the node's firewall or the CNI; restarting it does not help).${persist}`, [
            ipt`-P FORWARD ACCEPT`,
            ...policyFix,
            ...acceptTo,
            ...acceptFrom,
          ]),
        });
      } else if (missing !== null && !backendOnly) {
        findings.push({
          messageId: 'noKubeForward', data: { ...data, missing },
          ...fix(`On ${node}, accept forwarded traffic again: set the FORWARD policy to ACCEPT now, and get kube-proxy to rewrite its KUBE-FORWARD rules.${persist}`, [
            ipt`-P FORWARD ACCEPT`,
            ...policyFix,
            proxyLogs,
            proxyRestart,
          ]),
        });
      } else if (!backendOnly && want !== null && first.mark !== 0 && ((first.mark & want[1]) >>> 0) !== want[0]) {
        findings.push({
          messageId: 'markMismatch', data: { ...data, packetMark: `0x${first.mark.toString(16)}` },
          ...fix(`On ${node}, make kube-proxy use one masquerade bit everywhere (iptables.masqueradeBit in its ConfigMap and --iptables-masquerade-bit), then restart it; until then, accept forwarded traffic with the FORWARD policy.`, [
            sh`kubectl -n kube-system get configmap kube-proxy -o yaml`,
            proxyRestart,
            ipt`-P FORWARD ACCEPT`,
          ]),
        });
      } else {
        const summary = `On ${node}, let forwarded traffic to the pod network through: set the FORWARD policy to ACCEPT, or accept traffic to the pod network explicitly as CNI plugins such as flannel do${noCidr}.${persist}`;
        const commands = [
          ipt`-P FORWARD ACCEPT`,
          ...policyFix,
          ...acceptTo,
          ...(missing !== null ? [proxyLogs] : []),
        ];
        findings.push(backendOnly
          ? {
            messageId: 'unmarkedBackend',
            data: { ...data, from: [...new Set(list.map((h) => h.path.node))].join(', '), also: missing === null ? '' : ` Besides, on ${node} ${missing}: kube-proxy does not run there or its rules were flushed.` },
            ...fix(summary, commands),
          }
          : { messageId: 'unmarkedIngress', data: { ...data, etp: ctx.service?.externalTrafficPolicy ?? 'Local' }, ...fix(summary, commands) });
      }
    }
    return findings;
  },
});

