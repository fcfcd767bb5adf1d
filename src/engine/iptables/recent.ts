/**
 * `-m recent` tests that are session affinity, told from what the rules do, not from names.
 *
 * kube-proxy (iptables mode) writes, per endpoint, `-A KUBE-SVC-X … -m recent --name KUBE-SEP-Y
 * --rcheck --seconds N --reap -j KUBE-SEP-Y` before its random split, and in KUBE-SEP-Y `-m recent
 * --name KUBE-SEP-Y --set … -j DNAT`. xt_recent facts: `--set` adds (or refreshes) the source
 * address and always matches; `--rcheck`/`--update`/`--remove` match only an address already in
 * the list and never add one. Lists are per network namespace, shared by every table.
 *
 * A test is affinity when the list it reads is written only by the chain it jumps to: list L is
 * `--set` (by source, whole address) only in chain T of this table, and the test's rule jumps to
 * T. Then L holds exactly the clients T received before, so a client that never connected is not
 * in it, whatever else the node sees: the test fails for a first connection. Any other list
 * (port knocking: set by packets to another port, a `--rdest` or masked list that other addresses
 * fill, a list without `--name`, a list set elsewhere) may hold the client for reasons the
 * question does not fix, and stays undecided.
 *
 * The dump text is searched for the list's name (a Buffer scan, no tokenizing: a 10k-Service
 * dump holds ~120k rules), and only the lines that name it are parsed.
 */
import { parseAddr } from '../address.js';
import { rulesOf } from './parse.js';
import { parseRule, RuleSyntaxError } from './rule.js';
import type { MatchSpec, Rule, Ruleset, Table } from './ruleset.js';

/** The rule a match belongs to, for tests that depend on the rest of the dump. */
export interface RuleAt {
  ruleset: Ruleset;
  table: Table;
  rule: Rule;
}

const TESTS = new Set(['--rcheck', '--update', '--remove']);

const value = (spec: MatchSpec, name: string): string | undefined => spec.options.find((o) => o.name === name && !o.negated)?.values[0];
const has = (spec: MatchSpec, name: string): boolean => spec.options.some((o) => o.name === name);

/** Keyed by the whole source address: `--rsource` (the default), no `--mask` narrower than the address. */
function bySource(spec: MatchSpec): boolean {
  if (has(spec, '--rdest')) return false;
  const mask = value(spec, '--mask');
  if (mask === undefined) return true;
  const a = parseAddr(mask);
  return a !== null && a.bytes.every((x) => x === 255);
}

/** The list an affinity test reads, or null: see the file comment. */
export function affinityList(spec: MatchSpec, at: RuleAt): string | null {
  const list = value(spec, '--name');
  const target = at.rule.target;
  if (list === undefined || !spec.options.some((o) => TESTS.has(o.name)) || has(spec, '--hitcount') || !bySource(spec)) return null;
  if (target === null || !at.table.chains.has(target.name)) return null;
  const setters = settersOf(at.ruleset, list);
  return setters.length > 0 && setters.every((s) => s === `${at.table.name} ${target.name}`) ? list : null;
}

/**
 * The affinity tests of the rule's chain from this rule on, this one first: the endpoints a
 * returning client may have stuck to (kube-proxy writes one per endpoint, before the split).
 */
export function affinityRest(at: RuleAt): number {
  const chain = at.table.chains.get(at.rule.chain);
  if (chain === undefined) return 1;
  const rules = rulesOf(at.ruleset, chain);
  const lists = new Set<string>();
  for (const r of rules.slice(Math.max(0, rules.indexOf(at.rule)))) {
    for (const m of r.matches) {
      if (m.module !== 'recent') continue;
      const l = affinityList(m, { ...at, rule: r });
      if (l !== null) lists.add(l);
    }
  }
  return Math.max(1, lists.size);
}

const settersCache = new WeakMap<Ruleset, Map<string, string[]>>();

/**
 * Where list `name` is `--set`, as `table chain`; `?` for a setter that is not by whole source
 * address (it may hold addresses no client of T sent). Lines that name the list but do not parse
 * are left to the walk, which reports them where it meets them.
 */
function settersOf(rs: Ruleset, name: string): string[] {
  let byName = settersCache.get(rs);
  if (byName === undefined) settersCache.set(rs, (byName = new Map<string, string[]>()));
  const known = byName.get(name);
  if (known !== undefined) return known;
  const out: string[] = [];
  for (const { table, text } of linesNaming(rs, name)) {
    const chain = /^-A (\S+) /.exec(text)?.[1];
    if (chain === undefined) continue;
    let rule: Rule;
    try {
      rule = parseRule(table, chain, 0, text);
    } catch (e) {
      if (e instanceof RuleSyntaxError) continue;
      throw e;
    }
    for (const m of rule.matches) {
      if (m.module === 'recent' && has(m, '--set') && value(m, '--name') === name) out.push(bySource(m) ? `${table} ${chain}` : '?');
    }
  }
  byName.set(name, out);
  return out;
}

const COUNTER_PREFIX = /^\[\d+:\d+\] /;

/** Every rule line (counters stripped) whose text holds `name`, with the table it is in. */
function linesNaming(rs: Ruleset, name: string): { table: string; text: string }[] {
  const buf = rs.bytes;
  const starts = tableStarts(rs);
  const seen = new Set<number>();
  const out: { table: string; text: string }[] = [];
  for (let at = buf.indexOf(name); at >= 0; at = buf.indexOf(name, at + name.length)) {
    const start = buf.lastIndexOf(0x0a, at) + 1;
    if (seen.has(start)) continue;
    seen.add(start);
    const nl = buf.indexOf(0x0a, at);
    const text = buf.toString('utf8', start, nl < 0 ? buf.length : nl).replace(/\r$/, '').replace(COUNTER_PREFIX, '');
    if (!text.startsWith('-A ')) continue;
    const table = starts.filter((t) => t.offset < start).pop()?.name;
    if (table !== undefined) out.push({ table, text });
  }
  return out;
}

const startsCache = new WeakMap<Ruleset, { name: string; offset: number }[]>();

/** Where each table's `*name` line is in the dump, in order. */
function tableStarts(rs: Ruleset): { name: string; offset: number }[] {
  let starts = startsCache.get(rs);
  if (starts !== undefined) return starts;
  starts = [];
  for (const name of rs.tables.keys()) {
    const head = `*${name}`;
    for (let at = rs.bytes.indexOf(head); at >= 0; at = rs.bytes.indexOf(head, at + 1)) {
      const next = rs.bytes[at + head.length];
      // The line may end in blanks or CR, as the parser accepts it.
      if ((at === 0 || rs.bytes[at - 1] === 0x0a) && (next === 0x0a || next === 0x0d || next === 0x20 || next === 0x09 || next === undefined)) {
        starts.push({ name, offset: at });
        break;
      }
    }
  }
  starts.sort((a, b) => a.offset - b.offset);
  startsCache.set(rs, starts);
  return starts;
}
