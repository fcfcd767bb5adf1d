/**
 * externalTrafficPolicy Cluster sends a NodePort connection to a pod on another node; the ingress
 * node must masquerade it, or the pod answers the client directly and the client drops the reply
 * (it never talked to the pod). The walk shows the connection left without SNAT; this check reads
 * the ingress node's nat rules to say why: no jump to KUBE-POSTROUTING, no MASQUERADE rule in it,
 * KUBE-MARK-MASQ and KUBE-POSTROUTING using different mark bits, or KUBE-MARK-MASQ never reached.
 */
import { defineCheck, hostPort, rulesOf, sh, type Evidence, type FindingInput, type NodePath, type Outcome, type PathBranch, type Rule, type Ruleset } from '../src/check-kit/index.js';
import { iptablesFor } from './lib/family.js';
import { percent } from './lib/text.js';

/** The mark a MARK rule sets (`--set-xmark 0x4000/0x4000`, `--or-mark 0x4000`), or the one a mark match tests. */
function markBits(rule: Rule): number | null {
  for (const o of rule.target?.options ?? []) {
    if (['--set-xmark', '--set-mark', '--or-mark'].includes(o.name)) return Number((o.values[0] ?? '').split('/')[0]) >>> 0;
  }
  for (const m of rule.matches) {
    if (m.module !== 'mark') continue;
    const o = m.options.find((x) => x.name === '--mark');
    if (o) return Number((o.values[0] ?? '').split('/')[0]) >>> 0;
  }
  return null;
}

const hex = (n: number) => `0x${n.toString(16)}`;

interface Diagnosis {
  messageId: keyof typeof MESSAGES;
  why: string;
  evidence: Evidence[];
}

function diagnose(node: string, rs: Ruleset, o: Outcome): Diagnosis {
  const nat = rs.tables.get('nat');
  const ev = (r: Rule): Evidence => ({ kind: 'rule', node, source: rs.source, table: r.table, chain: r.chain, line: r.line, rule: r.text });
  const chainRules = (name: string) => {
    const c = nat?.chains.get(name);
    return c ? rulesOf(rs, c) : null;
  };
  const postrouting = chainRules('POSTROUTING') ?? [];
  const kpr = chainRules('KUBE-POSTROUTING');
  const kmm = chainRules('KUBE-MARK-MASQ');
  const jump = postrouting.find((r) => r.target?.name === 'KUBE-POSTROUTING');
  const masq = kpr?.find((r) => r.target?.name === 'MASQUERADE');
  const setBits = kmm?.map(markBits).find((b) => b !== null) ?? null;
  const ret = kpr?.find((r) => r.target?.name === 'RETURN' && r.matches.some((m) => m.module === 'mark'));
  const testBits = ret ? markBits(ret) : null;
  const marked = o.hops.some((h) => h.chain === 'KUBE-MARK-MASQ');

  if (!marked) {
    // The service's KUBE-EXT chain decides whether external traffic is marked.
    const ext = o.hops.map((h) => h.chain).find((c) => c.startsWith('KUBE-EXT-'));
    const extRules = ext ? chainRules(ext) ?? [] : [];
    return {
      messageId: 'notMarked',
      why: ext
        ? `${ext} never jumps to KUBE-MARK-MASQ (kube-proxy's "masquerade traffic for … external destinations" rule is missing), so the connection is not marked for SNAT`
        : 'no rule on the way jumped to KUBE-MARK-MASQ, so the connection is not marked for SNAT',
      evidence: extRules.map(ev),
    };
  }
  if (!jump) {
    return {
      messageId: 'noJump',
      why: 'nat POSTROUTING does not jump to KUBE-POSTROUTING, so kube-proxy\'s MASQUERADE rule never runs',
      evidence: postrouting.length > 0 ? postrouting.map(ev) : [{ kind: 'output', node, command: rs.source.split(':').pop() ?? 'iptables-save', excerpt: 'nat POSTROUTING has no rules' }],
    };
  }
  if (!masq) {
    return {
      messageId: 'noMasquerade',
      why: kpr ? 'KUBE-POSTROUTING has no MASQUERADE rule ("kubernetes service traffic requiring SNAT")' : 'the nat table has no KUBE-POSTROUTING chain',
      evidence: [ev(jump), ...(kpr ?? []).map(ev)],
    };
  }
  if (setBits !== null && testBits !== null && setBits !== testBits) {
    return {
      messageId: 'markMismatch',
      why: `KUBE-MARK-MASQ sets mark ${hex(setBits)} but KUBE-POSTROUTING masquerades only packets marked ${hex(testBits)} (the masquerade bit differs between the rules), so the marked packet RETURNs unmasqueraded`,
      evidence: [...(kmm ?? []).map(ev), ...(kpr ?? []).map(ev)],
    };
  }
  // Something in POSTROUTING ended the nat traversal before KUBE-POSTROUTING masqueraded.
  const post = o.hops.filter((h) => h.table === 'nat' && (h.chain === 'POSTROUTING' || h.chain === 'KUBE-POSTROUTING'));
  return {
    messageId: 'other',
    why: `nat POSTROUTING ended without SNAT (${post.map((h) => `${h.chain} line ${h.line} → ${h.action}`).join(', ') || 'no POSTROUTING rule ran'})`,
    evidence: post.map((h): Evidence => ({ kind: 'rule', node, source: h.source ?? rs.source, table: h.table, chain: h.chain, line: h.line, rule: h.rule, action: h.action })),
  };
}

const TAIL = 'The pod answers {{client}} directly, the reply bypasses {{node}} where the connection was translated, and the client drops it. Affected: {{affected}}.';

const MESSAGES = {
  notMarked: `{{node}} forwards NodePort {{port}} connections to {{pods}} on another node without masquerading them: {{why}}. ${TAIL}`,
  noJump: `{{node}} forwards NodePort {{port}} connections to {{pods}} on another node without masquerading them: {{why}}. ${TAIL}`,
  noMasquerade: `{{node}} forwards NodePort {{port}} connections to {{pods}} on another node without masquerading them: {{why}}. ${TAIL}`,
  markMismatch: `{{node}} forwards NodePort {{port}} connections to {{pods}} on another node without masquerading them: {{why}}. ${TAIL}`,
  other: `{{node}} forwards NodePort {{port}} connections to {{pods}} on another node without masquerading them: {{why}}. ${TAIL}`,
} as const;

export default defineCheck({
  id: 'masquerade-missing',
  title: 'NodePort traffic to a remote pod is not masqueraded',
  description: 'With externalTrafficPolicy Cluster the ingress node forwards to a pod on another node without SNAT (KUBE-POSTROUTING or its MASQUERADE rule missing, masquerade bits disagree, or KUBE-MARK-MASQ not reached).',
  severity: 'error',
  stage: 'node',
  requires: ['service', 'paths', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    if (ctx.service.externalTrafficPolicy !== 'Cluster') return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    // Per ingress node: the branches that return unmasqueraded, and the first one's ingress walk.
    const byNode = new Map<string, { path: NodePath; outcome: Outcome; why: string; branches: PathBranch[] }>();
    for (const path of ctx.paths) {
      for (const b of path.branches) {
        const ingress = b.stages.find((s) => s.stage === 'ingress')?.outcome;
        if (b.failedAt !== 'return' || ingress === undefined || ingress.snat !== null) continue;
        // IPVS mode masquerades differently: ipvs-nodeport-masquerade-missing explains that path.
        if (ingress.hops.some((h) => h.table === 'ipvs')) continue;
        const e = byNode.get(path.node) ?? { path, outcome: ingress, why: b.why, branches: [] };
        e.branches.push(b);
        byNode.set(path.node, e);
      }
    }
    for (const [node, { path, outcome, why, branches }] of byNode) {
      const rulesets = ctx.nodeState(node).rulesets;
      const rs = rulesets?.find((r) => r.tables.get('nat')?.chains.has('KUBE-MARK-MASQ')) ?? rulesets?.[0];
      if (rs === undefined) continue;
      const d = diagnose(node, rs, outcome);
      const share = branches.reduce((s, b) => s + b.probability, 0);
      const pods = [...new Set(branches.map((b) => `${b.backend?.pod ?? b.backend?.ip ?? '?'}${b.backend?.node ? ` (${b.backend.node})` : ''}`))].join(', ');
      const evidence: Evidence[] = [
        ...d.evidence,
        { kind: 'path', node, summary: `${percent(share)} of connections to ${hostPort(path.address, path.port)}: ${why}` },
      ];
      const proxyPod = ctx.kubeProxy.podsOn(node)[0]?.name;
      const restart = proxyPod ? sh`kubectl -n kube-system delete pod ${proxyPod}` : sh`kubectl -n kube-system rollout restart daemonset/kube-proxy`;
      const logs = proxyPod ? sh`kubectl -n kube-system logs ${proxyPod}` : sh`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`;
      const bit = ctx.kubeProxy.config?.masqueradeBit ?? 14;
      const ipt = iptablesFor(ctx.question.family);
      const remediation = d.messageId === 'markMismatch'
        ? {
          summary: `Run kube-proxy on ${node} with the same masquerade bit as the rest of the cluster (iptables.masqueradeBit ${bit} in ConfigMap kube-system/kube-proxy; check for a --iptables-masquerade-bit flag on this node's kube-proxy), then restart it so it rewrites both chains.`,
          commands: [sh`kubectl -n kube-system get configmap kube-proxy -o yaml`, ...(proxyPod ? [sh`kubectl -n kube-system get pod ${proxyPod} -o jsonpath=${'{.spec.containers[0].command}'}`] : []), restart],
        }
        : {
          summary: `kube-proxy rewrites KUBE-POSTROUTING, KUBE-MARK-MASQ and the Service chains on every full sync: find out why ${node}'s rules lack masquerading (its logs), then restart it. The ${ctx.question.family === 4 ? 'iptables' : 'ip6tables'} command restores the rule by hand until then.`,
          commands: [
            logs,
            restart,
            ...(d.messageId === 'noMasquerade' ? [ipt`-t nat -A KUBE-POSTROUTING -m comment --comment ${'kubernetes service traffic requiring SNAT'} -j MASQUERADE --random-fully`] : []),
            ...(d.messageId === 'noJump' ? [ipt`-t nat -I POSTROUTING 1 -m comment --comment ${'kubernetes postrouting rules'} -j KUBE-POSTROUTING`] : []),
            ipt`-t nat -S KUBE-POSTROUTING`,
          ],
        };
      findings.push({
        messageId: d.messageId,
        node,
        data: { node, port: path.port, pods, why: d.why, client: path.client.ip, affected: `${percent(share)} of the connections that enter through ${node} (${path.address})` },
        evidence,
        remediation,
      });
    }
    return findings;
  },
});
