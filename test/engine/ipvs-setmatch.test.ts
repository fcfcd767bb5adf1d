import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compileMatch } from '../../src/engine/iptables/matches.js';
import { parseIptablesSave, rulesOf } from '../../src/engine/iptables/parse.js';
import { parseRule, RuleSyntaxError } from '../../src/engine/iptables/rule.js';
import { parseIpsetList } from '../../src/engine/ipvs/index.js';
import type { Branch } from '../../src/engine/packet/branch.js';
import type { MatchResult } from '../../src/engine/packet/match-result.js';
import type { IpSetLookup } from '../../src/engine/packet/walk-env.js';
import { branch, env, type Probe } from './fixtures/ipvs/packet.js';

const SETS = parseIpsetList(readFileSync(new URL('./fixtures/ipvs/ipset-list.txt', import.meta.url), 'utf8'), { source: 'ipset-list.txt' });

/** Compiles the `-m set …` part of a rule and evaluates it for one packet. */
function evalSet(match: string, p: Probe, ipsets: ReadonlyMap<string, IpSetLookup> | null = SETS): MatchResult {
  const rule = parseRule('filter', 'X', 1, `-A X ${match} -j ACCEPT`);
  const spec = rule.matches.find((m) => m.module === 'set');
  assert.ok(spec, 'no -m set in the rule');
  return compileMatch(spec, 4)(branch(p), env(ipsets ?? undefined));
}

const nodePort = (dport: number, proto: Probe['proto'] = 'tcp'): Probe => ({ proto, src: '203.0.113.2', dst: '192.168.49.2', sport: 40000, dport });

describe('-m set through compileMatch', () => {
  test('membership from the node\'s ipset list, with the rule\'s flags', () => {
    assert.equal(evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst', nodePort(30080)), true);
    assert.equal(evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst', nodePort(30081)), false);
    assert.equal(evalSet('-m set --match-set KUBE-NODE-PORT-TCP src', nodePort(30080)), false);
    assert.equal(evalSet('-m set --match-set KUBE-CLUSTER-IP dst,dst', { proto: 'tcp', src: '10.244.0.9', dst: '10.96.0.1', sport: 1, dport: 443 }), true);
    assert.equal(evalSet('-m set --match-set KUBE-CLUSTER-IP src,dst', { proto: 'tcp', src: '10.244.0.9', dst: '10.96.0.1', sport: 1, dport: 443 }), false);
    assert.equal(evalSet('-m set --match-set KUBE-LOOP-BACK dst,dst,src', { proto: 'tcp', src: '10.244.1.2', dst: '10.244.1.2', sport: 1, dport: 8080 }), true);
  });

  test('! inverts, also for packets the set cannot test', () => {
    assert.equal(evalSet('-m set ! --match-set KUBE-NODE-PORT-TCP dst', nodePort(30080)), false);
    assert.equal(evalSet('-m set ! --match-set KUBE-NODE-PORT-TCP dst', nodePort(30081)), true);
    assert.equal(evalSet('-m set ! --match-set KUBE-NODE-PORT-TCP dst', nodePort(30080, 'sctp')), true);
    assert.equal(evalSet('-m set ! --match-set KUBE-CLUSTER-IP dst', { proto: 'tcp', src: '1.1.1.1', dst: '10.96.0.1', sport: 1, dport: 443 }), true);
  });

  test('--return-nomatch turns a nomatch element into a match (net types only)', () => {
    const p = (dst: string): Probe => ({ proto: 'tcp', src: '192.168.49.2', dst, sport: 1, dport: 1 });
    assert.equal(evalSet('-m set --match-set T-NET dst', p('172.16.6.9')), false);
    assert.equal(evalSet('-m set --match-set T-NET dst --return-nomatch', p('172.16.6.9')), true);
    assert.equal(evalSet('-m set --match-set T-NET dst --return-nomatch', p('10.6.6.6')), false);
    assert.equal(evalSet('-m set --return-nomatch --match-set KUBE-IPVS-IPS dst', p('10.96.0.1')), true);
  });

  test('a set the listing lacks is unknown, saying so; without a listing the old message stays', () => {
    assert.deepEqual(evalSet('-m set --match-set KUBE-NOPE dst,dst', nodePort(30080)), { unknown: 'ipset KUBE-NOPE is not in the ipset list of this node' });
    assert.deepEqual(evalSet('-m set ! --match-set KUBE-NOPE dst,dst', nodePort(30080)), { unknown: 'ipset KUBE-NOPE is not in the ipset list of this node' });
    assert.deepEqual(evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst', nodePort(30080), null), { unknown: 'ipset KUBE-NODE-PORT-TCP is not known, so membership cannot be tested' });
  });

  test('an unmodelled set type stays unknown through !', () => {
    const r = evalSet('-m set ! --match-set T-NETIFACE dst,dst', nodePort(1));
    assert.deepEqual(r, { unknown: 'ipset T-NETIFACE is of type hash:net,iface, which np-doctor does not model' });
  });

  test('counter comparisons depend on past traffic; counter updates match', () => {
    assert.equal(evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst ! --update-counters', nodePort(30080)), true);
    const r = evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst --packets-gt 10', nodePort(30080));
    assert.deepEqual(r, { unknown: '--packets-gt 10 compares the matching element\'s packet/byte counters, which depend on past traffic' });
    // A set that does not hold the packet decides first.
    assert.equal(evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst --packets-gt 10', nodePort(1)), false);
  });

  test('bad flags are syntax errors', () => {
    assert.throws(() => evalSet('-m set --match-set KUBE-NODE-PORT-TCP dest', nodePort(1)), RuleSyntaxError);
    assert.throws(() => evalSet('-m set --match-set KUBE-NODE-PORT-TCP dst,dst,dst,dst,dst,dst,dst', nodePort(1)), /1 to 6 of src\/dst/);
    assert.throws(() => evalSet('-m set --match-set KUBE-NODE-PORT-TCP', nodePort(1)), /takes a set name and src\/dst flags/);
  });
});

describe('kube-proxy IPVS-mode rules with the node\'s sets', () => {
  // nat KUBE-NODE-PORT as kube-proxy's IPVS proxier writes it (eTP Local RETURN before MARK-MASQ).
  const dump = `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-NODE-PORT -p sctp -m comment --comment "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" -m set --match-set KUBE-NODE-PORT-SCTP-HASH dst,dst -j KUBE-MARK-MASQ
COMMIT
`;
  const rs = parseIptablesSave(dump, { source: 'nat' });
  const chain = rs.tables.get('nat')?.chains.get('KUBE-NODE-PORT');
  assert.ok(chain);
  const rules = rulesOf(rs, chain);

  /** Which rule of KUBE-NODE-PORT first matches, as the walk would decide it (all matches true). */
  function firstRule(p: Probe): number | null {
    const b: Branch = branch(p);
    for (const r of rules) {
      const results = r.matches.map((m) => compileMatch(m, 4)(b, env(SETS)));
      assert.ok(results.every((x) => typeof x === 'boolean'), JSON.stringify(results));
      if (results.every((x) => x === true)) return r.line;
    }
    return null;
  }

  test('eTP Cluster NodePort: masquerade', () => assert.equal(firstRule(nodePort(30080)), 6));
  test('eTP Local NodePort: RETURN before masquerade', () => assert.equal(firstRule(nodePort(31380)), 5));
  test('SCTP NodePort: by node address and port', () => {
    assert.equal(firstRule(nodePort(30999, 'sctp')), 7);
    assert.equal(firstRule({ ...nodePort(30999, 'sctp'), dst: '192.168.49.9' }), null);
  });
  test('not a NodePort: no rule', () => assert.equal(firstRule(nodePort(30081)), null));
});
