/**
 * The load-time check (src/engine/iptables/validate.ts) has a fast path, one regex per family, and
 * an exact path, the parser and compilers the walk uses. The fast path may only accept what the
 * exact path accepts: held here against the corpus dumps, kube-proxy dumps in both families and
 * thousands of mutated rules. The fast path must also take every rule kube-proxy writes, or the
 * load-time check costs a second on a 10k-Service dump.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateDump, Rng } from '../../bench/gen-dump.js';
import { parseAddr } from '../../src/engine/address.js';
import { ParseError } from '../../src/engine/errors.js';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import type { Chain, Ruleset, Table } from '../../src/engine/iptables/ruleset.js';
import { checkRule, ruleShapes } from '../../src/engine/iptables/validate.js';
import { KUBE_PROXY_DUMP } from './fixtures.js';

interface Verdicts {
  /** Per rule id: the fast path took it. */
  fast: boolean[];
  /** Per rule id: null when the exact path takes it, else its error. */
  exact: (string | null)[];
}

/** Both paths, rule by rule, on a dump parsed without the load-time check. */
function verdicts(text: string, family: 4 | 6): Verdicts {
  const rs = parseIptablesSave(text, { source: 'corpus', validate: false });
  const latin1 = rs.bytes.toString('latin1');
  const shape = ruleShapes(family);
  const n = rs.ruleSpans.length / 3;
  const fast = Array.from({ length: n }, (_, id) => {
    shape.lastIndex = rs.ruleSpans[3 * id + 1] as number;
    return shape.test(latin1) && shape.lastIndex === rs.ruleSpans[3 * id + 2];
  });
  const exact = new Array<string | null>(n).fill(null);
  for (const [table, chain, id] of everyRule(rs)) {
    try {
      checkRule(rs, table, chain, id, family);
    } catch (e) {
      assert.ok(e instanceof ParseError, String(e));
      exact[id] = e.problem;
    }
  }
  return { fast, exact };
}

function* everyRule(rs: Ruleset): Generator<[Table, Chain, number]> {
  for (const table of rs.tables.values()) {
    for (const chain of table.chains.values()) {
      for (let i = 0; i < chain.count; i++) yield [table, chain, chain.ids ? (chain.ids[i] as number) : chain.first + i];
    }
  }
}

/** Rules the fast path took although the exact path refuses them: must be none. */
function unsound(text: string, family: 4 | 6): string[] {
  const v = verdicts(text, family);
  const rules = ruleLines(text);
  return v.fast.flatMap((ok, id) => (ok && v.exact[id] !== null ? [`${rules[id] ?? ''}  (${v.exact[id] ?? ''})`] : []));
}

const ruleLines = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ')).map((l) => l.replace(/\r$/, ''));

/** Every iptables dump of the scenario corpus and the examples. */
function corpusDumps(): { name: string; text: string; family: 4 | 6 }[] {
  const out: { name: string; text: string; family: 4 | 6 }[] = [];
  const snapshots = [
    ...readdirSync('test/scenarios', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join('test/scenarios', d.name, 'snapshot.json')),
    'examples/demo.json',
  ];
  for (const file of snapshots) {
    let doc: { nodes?: { name: string; commands?: Record<string, { stdout?: string; exitCode?: number | null }> }[] };
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
    } catch {
      continue;
    }
    for (const node of doc.nodes ?? []) {
      for (const [id, out2] of Object.entries(node.commands ?? {})) {
        if (!/^ip6?tables(-nft|-legacy)?-save$/.test(id) || out2.exitCode !== 0 || !/^\*/m.test(out2.stdout ?? '')) continue;
        out.push({ name: `${file} ${node.name} ${id}`, text: out2.stdout ?? '', family: id.startsWith('ip6') ? 6 : 4 });
      }
    }
  }
  for (const f of readdirSync('examples/two-node-cluster').filter((f) => f.endsWith('.rules'))) {
    out.push({ name: f, text: readFileSync(join('examples/two-node-cluster', f), 'utf8'), family: 4 });
  }
  out.push({ name: 'KUBE_PROXY_DUMP', text: KUBE_PROXY_DUMP, family: 4 });
  return out;
}

/** The same dump as ip6tables-save would print it for IPv6 Services: A.B.C.D becomes fd00::A:B:C:D. */
function asIpv6(text: string): string {
  const v6 = (a: string) => `fd00::${a.split('.').join(':')}`;
  return text
    .replace(/iptables-save/g, 'ip6tables-save')
    .replace(/--to-destination (\d+\.\d+\.\d+\.\d+):(\d+)/g, (_, a: string, p: string) => `--to-destination [${v6(a)}]:${p}`)
    .replace(/(\d+\.\d+\.\d+\.\d+)\/(\d+)/g, (_, a: string, bits: string) => `${v6(a)}/${Number(bits) + 96}`)
    .replace(/\d+\.\d+\.\d+\.\d+/g, v6);
}

const kubeProxyDumps = (): { name: string; text: string; family: 4 | 6 }[] => {
  const out: { name: string; text: string; family: 4 | 6 }[] = [];
  for (const comments of [true, false]) {
    for (const backend of ['nft', 'legacy'] as const) {
      const { text } = generateDump({ services: 400, endpointsPerService: 3, comments, backend });
      out.push({ name: `${backend}${comments ? '' : ' nc'}`, text, family: 4 });
      out.push({ name: `${backend}${comments ? '' : ' nc'} IPv6`, text: asIpv6(text), family: 6 });
    }
  }
  return out;
};

const CHARS = ' "\\!-:/.,0123456789afxzAFZ[]_+';
const NUMBERS = ['256', '65536', '65535', '0', '00', '01', '33', '129', '4294967296', '1.5', '0x', '0xfffffffff', ':', ''];
const WORDS = ['FOO', 'local', 'NEW,FOO', 'LOCAL,', '!', '-', '"', '-x', 'DNAT', 'SNAT', 'MARK', 'CONNMARK', '--to-destination', '-j', '-m'];

/** One random change to a rule, after its `-A CHAIN ` (the dump's structure stays intact). */
function mutate(rule: string, next: () => number): string {
  const head = rule.indexOf(' ', 3) + 1;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const at = head + Math.floor(next() * (rule.length - head));
  const body = rule.slice(head);
  switch (Math.floor(next() * 6)) {
    case 0:
      return rule.slice(0, at) + pick([...CHARS]) + rule.slice(at + 1);
    case 1:
      return rule.slice(0, at) + rule.slice(at + 1);
    case 2:
      return rule.slice(0, at) + pick([...CHARS]) + rule.slice(at);
    case 3: {
      const numbers = [...body.matchAll(/\d+/g)];
      const m = numbers.length ? pick(numbers) : null;
      return m ? rule.slice(0, head + (m.index ?? 0)) + pick(NUMBERS) + rule.slice(head + (m.index ?? 0) + m[0].length) : rule;
    }
    case 4: {
      const words = body.split(' ');
      const i = Math.floor(next() * words.length);
      words[i] = pick(WORDS);
      return rule.slice(0, head) + words.join(' ');
    }
    default: {
      const words = body.split(' ');
      words.splice(Math.floor(next() * words.length), 1);
      return rule.slice(0, head) + words.join(' ');
    }
  }
}

describe('load-time check: the fast path accepts only what the exact path accepts', () => {
  test('corpus dumps: both paths take every rule, and the fast path takes no rule the exact path refuses', () => {
    const dumps = corpusDumps();
    assert.ok(dumps.length >= 20, `only ${dumps.length} corpus dumps found`);
    for (const d of dumps) {
      const v = verdicts(d.text, d.family);
      const refused = v.exact.flatMap((e, id) => (e === null ? [] : [`${ruleLines(d.text)[id] ?? ''}: ${e}`]));
      assert.deepEqual(refused, [], `${d.name}: the exact path refuses a rule of a real-shaped dump`);
      assert.deepEqual(unsound(d.text, d.family), [], d.name);
    }
  });

  test('every rule kube-proxy and kubelet write takes the fast path, IPv4 and IPv6, with and without comments', () => {
    for (const d of kubeProxyDumps()) {
      const v = verdicts(d.text, d.family);
      const slow = v.fast.flatMap((ok, id) => (ok ? [] : [ruleLines(d.text)[id]]));
      assert.deepEqual(slow.slice(0, 5), [], `${d.name}: ${slow.length} of ${v.fast.length} rules miss the fast path`);
      assert.ok(v.exact.every((e) => e === null), d.name);
    }
  });

  test('mutated rules: whatever the fast path takes, the exact path takes too', () => {
    const rng = new Rng(17);
    const next = () => rng.next();
    let refusedByExact = 0;
    let takenByFast = 0;
    for (const d of kubeProxyDumps()) {
      for (let round = 0; round < 2; round++) {
        const text = d.text.split('\n').map((l) => (l.startsWith('-A ') ? mutate(l, next) : l)).join('\n');
        const v = verdicts(text, d.family);
        refusedByExact += v.exact.filter((e) => e !== null).length;
        takenByFast += v.fast.filter(Boolean).length;
        const bad = unsound(text, d.family);
        assert.deepEqual(bad.slice(0, 5), [], `${d.name} round ${round}: ${bad.length} mutated rules taken by the fast path but refused`);
      }
    }
    // The mutations reach both sides: many are refused, many are still valid rules.
    assert.ok(refusedByExact > 5000, `only ${refusedByExact} mutated rules were refused`);
    assert.ok(takenByFast > 5000, `only ${takenByFast} mutated rules took the fast path`);
  });

  test('IPv6 addresses: the fast path takes only what the address parser takes', () => {
    const rng = new Rng(6);
    const next = () => rng.next();
    const groups = () => Array.from({ length: Math.floor(next() * 10) }, () => Math.floor(next() * (next() < 0.9 ? 0x10000 : 0x100000)).toString(16));
    const forms: string[] = ['::', '::1', '1::', 'fd00::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '1:::2', '12345::', 'g::1', ':1', '1:'];
    for (let i = 0; i < 3000; i++) {
      const g = groups();
      const cut = Math.floor(next() * (g.length + 1));
      forms.push(next() < 0.5 ? g.join(':') : `${g.slice(0, cut).join(':')}::${g.slice(cut).join(':')}`);
    }
    const dump = `# Generated by ip6tables-save v1.8.9 (nf_tables)\n*filter\n:INPUT ACCEPT [0:0]\n${forms.map((a) => `-A INPUT -s ${a}/64 -j DROP`).join('\n')}\nCOMMIT\n`;
    const v = verdicts(dump, 6);
    let taken = 0;
    forms.forEach((a, id) => {
      if (!v.fast[id]) return;
      taken++;
      assert.equal(parseAddr(a)?.family, 6, `the fast path took ${a}`);
      assert.equal(v.exact[id], null, a);
    });
    assert.ok(taken > 500, `only ${taken} IPv6 forms took the fast path`);
  });
});
