import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/engine/errors.js';
import { baseChainsAt, parseNftJson, runNftChain, type NftRuleset } from '../../src/engine/nft/index.js';
import { branch, env, fixture } from './fixtures/nft/harness.js';

function parseError(doc: unknown, walk?: (rs: NftRuleset) => void): ParseError {
  try {
    const rs = parseNftJson(typeof doc === 'string' ? doc : JSON.stringify(doc), { source: 'node1:nft' });
    walk?.(rs);
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ParseError');
}

const META = { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } };
const TABLE = { table: { family: 'ip', name: 't', handle: 1 } };
const CHAIN = { chain: { family: 'ip', table: 't', name: 'c', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } };

describe('parseNftJson: real dumps (nft 1.0.6)', () => {
  test('kube-proxy ≤1.33 layout: tables, base chains with numeric priorities, sets and maps', () => {
    const rs = fixture('kube-proxy-v133');
    assert.deepEqual(rs.tables.map((t) => `${t.family} ${t.name}`), ['ip kube-proxy']);
    const t = rs.tables[0]!;
    assert.equal(t.iptablesNft, false);
    const bases = [...t.chains.values()].filter((c) => c.base).map((c) => `${c.name} ${c.base!.type} ${c.base!.hook} ${c.base!.priority} ${c.base!.policy}`);
    assert.deepEqual(bases, [
      'filter-prerouting filter PREROUTING -110 accept',
      'filter-input filter INPUT -110 accept',
      'filter-forward filter FORWARD -110 accept',
      'filter-output filter OUTPUT -110 accept',
      'filter-output-post-dnat filter OUTPUT -90 accept',
      'nat-prerouting nat PREROUTING -100 accept',
      'nat-output nat OUTPUT -100 accept',
      'nat-postrouting nat POSTROUTING 100 accept',
    ]);
    const svc = t.sets.get('service-nodeports')!;
    assert.equal(svc.kind, 'map');
    assert.equal(svc.map, 'verdict');
    assert.deepEqual(svc.type, ['inet_proto', 'inet_service']);
    assert.deepEqual(svc.elements.map((e) => e.keyText), ['tcp . 30080', 'tcp . 30081', 'tcp . 30083', 'tcp . 30084', 'tcp . 30085']);
    assert.deepEqual(svc.elements[0]!.value, { goto: { target: 'external-ULMVA6XW-ns1/web/tcp/http' } });
    const noEp = t.sets.get('no-endpoint-nodeports')!;
    assert.deepEqual(noEp.elements.map((e) => [e.keyText, e.comment, e.value]), [
      ['tcp . 30082', 'ns1/noep:http', { goto: { target: 'reject-chain' } }],
      ['tcp . 30083', 'ns1/remote-only:http', { drop: null }],
    ]);
    assert.equal(t.sets.get('cluster-ips')!.kind, 'set');
    assert.equal(t.sets.get('cluster-ips')!.dynamic, false);
    // nft 1.0.6 leaves `dynamic` out of the JSON flags; the timeout still marks the set dynamic.
    const aff = t.sets.get('affinity-Q7T3ZRXP-ns1/aff/tcp/http__10.244.1.7/8080')!;
    assert.deepEqual(aff.flags, ['timeout']);
    assert.equal(aff.dynamic, true);
    assert.equal(aff.elements[0]!.keyText, '203.0.113.7');
    assert.equal(typeof aff.elements[0]!.expires, 'number');
    const rule = t.chains.get('services')!.rules[1]!;
    assert.equal(rule.handle, 77);
    assert.equal(rule.text, 'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports');
    assert.ok(rule.object > 1);
  });

  test('kube-proxy 1.34+ layout: pre-dnat chains at -110, filter chains at 0, an ip6 table beside', () => {
    const rs = fixture('kube-proxy-v134');
    assert.deepEqual(rs.tables.map((t) => `${t.family} ${t.name}`), ['ip kube-proxy', 'ip6 kube-proxy']);
    const prio = (family: 4 | 6, hook: 'PREROUTING' | 'INPUT' | 'OUTPUT') => baseChainsAt(rs, family, hook).map(({ table, chain }) => `${table.family}/${chain.name}@${chain.base!.priority}`);
    assert.deepEqual(prio(4, 'OUTPUT'), ['ip/filter-output-pre-dnat@-110', 'ip/filter-output@0', 'ip/nat-output@-100']);
    assert.deepEqual(prio(6, 'PREROUTING'), ['ip6/filter-prerouting-pre-dnat@-110', 'ip6/nat-prerouting@-100']);
    assert.deepEqual(prio(6, 'INPUT'), ['ip6/filter-input@0']);
    assert.deepEqual(rs.tables[0]!.sets.get('nodeport-ips')!.elements.map((e) => e.keyText), ['192.168.0.2', '192.168.1.2']);
  });

  test('firewalld: inet base chains at named priorities with offsets', () => {
    const t = fixture('firewalld').tables[0]!;
    const base = (n: string) => t.chains.get(n)!.base!;
    assert.equal(base('raw_PREROUTING').priority, -290);
    assert.equal(base('mangle_PREROUTING').priority, -140);
    assert.equal(base('nat_PREROUTING').priority, -90);
    assert.equal(base('nat_POSTROUTING').priority, 110);
    assert.equal(base('filter_INPUT').priority, 10);
    assert.deepEqual(baseChainsAt(fixture('firewalld'), 6, 'PREROUTING').map((c) => c.chain.name), ['mangle_PREROUTING', 'raw_PREROUTING', 'nat_PREROUTING', 'filter_PREROUTING']);
  });

  test('ingress chains, netdev and bridge tables are recorded but never walked', () => {
    const rs = fixture('exprs');
    const early = rs.tables.find((t) => t.name === 'early')!;
    assert.equal(early.chains.get('ingress')!.base, null);
    assert.deepEqual(early.chains.get('ingress')!.otherHook, { hook: 'ingress', type: 'filter', priority: 0, policy: 'accept', devices: [] });
    assert.equal(early.chains.get('input')!.base!.priority, -5);
    const bridge = rs.tables.find((t) => t.family === 'bridge')!;
    assert.equal(bridge.chains.get('forward')!.base, null);
    assert.equal(bridge.chains.get('forward')!.otherHook!.priority, -200);
    const netdev = rs.tables.find((t) => t.family === 'netdev')!;
    assert.equal(netdev.chains.get('ingress')!.otherHook!.hook, 'ingress');
    for (const hook of ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const) {
      for (const { table } of baseChainsAt(rs, 4, hook)) assert.ok(table.family === 'inet' || table.family === 'ip', `${table.family} ${table.name} at ${hook}`);
    }
    assert.deepEqual(baseChainsAt(rs, 4, 'INPUT').map((c) => `${c.table.name}/${c.chain.name}`), ['early/input']);
    assert.deepEqual(baseChainsAt(rs, 4, 'FORWARD').map((c) => `${c.table.name}/${c.chain.name}`), ['misc/forward']);
  });

  test('iptables-nft tables are recognised by xt expressions or built-in chain names, native ones are not', () => {
    const rs = fixture('iptables-nft');
    const flags = Object.fromEntries(rs.tables.map((t) => [`${t.family} ${t.name}`, t.iptablesNft]));
    assert.deepEqual(flags, { 'ip filter': true, 'ip nat': true, 'ip nat2': false, 'inet filter': false, 'ip mangle': false });
    assert.deepEqual(baseChainsAt(rs, 4, 'INPUT').map((c) => `${c.table.family} ${c.table.name} ${c.chain.name}`), ['inet filter input']);
    assert.deepEqual(baseChainsAt(rs, 4, 'PREROUTING').map((c) => `${c.table.name} ${c.chain.name}`), ['mangle prerouting']);
  });

  test('dumps with extra objects, element objects and named priorities', () => {
    const rs = parseNftJson(JSON.stringify({
      nftables: [
        META, TABLE,
        { counter: { family: 'ip', name: 'hits', table: 't', handle: 2, packets: 0, bytes: 0 } },
        { flowtable: { family: 'ip', name: 'ft', table: 't', handle: 3, hook: 'ingress', prio: 0, dev: 'lo' } },
        { 'ct helper': { family: 'ip', name: 'ftp', table: 't', handle: 4, type: 'ftp', protocol: 'tcp', l3proto: 'ip' } },
        { set: { family: 'ip', name: 's', table: 't', type: 'ipv4_addr', handle: 5 } },
        { chain: { family: 'ip', table: 't', name: 'pre', handle: 6, type: 'filter', hook: 'prerouting', prio: 'dstnat - 10', policy: 'drop' } },
        { chain: { family: 'ip', table: 't', name: 'post', handle: 7, type: 'nat', hook: 'postrouting', prio: 'srcnat+5' } },
        { element: { family: 'ip', table: 't', name: 's', elem: ['10.0.0.1', { prefix: { addr: '10.1.0.0', len: 16 } }] } },
        { rule: { family: 'ip', table: 't', chain: 'pre', handle: 8, expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@s' } }, { accept: null }] } },
      ],
    }), { source: 'x' });
    const t = rs.tables[0]!;
    assert.deepEqual(t.chains.get('pre')!.base, { type: 'filter', hook: 'PREROUTING', priority: -110, policy: 'drop' });
    assert.equal(t.chains.get('post')!.base!.priority, 105);
    assert.equal(t.chains.get('post')!.base!.policy, 'accept');
    assert.deepEqual(t.sets.get('s')!.elements.map((e) => e.keyText), ['10.0.0.1', '10.1.0.0/16']);
    assert.equal(t.chains.get('pre')!.rules[0]!.text, 'ip saddr @s accept');
    assert.deepEqual(parseNftJson('{"nftables": []}', { source: 'empty' }).tables, []);
  });
});

describe('parseNftJson: malformed input names the object and the problem', () => {
  const cases: { name: string; doc: unknown; line: number; problem: RegExp }[] = [
    { name: 'not JSON', doc: '{"nftables": [', line: 0, problem: /not JSON/ },
    { name: 'no nftables array', doc: { tables: [] }, line: 0, problem: /expected \{"nftables"/ },
    { name: 'an object with two keys', doc: { nftables: [META, { table: {}, chain: {} }] }, line: 2, problem: /object 2: expected one key/ },
    { name: 'a table without family', doc: { nftables: [{ table: { name: 't', handle: 1 } }] }, line: 1, problem: /object 1: table has family undefined/ },
    { name: 'a chain of an undeclared table', doc: { nftables: [META, CHAIN] }, line: 2, problem: /object 2: chain belongs to table ip t, which the dump does not declare/ },
    {
      name: 'a priority that is no name',
      doc: { nftables: [TABLE, { chain: { ...CHAIN.chain, prio: 'sooner' } }] },
      line: 2, problem: /object 2: chain ip t c: priority "sooner" is neither a number nor a standard priority name/,
    },
    {
      name: 'a bad policy',
      doc: { nftables: [TABLE, { chain: { ...CHAIN.chain, policy: 'reject' } }] },
      line: 2, problem: /chain ip t c: policy "reject"/,
    },
    {
      name: 'a rule of an undeclared chain',
      doc: { nftables: [TABLE, CHAIN, { rule: { family: 'ip', table: 't', chain: 'nope', handle: 4, expr: [] } }] },
      line: 3, problem: /object 3: rule in chain ip t nope: the dump declares no such chain/,
    },
    {
      name: 'a rule without handle',
      doc: { nftables: [TABLE, CHAIN, { rule: { family: 'ip', table: 't', chain: 'c', expr: [] } }] },
      line: 3, problem: /object 3: rule in chain ip t c has no integer "handle"/,
    },
    {
      name: 'a rule whose expr is not a list',
      doc: { nftables: [TABLE, CHAIN, { rule: { family: 'ip', table: 't', chain: 'c', handle: 9, expr: {} } }] },
      line: 3, problem: /object 3: rule in chain ip t c, handle 9: "expr" is not a list/,
    },
    {
      name: 'a map element that is no pair',
      doc: { nftables: [TABLE, { map: { family: 'ip', name: 'm', table: 't', type: 'ipv4_addr', map: 'verdict', handle: 2, elem: ['10.0.0.1'] } }] },
      line: 2, problem: /object 2: map m of table ip t: element 1 is not a \[key, value\] pair/,
    },
    {
      name: 'a newer schema',
      doc: { nftables: [{ metainfo: { json_schema_version: 2 } }] },
      line: 1, problem: /json_schema_version 2 is not supported/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const e = parseError(c.doc);
      assert.equal(e.source, 'node1:nft');
      assert.equal(e.line, c.line);
      assert.match(e.problem, c.problem);
    });
  }

  test('a malformed expression is reported when the rule is first walked, with table, chain and handle', () => {
    const doc = {
      nftables: [META, TABLE, CHAIN, { rule: { family: 'ip', table: 't', chain: 'c', handle: 7, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } } } }, { accept: null }] } }],
    };
    const e = parseError(doc, (rs) => {
      const t = rs.tables[0]!;
      runNftChain({ ruleset: rs, table: t, env: env(), family: 4, label: false }, [branch({ src: '10.0.0.1', dst: '192.168.0.2', dport: 80, hook: 'INPUT' })], t.chains.get('c')!);
    });
    assert.equal(e.line, 4);
    assert.match(e.problem, /^object 4: rule handle 7 in ip t c: match .* needs "op"/);
  });

  test('a verdict-map element that holds no verdict is reported when a lookup hits it', () => {
    const doc = {
      nftables: [
        TABLE, CHAIN,
        { map: { family: 'ip', name: 'ports', table: 't', type: 'inet_service', map: 'verdict', handle: 2, elem: [[80, { goto: { target: 'gone' } }]] } },
        { rule: { family: 'ip', table: 't', chain: 'c', handle: 5, expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@ports' } }] } },
      ],
    };
    const walk = (dport: number) => (rs: NftRuleset) => {
      const t = rs.tables[0]!;
      runNftChain({ ruleset: rs, table: t, env: env(), family: 4, label: false }, [branch({ src: '10.0.0.1', dst: '192.168.0.2', dport, hook: 'INPUT' })], t.chains.get('c')!);
    };
    // A miss never reads the element.
    walk(81)(parseNftJson(JSON.stringify(doc), { source: 'node1:nft' }));
    const e = parseError(doc, walk(80));
    assert.equal(e.line, 4);
    assert.match(e.problem, /object 4: rule handle 5 in ip t c: goto gone: table ip t declares no such chain/);
  });

  test('a jump to a chain the table does not declare', () => {
    const doc = { nftables: [TABLE, CHAIN, { rule: { family: 'ip', table: 't', chain: 'c', handle: 3, expr: [{ jump: { target: 'KUBE-NOPE' } }] } }] };
    const e = parseError(doc, (rs) => {
      const t = rs.tables[0]!;
      runNftChain({ ruleset: rs, table: t, env: env(), family: 4, label: false }, [branch({ src: '10.0.0.1', dst: '192.168.0.2', dport: 80, hook: 'INPUT' })], t.chains.get('c')!);
    });
    assert.equal(e.line, 3);
    assert.match(e.problem, /rule handle 3 in ip t c: jump KUBE-NOPE: table ip t declares no such chain/);
    assert.equal(e.text, 'jump KUBE-NOPE');
  });
});
