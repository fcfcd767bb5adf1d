/**
 * kube-proxy's rules two ways for one kit node: what the scenario kit writes (kube-proxy's writer
 * alone: no kubelet, CNI or firewall, as in a lab namespace) and what the real kube-proxy
 * programmed, both reduced to the lines kube-proxy owns and normalized only where the two may
 * honestly differ:
 *
 *   iptables mode (IPv4 `iptables-save`, the nft backend): header and footer comments (dates)
 *   and the counters of chain headers are dropped; in the chains every Service shares (nat
 *   KUBE-SERVICES / KUBE-NODEPORTS, filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES /
 *   KUBE-NODEPORTS / KUBE-PROXY-FIREWALL) the groups of rules of one service port are sorted by
 *   service port name, because syncProxyRules ranges over a Go map (svcPortMap); and the
 *   `-d <ip> -j KUBE-NODEPORTS` tail rules are sorted, because NodePortAddresses.GetNodeIPs
 *   collects the matching addresses in a Go map. The order inside one service port's group,
 *   and everything else, stays.
 *
 *   nftables mode (`nft -j list table ip kube-proxy`): handles are dropped and objects listed by
 *   name, because they number kube-proxy's commands in its (map-ordered) service order and its
 *   sync history; set elements are compared as sets. Rules keep their order inside a chain.
 *   The handles of what comes before the first service (setupHandles) are compared on their own.
 */
import { run } from '../../kernel/lab/exec.js';
import { Ruleset, saveText } from '../scenario-kit/iptables-text.js';
import { withNamespace } from '../scenario-kit/kernel.js';
import { kubeProxyNftTable } from '../scenario-kit/kube-proxy-nft.js';
import { writeKubeProxyRules } from '../scenario-kit/kube-proxy-rules.js';
import { nftTableJson, nftText } from '../scenario-kit/nft-model.js';
import { kubeProxyInput } from '../scenario-kit/node-rules.js';
import { findNode, type ClusterSpec } from '../scenario-kit/spec.js';

// ---------------------------------------------------------------------------------------------
// iptables mode

/** What the kit says kube-proxy leaves in iptables-save (IPv4, nft backend). */
export function kitIptablesSave(spec: ClusterSpec, nodeName: string): string {
  const rs = new Ruleset();
  writeKubeProxyRules(rs, kubeProxyInput(spec, findNode(spec, nodeName)));
  return saveText(rs, { backend: 'nft', tool: 'iptables-nft-save', version: '1.8.9', date: 'kit' });
}

export async function realIptablesSave(ns: string): Promise<string> {
  return (await run('iptables-save', [], { ns })).stdout;
}

const SHARED_CHAINS: Record<string, readonly string[]> = {
  nat: ['KUBE-SERVICES', 'KUBE-NODEPORTS'],
  filter: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'],
};

/** The service port a rule belongs to: the first word of its comment when that is `ns/name[:port]`. */
function servicePortOf(rule: string): string | null {
  const word = /--comment "?([^\s"]+)/.exec(rule)?.[1];
  return word !== undefined && word.includes('/') ? word : null;
}

/** Sorts each run of service-port rules by service port (stably), and each run of tail rules. */
function sortShared(rules: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rules.length) {
    const kind = (r: string): 'service' | 'tail' | 'other' => (servicePortOf(r) !== null ? 'service' : / -j KUBE-NODEPORTS$/.test(r) ? 'tail' : 'other');
    const k = kind(rules[i]!);
    let j = i + 1;
    while (j < rules.length && kind(rules[j]!) === k) j++;
    const run = rules.slice(i, j);
    if (k === 'service') run.sort((a, b) => (servicePortOf(a)! < servicePortOf(b)! ? -1 : servicePortOf(a)! > servicePortOf(b)! ? 1 : 0));
    else if (k === 'tail') run.sort();
    out.push(...run);
    i = j;
  }
  return out;
}

/** iptables-save text → its comparable lines (see the file comment). */
export function normalizeIptablesSave(text: string): string[] {
  const out: string[] = [];
  let table = '';
  let rules = new Map<string, string[]>();
  const flush = (): void => {
    for (const [chain, list] of rules) {
      const sorted = SHARED_CHAINS[table]?.includes(chain) === true ? sortShared(list) : list;
      out.push(...sorted.map((r) => `-A ${chain} ${r}`));
    }
    rules = new Map();
  };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      out.push(line);
    } else if (line.startsWith(':')) {
      out.push(line.replace(/ \[\d+:\d+\]$/, ' [0:0]'));
    } else if (line.startsWith('-A ')) {
      const [, chain = '', rule = ''] = /^-A (\S+) (.*)$/.exec(line) ?? [];
      rules.set(chain, [...(rules.get(chain) ?? []), rule]);
    } else if (line === 'COMMIT') {
      flush();
      out.push(line);
    } else {
      out.push(line);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nftables mode

type NftItem = Record<string, Record<string, unknown>>;

/** What the kit says `nft -j list table ip kube-proxy` holds (its objects, no metainfo). */
export function kitNftTable(spec: ClusterSpec, nodeName: string): NftItem[] {
  return nftTableJson(kubeProxyNftTable(kubeProxyInput(spec, findNode(spec, nodeName))), 0).items as NftItem[];
}

/**
 * What nft itself lists after loading the kit's transaction into an empty namespace, handles
 * included: the kit's own JSON must be exactly this (as the kernel round trip checks for the
 * corpus), so comparing the kit's JSON with the real kube-proxy's compares the transactions.
 */
export async function kitNftTableFromKernel(spec: ClusterSpec, nodeName: string): Promise<NftItem[]> {
  const text = nftText(kubeProxyNftTable(kubeProxyInput(spec, findNode(spec, nodeName))));
  return withNamespace(async (ns) => {
    await run('nft', ['-f', '-'], { ns, input: text });
    return realNftTable(ns);
  });
}

/** The real table's objects; [] when kube-proxy made no table. */
export async function realNftTable(ns: string): Promise<NftItem[]> {
  const r = await run('nft', ['-j', 'list', 'table', 'ip', 'kube-proxy'], { ns, allowFail: true });
  if (r.code !== 0) return [];
  return ((JSON.parse(r.stdout) as { nftables: NftItem[] }).nftables).filter((i) => !('metainfo' in i));
}

const withoutHandle = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'handle'));

/** nft JSON objects → comparable lines (see the file comment). */
export function normalizeNft(items: NftItem[]): string[] {
  const out: string[] = [];
  const byName = (kind: string): Record<string, unknown>[] =>
    items.flatMap((i) => (i[kind] !== undefined ? [i[kind]] : [])).sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
  for (const t of items.flatMap((i) => (i.table !== undefined ? [i.table] : []))) out.push(`table ${JSON.stringify(withoutHandle(t))}`);
  for (const kind of ['set', 'map']) {
    for (const s of byName(kind)) {
      const { elem, ...rest } = withoutHandle(s);
      out.push(`${kind} ${String(s.name)} ${JSON.stringify(rest)}`);
      out.push(...((elem as unknown[] | undefined) ?? []).map((e) => `${kind} ${String(s.name)} element ${JSON.stringify(e)}`).sort());
    }
  }
  const rules = items.flatMap((i) => (i.rule !== undefined ? [i.rule] : []));
  for (const c of byName('chain')) {
    out.push(`chain ${String(c.name)} ${JSON.stringify(withoutHandle(c))}`);
    for (const r of rules.filter((x) => x.chain === c.name)) out.push(`chain ${String(c.name)} rule ${JSON.stringify(withoutHandle(r))}`);
  }
  return out;
}

const PER_SERVICE = /^(service|external|local|firewall|endpoint|affinity)-/;

/**
 * The handles of what setupNFTables writes before any service (base and top-level chains, their
 * rules, the fixed sets and maps): on the first sync they do not depend on the services' (Go
 * map) order, so the kit's must be the real ones. Keyed `chain NAME`, `set NAME`, `rule CHAIN #i`.
 */
export function setupHandles(items: NftItem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const i of items) {
    const [kind = '', o = {}] = Object.entries(i)[0] ?? [];
    if (kind === 'table') continue;
    if (kind === 'rule') {
      const chain = String(o.chain);
      if (PER_SERVICE.test(chain)) continue;
      const n = seen.get(chain) ?? 0;
      seen.set(chain, n + 1);
      out[`rule ${chain} #${n}`] = o.handle;
    } else if (!PER_SERVICE.test(String(o.name))) {
      out[`${kind} ${String(o.name)}`] = o.handle;
    }
  }
  return out;
}
