/**
 * One backend's ruleset of one family (iptables or ip6tables) as the kit builds it (tables of chains of rules, rules kept in the
 * words their writer used), printed two ways: as iptables-restore input, and as what
 * iptables-save prints after the kernel round trip. The second is what snapshots hold; the
 * kernel round-trip test checks that this file prints it exactly as iptables v1.8.9 does.
 *
 * The save printer knows the modules and targets kube-proxy, kubelet, flannel, ip-masq-agent and
 * the host-firewall presets use: it moves -s/-d/-i/-o/-p in front (with /32 on hosts), prints each
 * module's options in its own order, marks and probabilities the way the kernel stores them, and
 * REJECT's default. Options of other modules are kept as written.
 */
import type { Backend, Family, Policy, TableName } from './spec.js';
import { normalCidr } from './net.js';
import { savedProbability } from './statistic-probability.js';

export const BUILTIN_CHAINS: Record<TableName, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The order iptables-nft-save prints tables in, whatever order they were created in. */
const NFT_TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

export class Table {
  /** Every chain with its rules (the words after `-A CHAIN`), built-ins first, then in creation order. */
  readonly chains = new Map<string, string[]>();
  readonly policies = new Map<string, Policy>();

  constructor(readonly name: TableName) {
    for (const chain of BUILTIN_CHAINS[name]) this.chains.set(chain, []);
  }

  declare(chain: string): string[] {
    let rules = this.chains.get(chain);
    if (rules === undefined) {
      rules = [];
      this.chains.set(chain, rules);
    }
    return rules;
  }

  append(chain: string, rule: string): void {
    this.declare(chain).push(rule);
  }

  /** iptables -I: the rule goes first. */
  insert(chain: string, rule: string): void {
    this.declare(chain).unshift(rule);
  }

  /** EnsureRule(Prepend): inserts unless an equivalent rule is already in the chain. */
  ensureFirst(chain: string, rule: string): void {
    const canonical = saveRule(rule);
    if (!this.declare(chain).some((r) => saveRule(r) === canonical)) this.insert(chain, rule);
  }

  /** A restore that declares the chain (`:CHAIN - [0:0]`) empties it first. */
  flush(chain: string): void {
    this.declare(chain).length = 0;
  }

  isBuiltin(chain: string): boolean {
    return BUILTIN_CHAINS[this.name].includes(chain);
  }
}

/** One backend's tables of one family (4: iptables, 6: ip6tables), in the order they were created. */
export class Ruleset {
  readonly tables = new Map<TableName, Table>();

  constructor(readonly family: Family = 4) {}

  table(name: TableName): Table {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = new Table(name);
      this.tables.set(name, t);
    }
    return t;
  }

  get isEmpty(): boolean {
    return this.tables.size === 0;
  }
}

/**
 * iptables-restore input for a whole ruleset: each table's chain declarations, then its rules
 * chain by chain, in the writers' own words. A built-in chain is only declared when it has rules
 * or a policy: iptables-nft creates base chains (and so netfilter hooks) lazily, like the writers
 * do on a real node.
 */
export function restoreText(rs: Ruleset): string {
  const lines: string[] = [];
  for (const table of rs.tables.values()) {
    lines.push(`*${table.name}`);
    for (const [chain, rules] of table.chains) {
      if (!table.isBuiltin(chain)) lines.push(`:${chain} - [0:0]`);
      else if (rules.length > 0 || table.policies.has(chain)) lines.push(`:${chain} ${table.policies.get(chain) ?? 'ACCEPT'} [0:0]`);
    }
    for (const [chain, rules] of table.chains) for (const rule of rules) lines.push(`-A ${chain} ${rule}`);
    lines.push('COMMIT');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export interface SaveOptions {
  backend: Backend;
  /** The tool name in the nft header (`iptables-nft-save` or plain `iptables-save`); legacy always says iptables-save. */
  tool: 'iptables-nft-save' | 'iptables-save';
  /** iptables version, e.g. 1.8.9. */
  version: string;
  /** ctime(3)-style date of the header and footer. */
  date: string;
}

/**
 * What `iptables-save` prints for the ruleset: nft lists tables in a fixed order, legacy newest
 * first; every built-in chain with its policy, user chains sorted, rules grouped by chain in that
 * order, counters [0:0] (nothing ever matched in a namespace no packet entered).
 */
export function saveText(rs: Ruleset, o: SaveOptions): string {
  const tables = o.backend === 'nft'
    ? NFT_TABLE_ORDER.flatMap((n) => rs.tables.get(n) ?? [])
    : [...rs.tables.values()].reverse();
  const tool = o.backend === 'nft' ? o.tool : 'iptables-save';
  const header = `# Generated by ${rs.family === 6 ? tool.replace('iptables', 'ip6tables') : tool} v${o.version}${o.backend === 'nft' ? ' (nf_tables)' : ''} on ${o.date}`;
  const lines: string[] = [];
  for (const table of tables) {
    const builtins = BUILTIN_CHAINS[table.name];
    const user = [...table.chains.keys()].filter((c) => !table.isBuiltin(c)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    lines.push(header, `*${table.name}`);
    for (const chain of builtins) lines.push(`:${chain} ${table.policies.get(chain) ?? 'ACCEPT'} [0:0]`);
    for (const chain of user) lines.push(`:${chain} - [0:0]`);
    for (const chain of [...builtins, ...user]) for (const rule of table.chains.get(chain) ?? []) lines.push(`-A ${chain} ${saveRule(rule, rs.family)}`);
    lines.push('COMMIT', `# Completed on ${o.date}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// One rule, parsed from restore words

interface Option {
  negated: boolean;
  name: string;
  values: string[];
}

interface Negatable {
  negated: boolean;
  value: string;
}

/** A rule's matches and target, as iptables-restore reads the words. */
export interface ParsedRule {
  source?: Negatable;
  destination?: Negatable;
  inIface?: Negatable;
  outIface?: Negatable;
  protocol?: Negatable;
  modules: { name: string; options: Option[] }[];
  target?: { goto: boolean; name: string; options: Option[] };
}

/** Splits restore words; a double-quoted string is one word (quotes removed). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''));
  return words;
}

const BASE: Record<string, 'source' | 'destination' | 'inIface' | 'outIface' | 'protocol'> = {
  '-s': 'source', '--source': 'source', '--src': 'source',
  '-d': 'destination', '--destination': 'destination', '--dst': 'destination',
  '-i': 'inIface', '--in-interface': 'inIface',
  '-o': 'outIface', '--out-interface': 'outIface',
  '-p': 'protocol', '--protocol': 'protocol',
};

export function parseRule(rule: string): ParsedRule {
  const words = splitWords(rule);
  const parsed: ParsedRule = { modules: [] };
  let negated = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '!') {
      negated = true;
      continue;
    }
    const base = BASE[w];
    if (base !== undefined) {
      const value = words[++i] ?? '';
      parsed[base] = { negated, value: base === 'source' || base === 'destination' ? normalCidr(value) : base === 'protocol' ? value.toLowerCase() : value };
    } else if (w === '-m' || w === '--match') {
      parsed.modules.push({ name: words[++i] ?? '', options: [] });
    } else if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      parsed.target = { goto: w === '-g' || w === '--goto', name: words[++i] ?? '', options: [] };
    } else if (w.startsWith('--')) {
      const values: string[] = [];
      while (i + 1 < words.length && !/^(-[a-zA-Z-]|!$)/.test(words[i + 1] ?? '')) values.push(words[++i] ?? '');
      const option = { negated, name: w, values };
      if (parsed.target !== undefined) parsed.target.options.push(option);
      else {
        // `-p tcp --dport 80` loads the tcp match implicitly; iptables-save prints it as `-m tcp`.
        if (parsed.modules.length === 0) parsed.modules.push({ name: parsed.protocol?.value ?? '', options: [] });
        parsed.modules[parsed.modules.length - 1]?.options.push(option);
      }
    } else {
      throw new Error(`cannot read rule word "${w}" in: ${rule}`);
    }
    negated = false;
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// How iptables-save prints a rule

/** libxtables' xtables_save_string: bare when only [_-0-9a-zA-Z], else quoted with \" \\ \' escaped. */
const quote = (s: string): string => (/^[-_0-9a-zA-Z]+$/.test(s) ? s : `"${s.replace(/(["\\'])/g, '\\$1')}"`);
const neg = (n: boolean): string => (n ? '! ' : '');

/** The rule as iptables v1.8.9's save (ip6tables-save for family 6) prints it (without `-A CHAIN`). */
export function saveRule(rule: string, family: Family = 4): string {
  const r = parseRule(rule);
  const out: string[] = [];
  const base = (flag: string, v: Negatable | undefined): void => {
    if (v !== undefined) out.push(`${neg(v.negated)}${flag} ${v.value}`);
  };
  base('-s', r.source);
  base('-d', r.destination);
  base('-i', r.inIface);
  base('-o', r.outIface);
  base('-p', r.protocol);
  for (const m of r.modules) out.push(`-m ${m.name}${saveOptions(m.name, m.options, family).map((o) => ` ${o}`).join('')}`);
  if (r.target !== undefined) out.push(`${r.target.goto ? '-g' : '-j'} ${r.target.name}${saveTarget(r.target.name, r.target.options, family).map((o) => ` ${o}`).join('')}`);
  return out.join(' ');
}

const option = (o: Option, values: string[] = o.values): string => `${neg(o.negated)}${o.name}${values.map((v) => ` ${v}`).join('')}`;

/** Options in the order each module's save function prints them. */
const MODULE_ORDER: Record<string, readonly string[]> = {
  tcp: ['--sport', '--dport', '--tcp-flags', '--syn'],
  udp: ['--sport', '--dport'],
  addrtype: ['--src-type', '--dst-type', '--limit-iface-in', '--limit-iface-out'],
  conntrack: ['--ctstate', '--ctproto', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst', '--ctstatus', '--ctdir'],
  statistic: ['--mode', '--probability', '--every', '--packet'],
  limit: ['--limit', '--limit-burst'],
};
const ALIASES: Record<string, string> = { '--source-port': '--sport', '--destination-port': '--dport', '--state': '--ctstate' };
const CT_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

function saveOptions(module: string, options: Option[], family: Family): string[] {
  // `-m state --state` keeps its own name; only conntrack's --state is read as --ctstate.
  const opts = options.map((o) => ({ ...o, name: (module === 'state' ? undefined : ALIASES[o.name]) ?? o.name }));
  const order = MODULE_ORDER[module];
  if (order !== undefined) opts.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  switch (module) {
    case 'comment':
      return opts.map((o) => option(o, o.values.map(quote)));
    case 'conntrack':
      return opts.map((o) => (o.name === '--ctstate' ? option(o, [ctStates(o.values[0] ?? '')]) : option(o)));
    case 'mark':
      return opts.map((o) => option(o, [markValue(o.values[0] ?? '')]));
    case 'statistic':
      return opts.map((o) => (o.name === '--probability' ? option(o, [savedProbability(o.values[0] ?? '')]) : option(o)));
    case 'recent':
      return recentOptions(opts, family);
    case 'nfacct':
      // libxt_nfacct prints " --nfacct-name " and then the name with its own leading space.
      return opts.map((o) => option(o, o.values.map((v) => ` ${quote(v)}`)));
    default:
      return opts.map((o) => option(o));
  }
}

const ctStates = (list: string): string => list.split(',').sort((a, b) => CT_STATES.indexOf(a) - CT_STATES.indexOf(b)).join(',');

/** `0x004000/0x004000` → `0x4000/0x4000`; a full mask is not printed. */
function markValue(text: string): string {
  const [value = '0', mask] = text.split('/');
  const hexOf = (s: string): string => `0x${Number(s).toString(16)}`;
  return mask === undefined || Number(mask) === 0xffffffff ? hexOf(value) : `${hexOf(value)}/${hexOf(mask)}`;
}

/** libxt_recent's save: the check, --seconds, --reap, --hitcount, --rttl, --name, --mask (all ones of the family), the side. */
function recentOptions(opts: Option[], family: Family): string[] {
  const get = (name: string): Option | undefined => opts.find((o) => o.name === name);
  const out: string[] = [];
  const check = ['--set', '--rcheck', '--update', '--remove'].map(get).find((o) => o !== undefined);
  if (check !== undefined) out.push(option(check));
  for (const name of ['--seconds', '--reap', '--hitcount', '--rttl']) {
    const o = get(name);
    if (o !== undefined) out.push(option(o));
  }
  const allOnes = family === 6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
  out.push(`--name ${get('--name')?.values[0] ?? 'DEFAULT'}`, `--mask ${get('--mask')?.values[0] ?? allOnes}`);
  out.push(get('--rdest') !== undefined ? '--rdest' : '--rsource');
  return out;
}

function saveTarget(target: string, options: Option[], family: Family): string[] {
  switch (target) {
    case 'MARK': {
      const [o] = options;
      const [value = '0', mask] = (o?.values[0] ?? '0').split('/');
      const v = Number(value);
      const m = mask === undefined ? 0xffffffff : Number(mask);
      const xmark: [number, number] =
        o?.name === '--or-mark' ? [v, v]
          : o?.name === '--xor-mark' ? [v, 0]
            : o?.name === '--and-mark' ? [0, ~v >>> 0]
              : o?.name === '--set-mark' ? [v, m]
                : [v, m]; // --set-xmark
      return [`--set-xmark 0x${xmark[0].toString(16)}/0x${xmark[1].toString(16)}`];
    }
    case 'REJECT':
      return options.length === 0 ? [`--reject-with ${family === 6 ? 'icmp6' : 'icmp'}-port-unreachable`] : options.map((o) => option(o));
    case 'LOG':
      return options.map((o) => (o.name === '--log-prefix' ? option(o, o.values.map(quote)) : option(o)));
    default:
      return options.map((o) => option(o));
  }
}

// ---------------------------------------------------------------------------------------------
// Saved text as other tools print it

/** Replaces the `on <date>` of every header and footer line (the kernel round trip prints today's). */
export const withSaveDate = (text: string, date: string): string =>
  text.replace(/^(# (?:Generated by .*|Completed) on ).*$/gm, `$1${date}`);

/**
 * The same dump printed by a host iptables older than the kube-proxy image's (v1.6.1): DNAT
 * revision 2 is unknown to it, so the target's options print as `[unsupported revision]`;
 * MASQUERADE's --random-fully flag is one it does not know either.
 */
export function asOldIptablesSave(text: string, version: string): string {
  return text
    .replace(/^# Generated by iptables-save v[\d.]+/gm, `# Generated by iptables-save v${version}`)
    .replace(/ -j DNAT --to-destination \S+$/gm, ' -j DNAT [unsupported revision]')
    .replace(/ -j MASQUERADE --random-fully$/gm, ' -j MASQUERADE');
}
