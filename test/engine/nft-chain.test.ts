import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAddr } from '../../src/engine/address.js';
import { parseNftJson, runNftChain, type NftRuleset } from '../../src/engine/nft/index.js';
import { firstConnectionNote, returningClientNote } from '../../src/engine/packet/affinity.js';
import { hopsOf, type Branch } from '../../src/engine/packet/branch.js';
import { branch, chainOf, env, fixture, NODE, round, run, runHook, summary, trail } from './fixtures/nft/harness.js';

const sum = (bs: { b: Branch }[] | Branch[]): number => round(bs.reduce((s, x) => s + ('b' in x ? x.b : x).probability, 0));
const external = (dport: number, dst = '192.168.0.2', src = '203.0.113.9') => branch({ src, dst, dport, inIface: 'eth0' });

/** PREROUTING, then (no DNAT to a pod) INPUT, as the walker does for a packet to a node address. */
function toNode(rs: NftRuleset, b: Branch) {
  const pre = runHook(rs, 'PREROUTING', [b]);
  const input = runHook(rs, 'INPUT', pre.passed.filter((x) => x.dnatTo === null));
  return { pre, input };
}

describe('kube-proxy nftables mode ≤1.33 (real dump)', () => {
  const rs = fixture('kube-proxy-v133');

  test('NodePort, eTP Cluster: numgen splits 0.5/0.5, both DNATed and marked for masquerade', () => {
    const { passed, ended } = runHook(rs, 'PREROUTING', [external(30080)]);
    assert.deepEqual(ended, []);
    assert.deepEqual(passed.map((b) => `${b.probability} ${b.dnatTo?.ip}:${b.dnatTo?.port} mark=0x${b.mark.toString(16)}`), [
      '0.5 10.244.1.2:8080 mark=0x4000',
      '0.5 10.244.2.3:8080 mark=0x4000',
    ]);
    const hops = hopsOf(passed[0]!);
    const dispatch = hops.find((h) => h.chain === 'services')!;
    assert.equal(dispatch.handle, 77);
    assert.equal(dispatch.line, 77);
    assert.equal(dispatch.family, 'ip');
    assert.equal(dispatch.table, 'kube-proxy');
    assert.equal(dispatch.action, 'GOTO external-ULMVA6XW-ns1/web/tcp/http');
    assert.deepEqual(dispatch.element, { set: '@service-nodeports', key: 'tcp . 30080' });
    const pick = hops.find((h) => h.chain === 'service-ULMVA6XW-ns1/web/tcp/http' && h.action.startsWith('GOTO'))!;
    assert.deepEqual(pick.element, { set: 'anonymous', key: '0' });
    assert.equal(pick.rule, 'numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/web/tcp/http__10.244.1.2/8080, 1 : goto endpoint-WFX2RHO3-ns1/web/tcp/http__10.244.2.3/8080 }');
    assert.deepEqual(trail(passed[1]!).slice(-2), ['service-ULMVA6XW-ns1/web/tcp/http:101 GOTO endpoint-WFX2RHO3-ns1/web/tcp/http__10.244.2.3/8080', 'endpoint-WFX2RHO3-ns1/web/tcp/http__10.244.2.3/8080:105 DNAT 10.244.2.3:8080']);
    assert.deepEqual(trail(passed[0]!).slice(0, 2), ['filter-prerouting:55 JUMP firewall-check', 'filter-prerouting:- POLICY ACCEPT']);
    assert.ok(passed.every((b) => b.reasons.length === 0 && b.assumptions.length === 0));
  });

  test('nat-prerouting on its own: the verdict of a DNAT is accept', () => {
    assert.deepEqual(summary(run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30080))), ['0.5 accept DNAT 10.244.1.2:8080', '0.5 accept DNAT 10.244.2.3:8080']);
    // A port no Service uses: every lookup misses, the base chain falls off its end.
    assert.deepEqual(summary(run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30999))), ['1 return JUMP services']);
  });

  test('LoadBalancer with three endpoints: thirds that sum to 1; LoadBalancerSourceRanges drop others', () => {
    const allowed = runHook(rs, 'PREROUTING', [external(80, '198.51.100.10', '203.0.113.5')]);
    assert.deepEqual(allowed.passed.map((b) => `${round(b.probability)} ${b.dnatTo?.ip}`), ['0.333333333 10.244.1.11', '0.333333333 10.244.2.12', '0.333333333 10.244.3.13']);
    assert.equal(sum(allowed.passed), 1);
    const denied = runHook(rs, 'PREROUTING', [external(80, '198.51.100.10', '198.18.0.1')]);
    assert.deepEqual(denied.passed, []);
    assert.deepEqual(summary(denied.ended), ['1 drop DROP']);
    const hops = hopsOf(denied.ended[0]!.b);
    assert.deepEqual(hops.find((h) => h.chain === 'firewall-check')!.element, { set: '@firewall-ips', key: '198.51.100.10 . tcp . 80', comment: 'ns1/lb:http' });
    assert.equal(hops.at(-1)!.rule, 'ip saddr != 203.0.113.0/24 drop');
  });

  test('NodePort without endpoints: rejected in filter-input, the element names the Service', () => {
    const { pre, input } = toNode(rs, external(30082));
    assert.deepEqual(pre.passed.map((b) => b.dnatTo), [null]);
    assert.deepEqual(summary(input.ended), ['1 reject icmp-port-unreachable REJECT']);
    const hops = hopsOf(input.ended[0]!.b);
    const h = hops.find((x) => x.chain === 'nodeport-endpoints-check')!;
    assert.equal(h.action, 'GOTO reject-chain');
    assert.deepEqual(h.element, { set: '@no-endpoint-nodeports', key: 'tcp . 30082', comment: 'ns1/noep:http' });
    assert.deepEqual(hops.at(-1), { table: 'kube-proxy', chain: 'reject-chain', line: 71, handle: 71, family: 'ip', rule: 'reject', action: 'REJECT' });
  });

  test('eTP Local without a local endpoint: external clients dropped, pods and the node short-circuit', () => {
    const ext = toNode(rs, external(30083));
    assert.deepEqual(ext.pre.passed.map((b) => b.dnatTo), [null]);
    assert.deepEqual(summary(ext.input.ended), ['1 drop DROP']);
    assert.equal(hopsOf(ext.input.ended[0]!.b).at(-1)!.element?.comment, 'ns1/remote-only:http');
    // The goto'd external chain falls off its end: that returns from `services` too, back into nat-prerouting.
    assert.deepEqual(trail(ext.pre.passed[0]!).filter((t) => t.startsWith('services') || t.startsWith('nat-')), [
      'nat-prerouting:63 JUMP services', 'services:77 GOTO external-K7VHDBQ2-ns1/remote-only/tcp/http', 'nat-prerouting:- POLICY ACCEPT',
    ]);
    const pod = runHook(rs, 'PREROUTING', [branch({ src: '10.244.1.9', dst: '192.168.0.2', dport: 30083, inIface: 'cni0' })]);
    assert.deepEqual(pod.passed.map((b) => `${b.dnatTo?.ip} 0x${b.mark.toString(16)}`), ['10.244.2.9 0x0']);
    const node = branch({ src: '192.168.0.2', dst: '192.168.0.2', dport: 30083, hook: 'OUTPUT' });
    const out = runHook(rs, 'OUTPUT', [node]);
    assert.deepEqual(out.passed.map((b) => `${b.dnatTo?.ip} 0x${b.mark.toString(16)}`), ['10.244.2.9 0x4000']);
  });

  test('ClusterIP: a port the Service lacks is rejected, an unallocated ClusterIP dropped', () => {
    const fwd = (dst: string, dport: number) => run(rs, 'ip', 'kube-proxy', 'filter-forward', branch({ src: '10.244.1.9', dst, dport, inIface: 'cni0', hook: 'FORWARD' }));
    assert.deepEqual(summary(fwd('10.96.10.10', 81)), ['1 reject icmp-port-unreachable REJECT']);
    assert.deepEqual(summary(fwd('10.96.99.99', 80)), ['1 drop DROP']);
    assert.deepEqual(summary(fwd('10.245.0.1', 80)), ['1 return JUMP cluster-ips-check']);
  });

  test('a ping to a ClusterIP misses every tcp/udp element without doubt, then is rejected', () => {
    const ends = run(rs, 'ip', 'kube-proxy', 'filter-forward', branch({ src: '10.244.1.9', dst: '10.96.10.10', proto: 'icmp', inIface: 'cni0', hook: 'FORWARD' }));
    assert.deepEqual(summary(ends), ['1 reject icmp-port-unreachable REJECT']);
  });

  test('session affinity: a client the dump shows in an affinity set is a returning client, proven, sent to its endpoint', () => {
    const known = run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30084, '192.168.0.2', '203.0.113.7'));
    assert.deepEqual(summary(known), ['1 accept DNAT 10.244.1.7:8080']);
    assert.deepEqual(known[0]!.b.assumptions, ['the dump shows 203.0.113.7 in @affinity-Q7T3ZRXP-ns1/aff/tcp/http__10.244.1.7/8080, 10799 s before its entry expires: a client that connected before, sent back to the endpoint it had']);
    assert.ok(trail(known[0]!.b).includes('endpoint-Q7T3ZRXP-ns1/aff/tcp/http__10.244.1.7/8080:135 SET update @affinity-Q7T3ZRXP-ns1/aff/tcp/http__10.244.1.7/8080'));
    // --returning-client changes nothing for a client the dump shows: it knows where it goes.
    const e = { ...env(), returningClient: true };
    assert.deepEqual(summary(run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30084, '192.168.0.2', '203.0.113.7'), e)), ['1 accept DNAT 10.244.1.7:8080']);
  });

  test('session affinity: a new client is in no affinity set and takes the numgen split, the assumption listed once', () => {
    const fresh = run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30084, '192.168.0.2', '203.0.113.8'));
    assert.deepEqual(summary(fresh), ['0.5 accept DNAT 10.244.1.7:8080', '0.5 accept DNAT 10.244.2.8:8080']);
    for (const r of fresh) {
      assert.deepEqual(r.b.reasons, []);
      assert.deepEqual(r.b.assumptions, [firstConnectionNote('nft')]);
      assert.ok(hopsOf(r.b).some((h) => h.rule?.startsWith('numgen random mod 2 vmap') === true), trail(r.b).join('\n'));
    }
  });

  test('session affinity: a returning client the dump does not show goes back through either affinity lookup, never numgen', () => {
    const back = run(rs, 'ip', 'kube-proxy', 'nat-prerouting', external(30084, '192.168.0.2', '203.0.113.8'), { ...env(), returningClient: true });
    assert.deepEqual(summary(back), ['0.5 accept DNAT 10.244.1.7:8080', '0.5 accept DNAT 10.244.2.8:8080']);
    for (const r of back) {
      assert.deepEqual(r.b.assumptions, [returningClientNote('nft')]);
      const pick = hopsOf(r.b).filter((h) => h.chain.startsWith('service-') && h.action.startsWith('GOTO endpoint-'));
      assert.equal(pick.length, 1);
      assert.match(pick[0]!.rule ?? '', /^ip saddr @affinity-/);
    }
  });

  test('masquerading: marked packets are masqueraded to the address of the output device, the mark cleared', () => {
    const b = branch({ src: '203.0.113.9', dst: '10.244.2.3', dport: 8080, hook: 'POSTROUTING' });
    b.mark = 0x4000;
    b.outIface = 'flannel.1';
    b.outIfaceKnown = true;
    const ends = run(rs, 'ip', 'kube-proxy', 'nat-postrouting', b);
    assert.deepEqual(summary(ends), ['1 accept MASQUERADE']);
    assert.equal(ends[0]!.b.mark, 0);
    assert.deepEqual(ends[0]!.b.snatTo, { type: 'MASQUERADE', ip: '192.168.0.2' });
    const plain = branch({ src: '203.0.113.9', dst: '10.244.2.3', dport: 8080, hook: 'POSTROUTING' });
    assert.deepEqual(summary(run(rs, 'ip', 'kube-proxy', 'nat-postrouting', plain)), ['1 return RETURN']);
  });
});

describe('kube-proxy nftables mode 1.34+ (real dump)', () => {
  const rs = fixture('kube-proxy-v134');

  test('NodePorts only on the addresses of nodeport-ips', () => {
    assert.deepEqual(runHook(rs, 'PREROUTING', [external(30080, '192.168.1.2')]).passed.map((b) => b.dnatTo?.ip), ['10.244.1.2', '10.244.2.3']);
    // 10.244.1.1 is local, but not in nodeport-ips: nothing translates it.
    assert.deepEqual(runHook(rs, 'PREROUTING', [external(30080, '10.244.1.1')]).passed.map((b) => b.dnatTo), [null]);
  });

  test('the no-endpoint check runs in filter-input at priority 0, after DNAT', () => {
    const { input } = toNode(rs, external(30082));
    assert.deepEqual(summary(input.ended), ['1 reject icmp-port-unreachable REJECT']);
    assert.equal(hopsOf(input.ended[0]!.b).find((h) => h.element)!.element!.set, '@no-endpoint-nodeports');
  });

  test('IPv6: the ip6 table DNATs to bracketed endpoints', () => {
    const b = branch({ src: '2001:db8::99', dst: '2001:db8::2', dport: 30080, inIface: 'eth0' });
    const { passed } = runHook(rs, 'PREROUTING', [b]);
    assert.deepEqual(passed.map((x) => `${x.probability} ${hopsOf(x).at(-1)!.action}`), ['0.5 DNAT [fd00:10:244:1::2]:8080', '0.5 DNAT [fd00:10:244:2::3]:8080']);
  });
});

describe('firewalld (inet, real dump)', () => {
  const rs = fixture('firewalld');
  const input = (p: Parameters<typeof branch>[0]) => run(rs, 'inet', 'firewalld', 'filter_INPUT', branch({ hook: 'INPUT', ...p }));

  test('ssh and the NodePort range are allowed in zone public, anything else rejected admin-prohibited', () => {
    assert.deepEqual(summary(input({ src: '203.0.113.9', dst: '192.168.0.2', dport: 22, inIface: 'eth0' })), ['1 accept ACCEPT']);
    assert.deepEqual(summary(input({ src: '203.0.113.9', dst: '192.168.0.2', dport: 30080, inIface: 'eth0' })), ['1 accept ACCEPT']);
    const other = input({ src: '203.0.113.9', dst: '192.168.0.2', dport: 8080, inIface: 'eth0' });
    assert.deepEqual(summary(other), ['1 reject icmp-admin-prohibited REJECT']);
    // filter_IN_public was entered by goto: its end returns from filter_INPUT_ZONES to filter_INPUT.
    assert.deepEqual(trail(other[0]!.b).slice(0, 2), ['filter_INPUT:74 JUMP filter_INPUT_ZONES', 'filter_INPUT_ZONES:91 GOTO filter_IN_public']);
    assert.equal(hopsOf(other[0]!.b).at(-1)!.rule, 'reject with icmpx admin-prohibited');
    const v6 = input({ src: '2001:db8::99', dst: '2001:db8::2', dport: 8080, inIface: 'eth0' });
    assert.deepEqual(summary(v6), ['1 reject icmp6-adm-prohibited REJECT']);
  });

  test('a rich rule rejects with host-prohibited after logging; telnet passes its rate limit by assumption', () => {
    const denied = input({ src: '192.0.2.130', dst: '192.168.0.2', dport: 22, inIface: 'eth0' });
    assert.deepEqual(summary(denied), ['1 reject icmp-host-prohibited REJECT']);
    assert.ok(trail(denied[0]!.b).includes('filter_IN_public_log:100 CONTINUE'));
    const telnet = input({ src: '203.0.113.9', dst: '192.168.0.2', dport: 23, inIface: 'eth0' });
    assert.deepEqual(summary(telnet), ['1 reject icmp-admin-prohibited REJECT']);
    assert.deepEqual(telnet[0]!.b.assumptions, ['rate limits are assumed not exceeded']);
    assert.ok(trail(telnet[0]!.b).includes('filter_IN_public_log:101 CONTINUE'));
  });

  test('an unknown input interface forks at every iifname test; sides that end alike merge', () => {
    const ends = input({ src: '203.0.113.9', dst: '192.168.0.2', dport: 8080 });
    // `iifname "lo" accept` splits the packet in half; on the other half the later iifname tests
    // fork again, but both of their sides reject alike, so they merge back into one 0.5 branch.
    assert.deepEqual(summary(ends), ['0.5 accept ACCEPT ?', '0.5 reject icmp-admin-prohibited REJECT ?']);
    assert.match(ends[0]!.b.reasons[0]!.text, /^rule handle 72 in inet firewalld filter_INPUT may match \(iifname "lo": the packet's input interface is not known \(pass --in-iface\)\); this branch assumes it does$/);
    assert.ok(ends.every((e) => e.b.reasons.length > 0));
  });

  test('an IPv6 reverse-path check drops packets whose source routes out another device; IPv4 is untouched', () => {
    const rpf = (p: Parameters<typeof branch>[0], node = NODE) => run(rs, 'inet', 'firewalld', 'raw_PREROUTING', branch(p), env(node));
    assert.deepEqual(summary(rpf({ src: '2001:db8::99', dst: '2001:db8::2', dport: 22, inIface: 'eth1' })), ['1 drop DROP']);
    assert.deepEqual(summary(rpf({ src: '2001:db8::99', dst: '2001:db8::2', dport: 22, inIface: 'eth0' })), ['1 return -']);
    assert.deepEqual(summary(rpf({ src: '192.0.2.99', dst: '192.168.0.2', dport: 22, inIface: 'eth1' })), ['1 return -']);
    // Without the node's routes the kernel's answer is unknown: both fates, undecided.
    const { routes: _routes, ...noRoutes } = NODE;
    assert.deepEqual(summary(rpf({ src: '2001:db8::99', dst: '2001:db8::2', dport: 22, inIface: 'eth1' }, noRoutes)), ['0.5 drop DROP ?', '0.5 return - ?']);
  });

  test('port forwarding DNATs IPv4 only; masquerade uses the output device', () => {
    const fw = (p: Parameters<typeof branch>[0]) => run(rs, 'inet', 'firewalld', 'nat_PREROUTING', branch(p));
    assert.deepEqual(summary(fw({ src: '203.0.113.9', dst: '192.168.0.2', dport: 8443, inIface: 'eth0' })), ['1 accept DNAT 10.0.0.5:443']);
    assert.deepEqual(summary(fw({ src: '2001:db8::99', dst: '2001:db8::2', dport: 8443, inIface: 'eth0' })), ['1 return JUMP nat_PRE_public_post']);
    const b = branch({ src: '10.244.1.9', dst: '198.18.0.1', dport: 443, hook: 'POSTROUTING' });
    b.outIface = 'eth0';
    b.outIfaceKnown = true;
    const post = run(rs, 'inet', 'firewalld', 'nat_POSTROUTING', b);
    assert.deepEqual(summary(post), ['1 accept MASQUERADE']);
    assert.equal(post[0]!.b.snatTo?.ip, '192.168.0.2');
  });

  test('the first packet is NEW: established/related rules do not match, ct state new does', () => {
    const b = branch({ src: '10.244.1.9', dst: '198.18.0.1', dport: 443, inIface: 'eth0', hook: 'FORWARD' });
    b.outIface = 'cni0';
    b.outIfaceKnown = true;
    const ends = run(rs, 'inet', 'firewalld', 'filter_FORWARD', b);
    assert.deepEqual(summary(ends), ['1 accept ACCEPT']);
    assert.equal(hopsOf(ends[0]!.b).at(-1)!.rule, 'oifname "cni0" ct state new accept');
    const v6 = branch({ src: '2001:db8::99', dst: '::ffff:1.2.3.4', dport: 443, inIface: 'eth0', hook: 'FORWARD' });
    assert.deepEqual(summary(run(rs, 'inet', 'firewalld', 'filter_FORWARD', v6)), ['1 reject icmp6-addr-unreachable REJECT']);
  });
});

describe('expressions and statements (real dumps)', () => {
  const misc = fixture('exprs');

  test('a raw-priority chain: interval sets, concatenated intervals, a vmap on the interface', () => {
    const pre = (p: Parameters<typeof branch>[0]) => run(misc, 'inet', 'misc', 'prerouting', branch(p));
    assert.deepEqual(summary(pre({ src: '203.0.113.15', dst: '10.0.0.1', dport: 80, inIface: 'eth0' })), ['1 drop DROP']);
    assert.deepEqual(summary(pre({ src: '10.9.9.9', dst: '10.0.0.1', dport: 85, inIface: 'eth0' })), ['1 accept ACCEPT']);
    const dropped = pre({ src: '172.20.0.1', dst: '10.0.0.1', dport: 443, inIface: 'eth1' });
    assert.deepEqual(summary(dropped), ['1 drop DROP']);
    assert.deepEqual(hopsOf(dropped[0]!.b).at(-1)!.element, { set: '@iface-verdicts', key: '"eth1"' });
    const jumped = pre({ src: '172.20.0.1', dst: '10.0.0.1', dport: 443, inIface: 'eth0' });
    assert.deepEqual(summary(jumped), ['1 accept ACCEPT']);
    assert.deepEqual(trail(jumped[0]!.b), [
      'prerouting:15 TRACE', 'prerouting:19 JUMP from-eth0', 'from-eth0:13 CONTINUE', 'from-eth0:14 CONTINUE',
      'prerouting:20 CONTINUE', 'prerouting:21 ACCEPT',
    ]);
    const unknownIface = pre({ src: '172.20.0.1', dst: '10.0.0.1', dport: 443 });
    // Two elements or no element at all: a third each. "eth0" and no element both accept in the
    // same state: one branch, which says the lookup was not decided (without a side).
    assert.deepEqual(summary(unknownIface), ['0.333333333 drop DROP ?', '0.666666667 accept ACCEPT ?']);
    assert.deepEqual(unknownIface.map((e) => e.b.reasons.map((r) => r.text)), [
      ['rule handle 19 in inet misc prerouting: iifname vmap @iface-verdicts may pick "eth1" (the packet\'s input interface is not known (pass --in-iface)); this branch assumes it does'],
      ['rule handle 19 in inet misc prerouting: iifname vmap @iface-verdicts may find several elements or none (the packet\'s input interface is not known (pass --in-iface))'],
    ]);
  });

  test('UDP through the raw chain: notrack takes effect before conntrack; fib, dynamic sets, ct before conntrack', () => {
    const pre = (dport: number) => run(misc, 'inet', 'misc', 'prerouting', branch({ src: '172.20.0.1', dst: '10.0.0.1', proto: 'udp', dport, inIface: 'eth0' }));
    const vxlan = pre(4789);
    assert.deepEqual(summary(vxlan), ['1 accept ACCEPT']);
    assert.equal(vxlan[0]!.b.ct.state, 'UNTRACKED');
    assert.ok(trail(vxlan[0]!.b).includes('prerouting:16 NOTRACK'));
    const other = pre(5353);
    assert.deepEqual(summary(other), ['1 accept ACCEPT']);
    assert.equal(other[0]!.b.ct.state, 'NEW');
    assert.equal(hopsOf(other[0]!.b).at(-1)!.rule, 'fib daddr oif exists accept');
    assert.deepEqual(trail(other[0]!.b).filter((t) => t.includes('SET')), ['prerouting:31 SET add @seen', 'prerouting:32 SET update @seen']);
    assert.deepEqual(other[0]!.b.assumptions, ['@seen is a dynamic set (timeout): its entries may have expired or been added since the dump']);
  });

  test('forward chain: marks and conntrack marks, ct state vmap misses a NEW packet, rejects by family', () => {
    const fwd = (p: Parameters<typeof branch>[0]) => {
      const b = branch({ hook: 'FORWARD', inIface: 'eth1', ...p });
      b.outIface = 'eth0';
      b.outIfaceKnown = true;
      return run(misc, 'inet', 'misc', 'forward', b);
    };
    const tcp = fwd({ src: '10.9.9.9', dst: '10.0.0.1', dport: 80 });
    assert.deepEqual(summary(tcp), ['1 reject tcp-reset REJECT']);
    assert.deepEqual(trail(tcp[0]!.b), ['forward:48 MARK 0x10', 'forward:49 MARK 0x10', 'forward:50 CTMARK 0x10', 'forward:51 MARK 0x10', 'forward:52 CTMARK 0x2', 'forward:53 REJECT']);
    assert.equal(tcp[0]!.b.ct.mark, 2);
    assert.deepEqual(summary(fwd({ src: '10.9.9.9', dst: '10.0.0.1', proto: 'udp', dport: 53 })), ['1 reject icmp-port-unreachable REJECT']);
    const v6 = fwd({ src: '2001:db8::99', dst: '2001:db8:1::1', proto: 'udp', dport: 53 });
    assert.deepEqual(summary(v6), ['1 reject icmp6-adm-prohibited REJECT']);
    assert.equal(hopsOf(v6[0]!.b).at(-1)!.handle, 55);
  });

  test('NAT maps: by port, by numgen (exact halves), redirect to the input address', () => {
    const nat = (p: Parameters<typeof branch>[0]) => run(misc, 'inet', 'misc', 'nat-pre', branch({ inIface: 'eth0', ...p }));
    const byPort = nat({ src: '203.0.113.9', dst: '192.168.0.100', dport: 80 });
    assert.deepEqual(summary(byPort), ['1 accept DNAT 10.1.0.2:80']);
    assert.deepEqual(hopsOf(byPort[0]!.b).at(-1)!.element, { set: '@port-backends', key: '80' });
    assert.deepEqual(summary(nat({ src: '203.0.113.9', dst: '192.168.0.51', dport: 8080 })), ['1 accept REDIRECT 192.168.0.2:80']);
    const halves = nat({ src: '203.0.113.9', dst: '1.2.3.4', proto: 'udp', dport: 9999 });
    assert.deepEqual(summary(halves), ['0.5 accept DNAT 10.1.0.2:9999', '0.5 accept DNAT 10.1.0.3:9999']);
    assert.equal(sum(halves), 1);
    // `dnat ip to …` in an inet table does nothing to IPv6 packets: the rule goes on.
    const v6 = nat({ src: '2001:db8::99', dst: '2001:db8:1::1', dport: 80 });
    assert.deepEqual(summary(v6), ['1 return CONTINUE']);
  });

  test('SNAT to a port range binds the first port and says the kernel picks', () => {
    const post = (p: Parameters<typeof branch>[0]) => {
      const b = branch({ hook: 'POSTROUTING', ...p });
      b.outIface = 'eth0';
      b.outIfaceKnown = true;
      return run(misc, 'inet', 'misc', 'nat-post', b);
    };
    const snat = post({ src: '10.2.0.5', dst: '8.8.8.8', proto: 'udp', dport: 53 });
    assert.deepEqual(summary(snat), ['1 accept SNAT 192.168.0.2:1024 ?']);
    assert.match(snat[0]!.b.reasons[0]!.text, /SNATs to a range; the kernel picks one member/);
    const masq = post({ src: '10.3.0.5', dst: '8.8.8.8', dport: 443 });
    assert.deepEqual(masq[0]!.b.snatTo, { type: 'MASQUERADE', ip: '192.168.0.2', port: 1024 });
  });

  test('at raw priority ct state reads invalid; maps set marks; an unmodelled match forks', () => {
    const more = fixture('exprs2');
    const pre = (p: Parameters<typeof branch>[0]) => run(more, 'inet', 'more', 'raw-pre', branch({ inIface: 'eth9', ...p }));
    const tcp = pre({ src: '172.16.5.5', dst: '10.0.0.1', dport: 80 });
    // `ct state established,related,new accept` (handle 22) does not match before conntrack ran.
    assert.deepEqual(summary(tcp), ['1 accept ACCEPT']);
    assert.equal(hopsOf(tcp[0]!.b).at(-1)!.handle, 24);
    assert.equal(tcp[0]!.b.mark, 0x10);
    assert.deepEqual(trail(tcp[0]!.b).slice(0, 2), ['raw-pre:10 ct zone set 3', 'raw-pre:17 MARK 0x10']);
    const udp = pre({ src: '172.16.5.5', dst: '10.0.0.9', proto: 'udp', dport: 53 });
    assert.deepEqual(summary(udp), ['0.5 drop DROP ?', '0.5 accept ACCEPT ?']);
    assert.match(udp[0]!.b.reasons[0]!.text, /^rule handle 28 in inet more raw-pre may match \(ip length > 1000: ip length is not modelled by np-doctor\)/);
    assert.equal(hopsOf(udp[1]!.b).at(-1)!.handle, 29);
  });
});

/** A one-table ruleset from hand-written rules (JSON expressions) for shapes the fixtures lack. */
function table(chains: Record<string, unknown[][]>, base = 'c'): NftRuleset {
  const items: unknown[] = [{ table: { family: 'ip', name: 't', handle: 1 } }];
  let handle = 1;
  for (const name of Object.keys(chains)) {
    items.push({ chain: { family: 'ip', table: 't', name, handle: handle++, ...(name === base ? { type: 'filter', hook: 'input', prio: 0, policy: 'accept' } : {}) } });
  }
  for (const [name, rules] of Object.entries(chains)) {
    for (const expr of rules) items.push({ rule: { family: 'ip', table: 't', chain: name, handle: handle++, expr } });
  }
  return parseNftJson(JSON.stringify({ nftables: items }), { source: 'hand' });
}

const J = (t: string) => ({ jump: { target: t } });
const G = (t: string) => ({ goto: { target: t } });
const dport = (p: number) => ({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: p } });
const MARK = (v: number) => ({ mangle: { key: { meta: { key: 'mark' } }, value: v } });

function walkHand(rs: NftRuleset, p: Partial<Parameters<typeof branch>[0]> = {}) {
  const { table: t, chain } = chainOf(rs, 'ip', 't', 'c');
  return runNftChain({ ruleset: rs, table: t, env: env(), family: 4, label: true }, [branch({ src: '203.0.113.9', dst: '192.168.0.2', dport: 80, inIface: 'eth0', hook: 'INPUT', ...p })], chain);
}

describe('chain semantics (hand-written rules)', () => {
  test('jump comes back after a return; goto does not, and its return leaves the caller', () => {
    const rs = table({ c: [[J('j')], [G('g')], [{ drop: null }]], j: [[{ return: null }], [{ accept: null }]], g: [[MARK(1)]] });
    const ends = walkHand(rs);
    assert.deepEqual(summary(ends), ['1 return MARK 0x1']);
    assert.deepEqual(trail(ends[0]!.b), ['c:4 JUMP j', 'j:7 RETURN', 'c:5 GOTO g', 'g:9 MARK 0x1']);
    assert.equal(hopsOf(ends[0]!.b)[0]!.source, 'hand');
  });

  test('continue goes on with the next rule; a failing match after a mark still leaves the mark', () => {
    const rs = table({ c: [[{ continue: null }], [MARK(7), dport(81), { drop: null }], [{ counter: { packets: 0, bytes: 0 } }, dport(81), { drop: null }], [{ accept: null }]] });
    const ends = walkHand(rs);
    assert.deepEqual(trail(ends[0]!.b), ['c:2 CONTINUE', 'c:3 MARK 0x7', 'c:5 ACCEPT']);
    assert.equal(ends[0]!.b.mark, 7);
  });

  test('numgen: random compared with == gives an exact chance, inc forks equally with an assumption', () => {
    const rnd = table({ c: [[{ match: { op: '==', left: { numgen: { mode: 'random', mod: 4, offset: 10 } }, right: 11 } }, { drop: null }]] });
    const r = walkHand(rnd);
    assert.deepEqual(summary(r), ['0.25 drop DROP', '0.75 return -']);
    assert.ok(r.every((x) => x.b.assumptions.length === 0 && x.b.reasons.length === 0));
    const inc = table({ c: [[{ vmap: { key: { numgen: { mode: 'inc', mod: 2, offset: 0 } }, data: { set: [[0, { accept: null }], [1, { drop: null }]] } } }]] });
    const i = walkHand(inc);
    assert.deepEqual(summary(i), ['0.5 accept ACCEPT', '0.5 drop DROP']);
    assert.equal(sum(i), 1);
    assert.match(i[0]!.b.assumptions[0]!, /numgen inc mod 2 counts packets across connections/);
    const gap = table({ c: [[{ vmap: { key: { numgen: { mode: 'random', mod: 3, offset: 0 } }, data: { set: [[0, { accept: null }], [{ range: [1, 1] }, { drop: null }]] } } }]] });
    assert.deepEqual(summary(walkHand(gap)), ['0.333333333 accept ACCEPT', '0.333333333 drop DROP', '0.333333333 return -']);
  });

  test('what is not understood is not guessed: unknown matches fork, unknown statements may stop', () => {
    const osf = table({ c: [[{ match: { op: '==', left: { osf: { key: 'name' } }, right: 'Linux' } }, { drop: null }]] });
    const m = walkHand(osf);
    assert.deepEqual(summary(m), ['0.5 drop DROP ?', '0.5 return - ?']);
    assert.match(m[0]!.b.reasons[0]!.text, /rule handle 2 in ip t c may match \(osf name "Linux": osf name is not modelled by np-doctor\); this branch assumes it does$/);
    const tproxy = table({ c: [[{ tproxy: { family: 'ip', port: 3128 } }], [{ accept: null }]] });
    const s = walkHand(tproxy);
    assert.deepEqual(summary(s), ['0.5 stop tproxy ip to:3128 ?', '0.5 accept ACCEPT ?']);
    assert.match(s[0]!.end === 'stop' ? s[0]!.why : '', /^rule handle 2 in ip t c: tproxy ip to:3128 is not modelled by np-doctor; it may decide the packet's fate here$/);
    assert.match(s[1]!.b.reasons[0]!.text, /tproxy ip to:3128 is not modelled by np-doctor; this branch assumes it lets the packet continue$/);
    const xt = table({ c: [[{ xt: { type: 'match', name: 'addrtype' } }, { drop: null }], [{ xt: { type: 'target', name: 'LOG' } }]] });
    assert.deepEqual(summary(walkHand(xt)), ['0.5 drop DROP ?', '0.25 stop xt target LOG ?', '0.25 return xt target LOG ?']);
    const unknownSymbol = table({ c: [[{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'quic' } }, { drop: null }]] });
    assert.match(walkHand(unknownSymbol)[0]!.b.reasons[0]!.text, /"quic" is not a value np-doctor knows for l4proto/);
  });

  test('queue stops the walk; reject with tcp reset only for TCP; limit over is assumed not hit', () => {
    assert.deepEqual(summary(walkHand(table({ c: [[{ queue: { num: 3, flags: ['bypass'] } }]] }))), ['1 stop QUEUE']);
    const reset = table({ c: [[{ reject: { type: 'tcp reset' } }], [{ accept: null }]] });
    assert.deepEqual(summary(walkHand(reset)), ['1 reject tcp-reset REJECT']);
    assert.deepEqual(summary(walkHand(reset, { proto: 'udp', dport: 53 })), ['1 accept ACCEPT']);
    const over = table({ c: [[{ limit: { rate: 10, per: 'second', inv: true } }, { drop: null }]] });
    const o = walkHand(over);
    assert.deepEqual(summary(o), ['1 return -']);
    assert.deepEqual(o[0]!.b.assumptions, ['rate limits are assumed not exceeded']);
  });

  test('an unknown key that may match many elements stops instead of forking per element', () => {
    const elems = Array.from({ length: 20 }, (_, i) => [`veth${i}`, i % 2 ? { drop: null } : { accept: null }]);
    const rs = table({ c: [[{ vmap: { key: { meta: { key: 'iifname' } }, data: { set: elems } } }]] });
    const ends = walkHand(rs, { inIface: undefined });
    assert.deepEqual(ends.map((e) => e.end), ['stop', 'return']);
    assert.match(ends[0]!.end === 'stop' ? ends[0]!.why : '', /the key iifname is not known and more than 16 elements of anonymous may match it/);
    assert.ok(ends.every((e) => e.b.reasons.length === 1));
    assert.deepEqual(summary(walkHand(rs, { inIface: 'veth3' })), ['1 drop DROP']);
  });

  test('fib as the kernel answers it (measured in a namespace): local per device, no oif for a local address', () => {
    const fib = (flags: string[], result: string, right: unknown) => ({ match: { op: '==', left: { fib: { result, flags } }, right } });
    const rs = table({
      c: [
        [fib(['daddr', 'iif'], 'type', 'local'), MARK(1)],
        [fib(['daddr', 'iif'], 'type', 'unicast'), MARK(2)],
        [fib(['daddr'], 'oif', false), { mangle: { key: { ct: { key: 'mark' } }, value: 9 } }],
        [fib(['saddr', 'iif'], 'oif', true), { accept: null }],
      ],
    });
    const at = (dst: string, inIface: string) => trail(walkHand(rs, { dst, inIface, hook: 'PREROUTING' })[0]!.b);
    // 192.168.0.2 lives on eth0: local there. 192.168.1.2 lives on eth1: unicast seen from eth0.
    assert.deepEqual(at('192.168.0.2', 'eth0'), ['c:2 MARK 0x1', 'c:4 CTMARK 0x9', 'c:5 ACCEPT']);
    assert.deepEqual(at('192.168.1.2', 'eth0'), ['c:3 MARK 0x2', 'c:4 CTMARK 0x9', 'c:5 ACCEPT']);
    // A remote destination has a route; the source 203.0.113.9 routes back through eth0, not eth1.
    assert.deepEqual(at('198.18.0.1', 'eth0'), ['c:3 MARK 0x2', 'c:5 ACCEPT']);
    assert.deepEqual(at('198.18.0.1', 'eth1'), ['c:3 MARK 0x2']);
  });

  test('a loop of jumps stops at the depth guard', () => {
    const rs = table({ c: [[J('a')]], a: [[J('c')]] });
    const ends = walkHand(rs);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.end, 'stop');
    assert.match(ends[0]!.end === 'stop' ? ends[0]!.why : '', /chains nest deeper than 64/);
  });

  test('ct status dnat, original tuple, iifname wildcard and a map of the wrong address family', () => {
    const rs = table({
      c: [
        [{ match: { op: 'in', left: { ct: { key: 'status' } }, right: 'dnat' } }, MARK(1)],
        [{ match: { op: '==', left: { ct: { key: 'ip daddr', dir: 'original' } }, right: '192.168.0.2' } }, MARK(2)],
        [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth*' } }, { accept: null }],
      ],
    });
    const b = branch({ src: '203.0.113.9', dst: '10.244.1.2', dport: 8080, inIface: 'eth0', hook: 'INPUT' });
    b.ct.origDst = parseAddr('192.168.0.2')!;
    b.ct.dnat = true;
    const { table: t, chain } = chainOf(rs, 'ip', 't', 'c');
    const ends = runNftChain({ ruleset: rs, table: t, env: env(), family: 4, label: false }, [b], chain);
    assert.deepEqual(trail(ends[0]!.b), ['c:2 MARK 0x1', 'c:3 MARK 0x2', 'c:4 ACCEPT']);
  });
});
