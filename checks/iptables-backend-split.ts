/**
 * iptables has two kernel backends, legacy (x_tables) and nft, and the kernel runs both. When
 * kube-proxy, kubelet and the host's tools do not agree on one, rules end up where nobody looks:
 * a stale copy of kube-proxy's rules in the backend it used before an upgrade (still DNATing to
 * old pods), kube-proxy writing one backend while kubelet (KUBE-IPTABLES-HINT) writes the other,
 * or a host firewall rule that drops NodePort traffic in the backend kube-proxy does not use.
 */
import {
  chainEvidence, defineCheck, sh, type Chain, type CheckContext, type Command, type Evidence, type FindingInput, type Hop, type Ruleset,
} from '../src/check-kit/index.js';
import { chainOf } from './lib/iptables-rule.js';
import { ingressAndEndpointNodes } from './lib/path-nodes.js';

type Backend = 'legacy' | 'nft';
const OTHER: Record<Backend, Backend> = { legacy: 'nft', nft: 'legacy' };

// A command's program is a literal word, so each backend's tools are spelled out.
const KUBE_LINES = ['^:KUBE-', '^-A KUBE-', ' -j KUBE-'] as const;
/** Rewrites a backend's rules of the family without kube-proxy's chains, rules and jumps (the rest stays). */
function withoutKubeChains(b: Backend, family: 4 | 6): Command {
  const [decl, rule, jump] = KUBE_LINES;
  if (family === 6) {
    return b === 'legacy'
      ? sh`ip6tables-legacy-save | grep -v -e ${decl} -e ${rule} -e ${jump} | ip6tables-legacy-restore`
      : sh`ip6tables-nft-save | grep -v -e ${decl} -e ${rule} -e ${jump} | ip6tables-nft-restore`;
  }
  return b === 'legacy'
    ? sh`iptables-legacy-save | grep -v -e ${decl} -e ${rule} -e ${jump} | iptables-legacy-restore`
    : sh`iptables-nft-save | grep -v -e ${decl} -e ${rule} -e ${jump} | iptables-nft-restore`;
}
/** One chain's rules in a backend of the family, with their line numbers. */
function chainRules(b: Backend, family: 4 | 6, table: string, chain: string): Command {
  const line = `^-A ${chain} `;
  if (family === 6) {
    return b === 'legacy'
      ? sh`ip6tables-legacy-save -t ${table} | grep -n ${line}`
      : sh`ip6tables-nft-save -t ${table} | grep -n ${line}`;
  }
  return b === 'legacy'
    ? sh`iptables-legacy-save -t ${table} | grep -n ${line}`
    : sh`iptables-nft-save -t ${table} | grep -n ${line}`;
}
const HINTS = ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'];
const BACKENDS = ['legacy', 'nft'] as const;

const MESSAGES = {
  both: '{{node}} has kube-proxy rules in both iptables backends: nat KUBE-SERVICES holds {{legacyCount}} rules in {{program}}-legacy and {{nftCount}} in {{program}}-nft. The kernel runs both, so whichever nat table registered first translates new connections{{current}}; the other copy is stale and can send connections to pods that are gone. `iptables` on this node shows {{hostTool}}.',
  hintElsewhere: 'On {{node}}, kube-proxy writes its rules with {{program}}-{{proxy}} but kubelet uses {{program}}-{{kubelet}} (its {{hint}} chain is there), so their rules (kube-proxy\'s KUBE-SERVICES, kubelet\'s KUBE-FIREWALL) live in different backends. `iptables` on this node shows {{hostTool}}. Rules that are meant to work together (kube-proxy\'s accepts, kubelet\'s and the firewall\'s drops) do not see each other, and tools that read one backend miss half of the node\'s rules.',
  firewallOtherBackend: 'On {{node}} the connection is {{verdict}} by {{table}}/{{chain}} (line {{line}}) in {{program}}-{{other}}, while kube-proxy writes its rules (and its KUBE-FORWARD accepts) with {{program}}-{{proxy}}. An ACCEPT in one backend does not override a DROP in the other, and `iptables` on this node shows {{hostTool}}, so {{hidden}}.',
} as const;

export default defineCheck({
  id: 'iptables-backend-split',
  title: 'iptables rules split between the legacy and nft backends',
  description: "kube-proxy's rules are in both iptables backends, or in another backend than kubelet's, or a firewall drops NodePort traffic in the backend kube-proxy does not use.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['nodeState', 'endpointSlices'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const node of ingressAndEndpointNodes(ctx)) {
      const data = ctx.nodeState(node);
      if (data.unavailable !== null) continue;
      const legacy = data.backendDump('legacy');
      const nftDump = data.backendDump('nft');
      if (legacy === null || nftDump === null) continue;
      const dumps: Record<Backend, Ruleset> = { legacy, nft: nftDump };
      const version = data.command('iptables-version')?.stdout ?? '';
      const tool: Backend | null = /\(nf_tables\)/.test(version) ? 'nft' : /\(legacy\)/.test(version) || /v1\.[0-7]\./.test(version) ? 'legacy' : null;
      // The family's program names the dumps: ip6tables-legacy and ip6tables-nft for an IPv6 question.
      const program = ctx.question.family === 6 ? 'ip6tables' : 'iptables';
      const hostTool = tool === null ? 'an unknown backend' : `the ${tool} backend ("${version.trim()}")`;
      // kube-proxy's nat KUBE-SERVICES where it holds rules, and kubelet's hint chain, per backend.
      const proxyIn = BACKENDS.flatMap((backend) => {
        const chain = chainOf(dumps[backend], 'nat', 'KUBE-SERVICES');
        return chain !== undefined && chain.count > 0 ? [{ backend, chain }] : [];
      });
      const hintIn = BACKENDS.flatMap((backend) => {
        const chain = hintOf(dumps[backend]);
        return chain !== null ? [{ backend, chain }] : [];
      });
      const hintEvidence = hintIn.map(({ backend, chain }) => chainEvidence(node, dumps[backend], chain, `kubelet's ${chain.name} chain: kubelet uses ${program}-${backend}`));
      const inLegacy = proxyIn.find((x) => x.backend === 'legacy');
      const inNft = proxyIn.find((x) => x.backend === 'nft');
      const versionEvidence: Evidence[] = version === '' ? [] : [{ kind: 'output', node, command: 'iptables --version', excerpt: version.trim() }];

      if (inLegacy !== undefined && inNft !== undefined) {
        const current = hintIn.length === 1 ? hintIn[0]?.backend ?? null : null;
        const stale = current === null ? null : OTHER[current];
        findings.push({
          messageId: 'both',
          node,
          data: {
            node, program, legacyCount: inLegacy.chain.count, nftCount: inNft.chain.count, hostTool,
            current: current === null ? '' : ` (kubelet, and so kube-proxy's backend detection, uses ${program}-${current}: the copy in ${program}-${stale} is the leftover)`,
          },
          evidence: [
            chainEvidence(node, dumps.legacy, inLegacy.chain, `${inLegacy.chain.count} rules`),
            chainEvidence(node, dumps.nft, inNft.chain, `${inNft.chain.count} rules`),
            ...hintEvidence, ...versionEvidence,
          ],
          remediation: {
            summary: stale === null
              ? `Find out which backend kube-proxy writes today (its log, or the backend of kube-proxy's image), then remove kube-proxy's chains from the other backend on ${node} and restart kube-proxy.`
              : `Remove the leftover kube-proxy chains from ${program}-${stale} on ${node} (this keeps the other rules of that backend), then restart kube-proxy so it rewrites its rules in ${program}-${current}.`,
            commands: stale === null
              ? [sh`kubectl -n kube-system logs -l k8s-app=kube-proxy --field-selector spec.nodeName=${node} | grep -i iptables`]
              : [
                withoutKubeChains(stale, ctx.question.family),
                sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}`,
              ],
          },
        });
        continue;
      }
      const [only] = proxyIn;
      if (only === undefined) continue;
      const { backend: proxy, chain: services } = only;
      const other = OTHER[proxy];
      const otherHint = hintOf(dumps[other]);

      if (otherHint !== null && hintOf(dumps[proxy]) === null) {
        findings.push({
          messageId: 'hintElsewhere',
          node,
          data: { node, program, proxy, kubelet: other, hint: otherHint.name, hostTool },
          evidence: [chainEvidence(node, dumps[proxy], services, `${services.count} rules`), ...hintEvidence, ...versionEvidence],
          remediation: {
            summary: `Make kubelet and kube-proxy use the same backend on ${node}: run a kube-proxy image that detects the backend from KUBE-IPTABLES-HINT (kubernetes-sigs/iptables-wrappers, in every kube-proxy image since v1.17), or point the host's iptables at the backend kube-proxy uses and restart kubelet, then remove the other backend's KUBE chains.`,
            commands: [
              sh`kubectl -n kube-system get daemonset kube-proxy -o jsonpath=${'{.spec.template.spec.containers[0].image}'}`,
              sh`update-alternatives --set ${program} /usr/sbin/${program}-${proxy}`,
              sh`systemctl restart kubelet`,
            ],
          },
        });
        continue;
      }

      const drop = otherBackendDrop(ctx, node, other);
      if (drop !== null) {
        findings.push({
          messageId: 'firewallOtherBackend',
          severity: 'warning',
          node,
          data: {
            node, program, other, proxy, hostTool, table: drop.hop.table, chain: drop.hop.chain, line: drop.hop.line,
            verdict: drop.hop.action.includes('REJECT') ? 'rejected' : 'dropped',
            hidden: tool === proxy ? `\`${program} -L\` does not show the rule that drops it (use ${program}-${other}-save)` : `\`${program} -L\` shows that rule but none of kube-proxy's (use ${program}-${proxy}-save)`,
          },
          evidence: [
            { kind: 'rule', node, source: drop.hop.source ?? dumps[other].source, table: drop.hop.table, chain: drop.hop.chain, line: drop.hop.line, rule: drop.hop.rule, action: drop.hop.action },
            chainEvidence(node, dumps[proxy], services, `kube-proxy's rules: ${services.count} in ${program}-${proxy}`),
            ...versionEvidence,
          ],
          remediation: {
            summary: `Allow the NodePort traffic in the firewall that owns the rule (it writes ${program}-${other}), or move that firewall to ${program}-${proxy}; kube-proxy's accepts in ${program}-${proxy} cannot override it.`,
            commands: [chainRules(other, ctx.question.family, drop.hop.table, drop.hop.chain)],
          },
        });
      }
    }
    return findings;
  },
});

function hintOf(rs: Ruleset): Chain | null {
  for (const name of HINTS) {
    for (const t of rs.tables.values()) {
      const c = t.chains.get(name);
      if (c !== undefined) return c;
    }
  }
  return null;
}

/** The rule (or policy) of `backend` that decided a failing branch on `node`, outside kube-proxy's chains. */
function otherBackendDrop(ctx: CheckContext, node: string, backend: Backend): { hop: Hop } | null {
  for (const p of ctx.paths) {
    for (const b of p.branches) {
      for (const s of b.stages) {
        if (s.node !== node || s.ok !== false || s.outcome === undefined) continue;
        const o = s.outcome;
        if (o.verdict !== 'DROP' && o.verdict !== 'REJECT') continue;
        const last = o.hops[o.hops.length - 1];
        if (last === undefined || last.backend !== backend || last.chain.startsWith('KUBE-')) continue;
        return { hop: last };
      }
    }
  }
  return null;
}
