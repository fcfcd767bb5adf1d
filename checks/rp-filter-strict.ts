/**
 * Strict reverse-path filtering (rp_filter=1) drops a packet whose source the node would route
 * out of another interface than the one it arrived on: a second NIC, a secondary ENI, a tunnel.
 * The kernel uses the larger of `all` and the interface's value, so either being 1 (with the other
 * not 2) makes the filter strict. The path walk decides when this happens; this check reports it.
 */
import { defineCheck, hostPort, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { percent } from './lib/text.js';

interface Group { node: string; source: string; iface: string; back: string; items: { share: number; summary: string; ingress: string; address: string }[] }

const WHY = /^strict rp_filter on (\S+): the packet from (\S+) arrives on (\S+), but the route back to \S+ leaves by (.+)$/;

const MESSAGES = {
  strict:
    '{{node}} drops NodePort {{port}} connections from {{source}} with strict reverse-path filtering: they arrive on {{iface}}, but {{node}}\'s route back to {{source}} leaves by {{back}}, and rp_filter is {{effective}} (strict) for {{iface}} (net.ipv4.conf.all.rp_filter = {{all}}, net.ipv4.conf.{{iface}}.rp_filter = {{dev}}; the larger applies). Affected: {{affected}}.',
} as const;

export default defineCheck({
  id: 'rp-filter-strict',
  title: 'Strict reverse-path filtering drops NodePort traffic',
  description: 'rp_filter=1 (strict) on the ingress or backend node drops the NodePort packet because the route back to its source uses another interface.',
  severity: 'error',
  stage: 'node',
  requires: ['paths'],
  messages: MESSAGES,
  run(ctx) {
    // rp_filter is IPv4's: IPv6 has no such sysctl (its reverse-path test is an nft `fib saddr` or xt rpfilter rule, replayed with the rules).
    if (ctx.question.family === 6) return [];
    const groups = new Map<string, Group>();
    for (const p of ctx.paths) {
      const perKey = new Map<string, { group: Group; share: number }>();
      for (const b of p.branches) {
        if (b.result === 'delivered') continue;
        const s = b.stages.find((x) => x.ok === false && x.summary.startsWith('strict rp_filter on '));
        const m = s ? WHY.exec(s.summary) : null;
        if (m === null) continue;
        const [, node, source, iface, back] = m as unknown as [string, string, string, string, string];
        const key = `${node}\0${source}\0${iface}`;
        const group = groups.get(key) ?? { node, source, iface, back, items: [] };
        groups.set(key, group);
        const e = perKey.get(key) ?? { group, share: 0 };
        e.share += b.probability;
        perKey.set(key, e);
      }
      for (const { group, share } of perKey.values()) group.items.push({ share, summary: `${percent(share)} of connections to ${hostPort(p.address, p.port)}: ${p.branches.find((b) => b.why.startsWith('strict rp_filter'))?.why ?? ''}`, ingress: p.node, address: p.address });
    }
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const port = ctx.port?.nodePort ?? ctx.paths[0]?.port ?? 0;
    for (const g of groups.values()) {
      const data = ctx.nodeState(g.node);
      const all = data.sysctl('net.ipv4.conf.all.rp_filter') ?? null;
      const dev = data.sysctl(`net.ipv4.conf.${g.iface}.rp_filter`) ?? null;
      const effective = Math.max(Number(all ?? 0) || 0, Number(dev ?? 0) || 0);
      const evidence: Evidence[] = [
        { kind: 'sysctl', node: g.node, name: 'net.ipv4.conf.all.rp_filter', value: all },
        { kind: 'sysctl', node: g.node, name: `net.ipv4.conf.${g.iface}.rp_filter`, value: dev },
        ...g.items.map((i): Evidence => ({ kind: 'path', node: i.ingress, summary: i.summary })),
      ];
      const strict = ['all', g.iface].filter((k) => (k === 'all' ? all : dev) === '1');
      const keys = strict.length > 0 ? strict : ['all', g.iface];
      findings.push({
        messageId: 'strict',
        node: g.node,
        data: {
          node: g.node, port, source: g.source, iface: g.iface, back: g.back, effective,
          all: all ?? '(not gathered)', dev: dev ?? '(not gathered)',
          affected: g.items.map((i) => `${percent(i.share)} of the connections that enter through ${i.ingress} (${i.address})`).join(', '),
        },
        evidence,
        remediation: {
          summary: `Make reverse-path filtering loose (2) on ${g.node}: it still drops packets from unroutable sources but accepts asymmetric routes. Persist it in a drop-in that sorts after the file that set 1.`,
          commands: [
            ...keys.map((k) => sh`sysctl -w net.ipv4.conf.${k}.rp_filter=2`),
            // The interface names are printf's format here: their % and \ must stay themselves.
            sh`printf ${keys.map((k) => `net.ipv4.conf.${k.replace(/[%\\]/g, (c) => c + c)}.rp_filter = 2\\n`).join('')} | tee /etc/sysctl.d/99-kubernetes-rp-filter.conf`,
            sh`sysctl --system`,
          ],
        },
      });
    }
    return findings;
  },
});
