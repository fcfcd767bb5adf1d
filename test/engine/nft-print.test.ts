import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fmtOfType, printExpr, printStmt } from '../../src/engine/nft/print.js';
import type { NftRuleset, NftSet } from '../../src/engine/nft/index.js';
import { fixture, fixtureText } from './fixtures/nft/harness.js';

/**
 * NAME.txt is `nft -a list ruleset` of the same kernel state NAME.json came from (regen.sh):
 * every rule line ends with `# handle N`, so rules are matched by table, chain and handle.
 */
function rulesOfText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = '';
  let chain = '';
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      chain = '';
      continue;
    }
    const c = /^\tchain (\S+) \{/.exec(line);
    if (c) {
      chain = c[1] as string;
      continue;
    }
    if (line.startsWith('\t}')) chain = '';
    const r = /^\t\t(.*) # handle (\d+)$/.exec(line);
    if (r && chain) out.set(`${table} ${chain} ${r[2]}`, r[1] as string);
  }
  return out;
}

/** Set and map elements as `nft list ruleset` prints them (`elements = { … }`), split at top-level commas. */
function elementsOfText(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let table = '';
  let set = '';
  let body: string | null = null;
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) table = `${t[1]} ${t[2]}`;
    const s = /^\t(?:set|map) (\S+) \{/.exec(line);
    if (s) set = s[1] as string;
    if (body === null) {
      const e = /^\t\telements = \{ (.*)$/.exec(line);
      if (!e) continue;
      body = e[1] as string;
    } else body += ` ${line.trim()}`;
    if (body.endsWith(' }')) {
      out.set(`${table} ${set}`, splitTop(body.slice(0, -2)));
      body = null;
    }
  }
  return out;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const FIXTURES = ['kube-proxy-v133', 'kube-proxy-v134', 'firewalld', 'exprs', 'exprs2', 'iptables-nft'];

const hasXt = (expr: unknown[]): boolean => expr.some((e) => typeof e === 'object' && e !== null && 'xt' in e);

function elementText(set: NftSet, i: number): string {
  const e = set.elements[i]!;
  let s = e.keyText;
  if (e.comment !== undefined) s += ` comment "${e.comment}"`;
  if (set.kind === 'map') s += ` : ${printExpr(e.value, fmtOfType(set.map))}`;
  return s;
}

describe('print: rule text equals `nft list ruleset` (nft 1.0.6)', () => {
  for (const name of FIXTURES) {
    test(name, () => {
      const rs: NftRuleset = fixture(name);
      const want = rulesOfText(fixtureText(`${name}.txt`));
      let compared = 0;
      let xt = 0;
      for (const t of rs.tables) {
        for (const c of t.chains.values()) {
          for (const r of c.rules) {
            const key = `${t.family} ${t.name} ${c.name} ${r.handle}`;
            assert.ok(want.has(key), `${key} is not in ${name}.txt`);
            // nft prints iptables-nft's xt matches through libxtables' own translation, which the
            // JSON does not carry; those rules cannot be reproduced from the dump.
            if (hasXt(r.expr)) {
              xt++;
              continue;
            }
            assert.equal(r.text, want.get(key), key);
            compared++;
          }
        }
      }
      assert.equal(compared + xt, want.size, 'every rule of the text dump is in the JSON dump');
      assert.ok(compared > 0);
      if (name === 'iptables-nft') assert.equal(xt, 3);
      else assert.equal(xt, 0);
    });
  }

  test('set and map elements print as nft lists them', () => {
    let checked = 0;
    for (const name of FIXTURES) {
      const rs = fixture(name);
      const want = elementsOfText(fixtureText(`${name}.txt`));
      for (const t of rs.tables) {
        for (const s of t.sets.values()) {
          // Elements of dynamic sets carry a countdown (`expires 2h59m59s992ms`) that differs between two dumps.
          if (s.dynamic) continue;
          const got = s.elements.map((_, i) => elementText(s, i)).sort();
          assert.deepEqual(got, [...(want.get(`${t.family} ${t.name} ${s.name}`) ?? [])].sort(), `${name}: ${t.family} ${t.name} ${s.name}`);
          checked += got.length;
        }
      }
    }
    assert.ok(checked >= 40, `only ${checked} elements compared`);
  });
});

describe('print: shapes the fixtures do not hold', () => {
  const cases: [string, unknown, string][] = [
    ['queue', { queue: { num: 3, flags: ['bypass'] } }, 'queue flags bypass to 3'],
    ['counter reference', { counter: 'web-hits' }, 'counter name "web-hits"'],
    ['raw payload', { match: { op: '==', left: { payload: { base: 'nh', offset: 96, len: 32 } }, right: 1 } }, '@nh,96,32 1'],
    ['set statement with timeout', { set: { op: 'add', elem: { elem: { val: { payload: { protocol: 'ip', field: 'saddr' } }, timeout: 90 } }, set: '@seen' } }, 'add @seen { ip saddr timeout 1m30s }'],
    ['xt target', { xt: { type: 'target', name: 'DNAT' } }, 'xt target DNAT'],
    ['unknown statement', { synproxy: { mss: 1460 } }, 'synproxy {"mss":1460}'],
  ];
  for (const [name, stmt, want] of cases) {
    test(name, () => assert.equal(printStmt(stmt, 'inet'), want));
  }
});
