/**
 * A bounded walk (issue 13): one branch budget, a step budget and an injected time budget for the
 * whole walk, past which the rest is one INDETERMINATE outcome naming the budget; branches that
 * reach the same state merge; rules that cannot change anything do not fork; the outcomes of a
 * walk sum to 1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import { parseIpvsadmSave } from '../../src/engine/ipvs/index.js';
import { parseNftJson } from '../../src/engine/nft/index.js';
import type { WalkLimits } from '../../src/engine/packet/budget.js';
import type { NodeContext, Outcome, Packet, WalkResult } from '../../src/engine/packet/contract.js';
import { walk, type Dataplane } from '../../src/engine/walk/walk.js';

const NODE: NodeContext = { localIps: ['192.168.0.2'], interfaceOf: { '192.168.0.2': 'eth0' } };
/** No input interface: every `-i` match is undecidable. */
const PACKET: Packet = { src: '203.0.113.2', sport: 40000, dst: '192.168.0.2', dport: 80, proto: 'tcp' };

const sum = (r: WalkResult) => r.outcomes.reduce((s, o) => s + o.probability, 0);

function assertSumsToOne(r: WalkResult): void {
  assert.ok(Math.abs(sum(r) - 1) <= 1e-9, `outcomes sum to ${sum(r)}: ${r.outcomes.map((o) => `${o.probability} ${o.verdict}`).join(', ')}`);
}

/** A mangle table with these rules (PREROUTING unless the rule says otherwise) and user chains A–D. */
function mangle(rules: string[]): string {
  return `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
:C - [0:0]
:D - [0:0]
${rules.join('\n')}
COMMIT
`;
}

function run(rules: string[], limits: WalkLimits = {}, packet: Packet = PACKET): WalkResult {
  const r = walk([parseIptablesSave(mangle(rules), { source: 'test' })], NODE, packet, limits);
  assertSumsToOne(r);
  return r;
}

const line = (o: Outcome) => `${o.probability} ${o.verdict} mark=${o.mark}${o.indeterminate ? ' ?' : ''}`;

describe('rules that cannot change anything do not fork', () => {
  test('24 target-less statistic rules: one branch, one outcome', () => {
    const r = run(Array.from({ length: 24 }, () => '-A INPUT -m statistic --mode random --probability 0.5'));
    assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x0']);
  });

  test('a target-less or LOG rule with an undecidable match: no fork and no reason', () => {
    const r = run(['-A PREROUTING -i eth9', '-A PREROUTING -m frobnicate --x 1', '-A PREROUTING -i eth9 -j LOG --log-prefix x']);
    assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x0']);
  });

  test('a certain match on a target-less rule is still a hop', () => {
    const r = run(['-A PREROUTING -p tcp']);
    assert.deepEqual(r.outcomes[0]?.hops.map((h) => h.action).slice(0, 1), ['CONTINUE']);
  });

  test('a jump to an empty chain, a RETURN-only chain or a chain of target-less rules: no fork', () => {
    for (const chain of [[], ['-A A -j RETURN'], ['-A A -m statistic --mode random --probability 0.3', '-A A -i eth7 -j RETURN', '-A A -j B'], ['-A A -g B']]) {
      const r = run(['-A PREROUTING -i eth9 -j A', '-A PREROUTING -m statistic --mode random --probability 0.5 -j A', ...chain]);
      assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x0'], chain.join(' / '));
    }
  });

  test('a RETURN with nothing after it that does anything: no fork; with a DROP after it: a fork', () => {
    assert.deepEqual(run(['-A PREROUTING -j A', '-A A -i eth9 -j RETURN', '-A A -j LOG']).outcomes.map(line), ['1 ACCEPT mark=0x0']);
    assert.deepEqual(run(['-A PREROUTING -j A', '-A A -i eth9 -j RETURN', '-A A -j DROP']).outcomes.map(line), ['0.5 DROP mark=0x0 ?', '0.5 ACCEPT mark=0x0 ?']);
  });

  test('a jump to a chain that marks forks, and each side takes half', () => {
    const r = run(['-A PREROUTING -i eth9 -j A', '-A A -j MARK --set-xmark 0x1/0xffffffff']);
    assert.deepEqual(r.outcomes.map(line), ['0.5 ACCEPT mark=0x1 ?', '0.5 ACCEPT mark=0x0 ?']);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /^line 11 may match \(the packet's input interface is not known .*\); this branch assumes it does$/);
  });
});

describe('an undecidable match whose sides lead to the same place does not fork (issue 17)', () => {
  /** A walk allowed no second branch: it finishes only if nothing forked. */
  const noFork = { maxBranches: 1 };
  const eth9 = (rules: string[]) => run(rules, noFork).outcomes.map(line);
  /** The same rules with the undecided fact decided each way: what the kernel would do on either node. */
  const decided = (rules: string[]) => ['eth9', 'eth0'].map((inIface) => run(rules, {}, { ...PACKET, inIface }).outcomes.map(line));

  const cases: [string, string[], string][] = [
    ['ACCEPT as the last rule of a chain whose policy is ACCEPT', ['-A PREROUTING -i eth9 -j ACCEPT'], '1 ACCEPT mark=0x0'],
    ['ACCEPT in a user chain whose caller accepts after it', ['-A PREROUTING -j A', '-A A -i eth9 -j ACCEPT', '-A A -j LOG'], '1 ACCEPT mark=0x0'],
    ['DROP before an unconditional DROP', ['-A PREROUTING -i eth9 -j DROP', '-A PREROUTING -m comment --comment "the rest" -j DROP'], '1 DROP mark=0x0'],
    ['a goto to a chain that drops, before a DROP', ['-A PREROUTING -i eth9 -g B', '-A PREROUTING -j DROP', '-A B -m comment --comment x -j DROP'], '1 DROP mark=0x0'],
    ['a jump to a chain whose only rule is an undecided ACCEPT, under policy ACCEPT', ['-A PREROUTING -i eth9 -j A', '-A A -i eth8 -j ACCEPT'], '1 ACCEPT mark=0x0'],
    ['RETURN as the last rule of a chain entered by goto', ['-A PREROUTING -g A', '-A A -i eth9 -j RETURN'], '1 ACCEPT mark=0x0'],
  ];
  for (const [what, rules, want] of cases) {
    test(`${what}: no fork, the outcome the decided walks give`, () => {
      assert.deepEqual(eth9(rules), [want]);
      assert.deepEqual(decided(rules), [[want], [want]]);
    });
  }

  const forks: [string, string[]][] = [
    ['ACCEPT when the caller marks after the jump', ['-A PREROUTING -j A', '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff', '-A A -i eth9 -j ACCEPT']],
    ['DROP under policy ACCEPT', ['-A PREROUTING -i eth9 -j DROP']],
    ['DROP before a DROP that is itself undecided', ['-A PREROUTING -i eth9 -j DROP', '-A PREROUTING -i eth8 -j DROP']],
    // The list changes for later rules of the same traversal (a later --rcheck sees it).
    ['a target-less rule that adds to a recent list', ['-A PREROUTING -i eth9 -m recent --set --name X']],
    ['SET, which adds to an ipset later rules may test', ['-A PREROUTING -i eth9 -j SET --add-set S src']],
  ];
  for (const [what, rules] of forks) {
    test(`${what}: still a fork`, () => {
      assert.match(eth9(rules).at(-1) ?? '', /INDETERMINATE/, 'with one branch allowed, the walk gave up');
    });
  }

  test('nft: accept as the last rule under policy accept, drop before a drop; drop under policy accept forks', () => {
    const nft = (policy: string, rules: unknown[][]) => {
      const items: unknown[] = [{ table: { family: 'ip', name: 't', handle: 1 } }];
      items.push({ chain: { family: 'ip', table: 't', name: 'c', handle: 2, type: 'filter', hook: 'prerouting', prio: 0, policy } });
      rules.forEach((expr, i) => items.push({ rule: { family: 'ip', table: 't', chain: 'c', handle: 10 + i, expr } }));
      return { iptables: [], nft: [parseNftJson(JSON.stringify({ nftables: items }), { source: 'nft' })] } satisfies Dataplane;
    };
    const iif = { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth9' } };
    const walkNft = (plane: Dataplane) => walk(plane, NODE, PACKET, noFork).outcomes.map(line);
    assert.deepEqual(walkNft(nft('accept', [[iif, { counter: null }, { accept: null }]])), ['1 ACCEPT mark=0x0']);
    assert.deepEqual(walkNft(nft('accept', [[iif, { drop: null }], [{ drop: null }]])), ['1 DROP mark=0x0']);
    assert.deepEqual(walkNft(nft('drop', [[iif, { drop: null }]])), ['1 DROP mark=0x0']);
    assert.match(walkNft(nft('accept', [[iif, { drop: null }]])).at(-1) ?? '', /INDETERMINATE/);
  });
});

describe('branches that reach the same state merge', () => {
  test('both sides of an undecidable fork end alike: one outcome, the fork and its reason gone', () => {
    const r = run(['-A PREROUTING -i eth9 -j MARK --set-xmark 0x1/0xffffffff', '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff']);
    assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x1']);
  });

  test('probabilities add and the most probable branch is the path shown', () => {
    const r = run([
      '-A PREROUTING -m statistic --mode random --probability 0.7 -j A',
      '-A PREROUTING -m mark --mark 0x0/0xffffffff -j B',
      '-A A -j MARK --set-xmark 0x1/0xffffffff',
      '-A B -j MARK --set-xmark 0x1/0xffffffff',
    ]);
    assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x1']);
    assert.ok(r.outcomes[0]?.hops.some((h) => h.chain === 'A'), 'the 0.7 branch went through A');
    assert.ok(!r.outcomes[0]?.hops.some((h) => h.chain === 'B'));
  });

  test('different marks never merge', () => {
    const r = run(['-A PREROUTING -m statistic --mode random --probability 0.25 -j MARK --set-xmark 0x1/0xffffffff']);
    assert.deepEqual(r.outcomes.map(line), ['0.25 ACCEPT mark=0x1', '0.75 ACCEPT mark=0x0']);
  });

  test('forks on facts of the node merge into one outcome that still names them', () => {
    // Only one combination drops; every other one accepts in the same state.
    const r = run(['-A PREROUTING -j A', '-A A -i eth1 -j RETURN', '-A A -i eth2 -j RETURN', '-A A -i eth3 -j DROP']);
    assert.deepEqual(r.outcomes.map(line), ['0.125 DROP mark=0x0 ?', '0.875 ACCEPT mark=0x0 ?']);
    const accepted = r.outcomes[1]?.indeterminate ?? '';
    for (const eth of ['eth1', 'eth2', 'eth3']) assert.match(accepted, new RegExp(`rule tests -i ${eth}`));
    assert.doesNotMatch(accepted, /this branch assumes/, 'merged across sides: no side is claimed');
  });

  test('a recent list differs per connection: the first connection and later ones stay apart', () => {
    const r = run([
      '-A PREROUTING -m recent --rcheck --name X -j MARK --set-xmark 0x1/0xffffffff',
      '-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x1/0xffffffff',
    ]);
    assert.deepEqual(r.outcomes.map(line), ['0.5 ACCEPT mark=0x1 ?', '0.25 ACCEPT mark=0x1 ?', '0.25 ACCEPT mark=0x0 ?']);
  });
});

describe('budgets', () => {
  /** Every statistic rule ORs in its own bit: 2^n distinct marks, nothing to merge. */
  const explosive = (n: number) => Array.from({ length: n }, (_, i) => `-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --or-mark 0x${(1 << i).toString(16)}`);

  test('past the branch budget: one INDETERMINATE outcome that names it, never a throw', () => {
    const r = run(explosive(30), { maxBranches: 64 });
    assert.equal(r.outcomes.length, 1);
    assert.equal(r.outcomes[0]?.verdict, 'INDETERMINATE');
    assert.match(r.outcomes[0]?.indeterminate ?? '', /^the walk gave up after 64 branches \(its branch budget\)/);
    assert.equal(r.outcomes[0]?.reason, r.outcomes[0]?.indeterminate);
  });

  test('forks inside one chain count, whatever made them: undecidable matches, unknown targets', () => {
    const undecidable = Array.from({ length: 30 }, (_, i) => `-A PREROUTING -i eth${i} -j MARK --or-mark 0x${(1 << i).toString(16)}`);
    assert.match(run(undecidable, { maxBranches: 100 }).outcomes.at(-1)?.indeterminate ?? '', /after 100 branches \(its branch budget\)/);
  });

  test('what finished before the budget ran out stays; the rest is one outcome', () => {
    const r = run(['-A PREROUTING -m statistic --mode random --probability 0.5 -j DROP', ...explosive(30)], { maxBranches: 64 });
    assert.deepEqual(r.outcomes.map((o) => [o.probability, o.verdict]), [[0.5, 'DROP'], [0.5, 'INDETERMINATE']]);
  });

  test('past the step budget: INDETERMINATE naming the step budget', () => {
    const many = Array.from({ length: 50 }, (_, i) => `-A PREROUTING -p tcp -m tcp --sport ${i + 1} -j DROP`);
    const r = run(many, { maxSteps: 20 });
    assert.deepEqual(r.outcomes.map((o) => o.verdict), ['INDETERMINATE']);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /^the walk gave up after 20 rule evaluations \(its step budget\)/);
    assert.deepEqual(run(many).outcomes.map((o) => o.verdict), ['ACCEPT'], 'the default budget walks it');
  });

  test('an injected deadline stops the walk: INDETERMINATE naming the time budget', () => {
    let asked = 0;
    const r = run(explosive(4), { deadline: () => ++asked > 0 });
    assert.ok(asked > 0, 'the walk asked the clock');
    assert.equal(r.outcomes.length, 1);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /^the walk gave up when its time budget ran out/);
  });

  test('an injected clock: the walk times itself from its start', () => {
    let now = 1000;
    const clock = () => (now += 7);
    const slow = run(explosive(20), { now: clock, timeLimitMs: 50 });
    assert.match(slow.outcomes.at(-1)?.indeterminate ?? '', /^the walk gave up after 50 ms \(its time budget\)/);
    now = 0;
    const quick = run(['-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff'], { now: () => now, timeLimitMs: 50 });
    assert.deepEqual(quick.outcomes.map(line), ['1 ACCEPT mark=0x1'], 'a clock that stands still never stops it');
  });

  test('a chain that jumps to itself forever is cut off, not recursed into without end', () => {
    const r = run(['-A PREROUTING -j A', '-A A -i eth9 -j MARK --or-mark 0x1', '-A A -j A']);
    assert.ok(r.outcomes.every((o) => o.verdict === 'INDETERMINATE'));
  });
});

describe('nft numgen and maps, IPVS scheduling: forks that count', () => {
  /** One ip table: base chain c, with `numgen random mod n` spreading over n chains that each mark. */
  function numgenTable(n: number): string {
    const items: unknown[] = [{ table: { family: 'ip', name: 't', handle: 1 } }];
    items.push({ chain: { family: 'ip', table: 't', name: 'c', handle: 2, type: 'filter', hook: 'prerouting', prio: 0, policy: 'accept' } });
    for (let i = 0; i < n; i++) items.push({ chain: { family: 'ip', table: 't', name: `m${i}`, handle: 10 + i } });
    const set = Array.from({ length: n }, (_, i) => [i, { jump: { target: `m${i}` } }]);
    items.push({ rule: { family: 'ip', table: 't', chain: 'c', handle: 5, expr: [{ vmap: { key: { numgen: { mode: 'random', mod: n, offset: 0 } }, data: { set } } }] } });
    for (let i = 0; i < n; i++) items.push({ rule: { family: 'ip', table: 't', chain: `m${i}`, handle: 1000 + i, expr: [{ mangle: { key: { meta: { key: 'mark' } }, value: i + 1 } }] } });
    return JSON.stringify({ nftables: items });
  }

  test('a numgen vmap forks once per element, each with its share', () => {
    const plane: Dataplane = { iptables: [], nft: [parseNftJson(numgenTable(8), { source: 'nft' })] };
    const r = walk(plane, NODE, PACKET);
    assertSumsToOne(r);
    assert.equal(r.outcomes.length, 8);
    assert.ok(r.outcomes.every((o) => o.probability === 0.125));
  });

  test('past the budget a numgen fan-out is one INDETERMINATE outcome', () => {
    const plane: Dataplane = { iptables: [], nft: [parseNftJson(numgenTable(64), { source: 'nft' })] };
    const r = walk(plane, NODE, PACKET, { maxBranches: 16 });
    assertSumsToOne(r);
    assert.deepEqual(r.outcomes.map((o) => o.verdict), ['INDETERMINATE']);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /its branch budget/);
  });

  test('a numgen with more values than the walk follows is undecidable, not four billion branches', () => {
    const doc = JSON.parse(numgenTable(2)) as { nftables: { rule?: { expr: { vmap?: { key: { numgen: { mod: number } } } }[] } }[] };
    for (const item of doc.nftables) for (const e of item.rule?.expr ?? []) if (e.vmap) e.vmap.key.numgen.mod = 4294967295;
    const r = walk({ iptables: [], nft: [parseNftJson(JSON.stringify(doc), { source: 'nft' })] }, NODE, PACKET);
    assertSumsToOne(r);
    assert.ok(r.outcomes.length <= 3);
    assert.ok(r.outcomes.some((o) => /more than the 4096 the walk follows/.test(o.indeterminate ?? '')));
  });

  test('IPVS choices count against the branch budget; the rest is abandoned with its share', () => {
    const reals = Array.from({ length: 200 }, (_, i) => `-a -t 192.168.0.2:80 -r 10.244.${i >> 8}.${i & 255}:8080 -m -w 1`);
    const ipvs = parseIpvsadmSave(['-A -t 192.168.0.2:80 -s rr', ...reals].join('\n'), { source: 'ipvs' });
    const full = walk({ iptables: [], ipvs }, NODE, PACKET);
    assertSumsToOne(full);
    assert.equal(full.outcomes.length, 200);
    const cut = walk({ iptables: [], ipvs }, NODE, PACKET, { maxBranches: 50 });
    assertSumsToOne(cut);
    assert.ok(cut.outcomes.length <= 51, `${cut.outcomes.length} outcomes`);
    assert.match(cut.outcomes.at(-1)?.indeterminate ?? '', /its branch budget/);
  });
});

describe('dumps where many forks end the same way', () => {
  /** A node of a corpus snapshot: its iptables-nft dump and IPVS state, without its ipset list. */
  function snapshotNode(scenario: string, node: string): { iptables: string; ipvs: string } {
    const snap = JSON.parse(readFileSync(`test/scenarios/${scenario}/snapshot.json`, 'utf8')) as { nodes: { name: string; commands: Record<string, { stdout: string }> }[] };
    const n = snap.nodes.find((x) => x.name === node)!;
    return { iptables: n.commands['iptables-nft-save']!.stdout, ipvs: n.commands['ipvsadm-save']?.stdout ?? '' };
  }
  const results = (r: WalkResult) => new Set(r.outcomes.map((o) => JSON.stringify([o.verdict, o.dnat, o.snat, o.rejectWith ?? null])));

  test('Docker: a forwarded packet with unknown interfaces meets -i/-o docker0 everywhere: two outcomes', () => {
    // The packet arriving on the backend's node (Docker's FORWARD DROP scenario); no interface known.
    const { iptables } = snapshotNode('docker-forward-drop', 'node-2');
    const r = walk([parseIptablesSave(iptables, { source: 'node-2' })], { localIps: ['192.168.1.102'], sysctls: { ipForward: true } },
      { src: '192.168.1.101', sport: 40000, dst: '10.244.2.2', dport: 8080, proto: 'tcp' });
    assertSumsToOne(r);
    // (Before merging: 25 branches whose probabilities added up to 25.)
    assert.deepEqual(r.outcomes.map((o) => o.verdict).sort(), ['ACCEPT', 'DROP']);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /rule tests -i docker0/);
  });

  test('IPVS: unknown ipsets fork at every -m set; few outcomes, three distinct results', () => {
    const { iptables, ipvs } = snapshotNode('healthy-ipvs-mode', 'node-1');
    const plane: Dataplane = { iptables: [parseIptablesSave(iptables, { source: 'node-1' })], ipvs: parseIpvsadmSave(ipvs, { source: 'ipvs' }) };
    const node: NodeContext = { localIps: ['192.168.1.101', '10.244.0.1'], interfaceOf: { '192.168.1.101': 'eth0', '10.244.0.1': 'cni0' } };
    const r = walk(plane, node, { src: '203.0.113.7', sport: 40000, dst: '192.168.1.101', dport: 30080, proto: 'tcp' });
    assertSumsToOne(r);
    // (Before merging: 392 branches whose probabilities added up to 200.)
    assert.ok(r.outcomes.length <= 6, `${r.outcomes.length} outcomes`);
    assert.equal(results(r).size, 3, [...results(r)].join('\n'));
  });
});
