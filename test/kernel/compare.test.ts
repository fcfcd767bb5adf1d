/**
 * The lab's parsers and comparisons on fixed text, without root: a comparison that can never fail
 * would make the kernel suite pass for any engine, so each one is shown failing on a wrong walk.
 * The fixtures are trimmed copies of real xtables-monitor / nft / conntrack output from this lab.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hop, Outcome, WalkResult } from '../../src/engine/packet/contract.js';
import { firstPacketEvents, parseMonitor, toKernelHops } from './lab/trace.js';
import { handlePositions, iptablesView, parseNftMonitor } from './lab/nft-trace.js';
import { natOf, parseConntrack } from './lab/conntrack.js';
import type { ProbeRun, TryObservation } from './lab/run.js';
import { compareEndpoints, compareMasquerade, comparePath, compareVerdict, nftVerdictOf, type CompareContext } from './compare.js';

const XT = `PACKET: 2 5c66aa0c IN=eth0 MACSRC=8a:eb:16:e3:9f:23 MACDST=22:81:8e:5e:4a:23 MACPROTO=0800 SRC=203.0.113.7 DST=192.168.49.2 LEN=60 TOS=0x0 TTL=64 ID=56814 DF SPORT=20001 DPORT=30080 SYN 
 TRACE: 2 5c66aa0c raw:PREROUTING:rule:0x3:CONTINUE  -4 -t raw -A PREROUTING -p tcp -m tcp --dport 30000:32767 -j TRACE
 TRACE: 2 5c66aa0c raw:PREROUTING:policy:ACCEPT 
PACKET: 2 5c66aa0c IN=eth0 MACSRC=8a:eb:16:e3:9f:23 MACDST=22:81:8e:5e:4a:23 MACPROTO=0800 SRC=203.0.113.7 DST=192.168.49.2 LEN=60 TOS=0x0 TTL=64 ID=56814 DF SPORT=20001 DPORT=30080 SYN 
 TRACE: 2 5c66aa0c nat:PREROUTING:rule:0xd:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -j KUBE-SERVICES
 TRACE: 2 5c66aa0c nat:KUBE-SERVICES:rule:0x11:0xfffffffb  -4 -t nat -A KUBE-SERVICES -p udp -j RETURN
 TRACE: 2 5c66aa0c nat:KUBE-SEP-A:rule:0x18:ACCEPT  -4 -t nat -A KUBE-SEP-A -p tcp -j DNAT --to-destination 10.244.0.5:8080
PACKET: 2 5c66aa0c IN=eth0 OUT=calia1 SRC=203.0.113.7 DST=10.244.0.5 LEN=60 TOS=0x0 TTL=63 ID=56814 DF SPORT=20001 DPORT=8080 SYN MARK=0x4000 
 TRACE: 2 5c66aa0c filter:FORWARD:policy:ACCEPT 
PACKET: 2 5c66aa0c IN=eth0 SRC=203.0.113.7 DST=192.168.49.2 LEN=52 TOS=0x0 TTL=64 ID=56817 DF SPORT=20001 DPORT=30080 ACK FIN 
 TRACE: 2 5c66aa0c raw:PREROUTING:rule:0x3:CONTINUE  -4 -t raw -A PREROUTING -p tcp -m tcp --dport 30000:32767 -j TRACE
`;

describe('xtables-monitor parsing', () => {
  test('first packet only, verdict numbers named, prefix stripped', () => {
    const ev = firstPacketEvents(parseMonitor(XT), { src: '203.0.113.7', sport: 20001, dport: 30080 });
    assert.ok(ev !== null);
    const hops = toKernelHops(ev);
    assert.deepEqual(
      hops.map((h) => `${h.table}/${h.chain} ${h.rule ?? h.verdict}`),
      [
        'raw/PREROUTING -A PREROUTING -p tcp -m tcp --dport 30000:32767 -j TRACE',
        'raw/PREROUTING POLICY ACCEPT',
        'nat/PREROUTING -A PREROUTING -j KUBE-SERVICES',
        'nat/KUBE-SERVICES -A KUBE-SERVICES -p udp -j RETURN',
        'nat/KUBE-SEP-A -A KUBE-SEP-A -p tcp -j DNAT --to-destination 10.244.0.5:8080',
        'filter/FORWARD POLICY ACCEPT',
      ],
    );
    assert.equal(hops[3]?.verdict, 'RETURN');
    assert.equal(firstPacketEvents(parseMonitor(XT), { src: '203.0.113.7', sport: 1, dport: 30080 }), null);
  });
});

describe('nft monitor trace parsing (IPv6 iptables-nft rules)', () => {
  test('handles map back to the ip6tables-save lines', () => {
    // `nft -j list ruleset`, trimmed: rule order per chain is what matters.
    const listing = JSON.stringify({
      nftables: [
        { table: { family: 'ip6', name: 'nat', handle: 2 } },
        { chain: { family: 'ip6', table: 'nat', name: 'OUTPUT', handle: 3, type: 'nat', hook: 'output', prio: -100, policy: 'accept' } },
        { chain: { family: 'ip6', table: 'nat', name: 'X', handle: 5 } },
        { rule: { family: 'ip6', table: 'nat', chain: 'OUTPUT', handle: 6, expr: [] } },
        { rule: { family: 'ip6', table: 'nat', chain: 'OUTPUT', handle: 8, expr: [] } },
        { rule: { family: 'ip6', table: 'nat', chain: 'X', handle: 7, expr: [] } },
      ],
    });
    const dump = `*nat
:OUTPUT ACCEPT [0:0]
:X - [0:0]
-A OUTPUT -m comment --comment "hi there" -j X
-A OUTPUT -p tcp -m tcp --dport 30080 -j DNAT --to-destination [::1]:9
-A X -p tcp -m tcp --dport 30080 -j RETURN
COMMIT`;
    const text = `trace id 2b659a54 ip6 nat OUTPUT packet: oif "lo" ip6 saddr ::1 ip6 daddr ::1 ip6 length 40 tcp sport 32988 tcp dport 30080 tcp flags == syn
trace id 2b659a54 ip6 nat OUTPUT rule  counter packets 0 bytes 0 jump X # handle 6 (verdict jump X)
trace id 2b659a54 ip6 nat X rule tcp dport 30080 counter packets 0 bytes 0 return # handle 7 (verdict return)
trace id 2b659a54 ip6 nat OUTPUT rule tcp dport 30080 counter packets 0 bytes 0 dnat to [::1]:9 # handle 8 (verdict accept)
trace id 2b659a54 ip6 nat POSTROUTING policy accept `;
    const lines = parseNftMonitor(text, { positions: handlePositions(listing), iptables: { ip6: iptablesView(dump) } });
    const ev = firstPacketEvents(lines, { src: '::1', sport: 32988, dport: 30080 });
    assert.deepEqual(
      toKernelHops(ev ?? []).map((h) => h.rule ?? h.verdict),
      [
        '-A OUTPUT -m comment --comment "hi there" -j X',
        '-A X -p tcp -m tcp --dport 30080 -j RETURN',
        '-A OUTPUT -p tcp -m tcp --dport 30080 -j DNAT --to-destination [::1]:9',
        'POLICY ACCEPT',
      ],
    );
    assert.ok(toKernelHops(ev ?? []).every((h) => h.family === undefined), 'iptables-nft hops carry no nft family');
  });
});

describe('conntrack parsing', () => {
  test('DNAT and SNAT from the reply tuple, port-only SNAT counts', () => {
    const e = parseConntrack(
      `tcp      6 119 TIME_WAIT src=203.0.113.7 dst=192.168.49.2 sport=20001 dport=30080 src=10.244.0.6 dst=192.168.49.2 sport=8080 dport=56975 [ASSURED] mark=0 use=1
tcp      6 119 TIME_WAIT src=192.168.49.2 dst=192.168.49.2 sport=20002 dport=30080 src=10.244.0.5 dst=192.168.49.2 sport=8080 dport=4242 [ASSURED] mark=0 use=1
udp      17 29 src=203.0.113.7 dst=192.168.49.2 sport=20003 dport=30091 [UNREPLIED] src=192.168.49.2 dst=203.0.113.7 sport=30091 dport=20003 mark=0 use=1`,
    );
    assert.deepEqual(e.map(natOf), [
      { dnat: { ip: '10.244.0.6', port: 8080 }, snat: '192.168.49.2' },
      { dnat: { ip: '10.244.0.5', port: 8080 }, snat: '192.168.49.2' },
      { dnat: null, snat: null },
    ]);
  });
});

// A delivered, masqueraded try through a two-endpoint service, and a walk that agrees with it.
const hopsA = [
  { table: 'nat', chain: 'KUBE-SEP-A', rule: '-A KUBE-SEP-A -p tcp -j DNAT --to-destination 10.244.0.5:8080', verdict: 'ACCEPT' },
  { table: 'filter', chain: 'FORWARD', rule: null, verdict: 'POLICY ACCEPT' },
];
function tryTo(ip: string, sport: number): TryObservation {
  return {
    sport,
    result: 'delivered',
    pod: ip.endsWith('.5') ? 'a1' : 'b1',
    peer: '192.168.49.2:4242',
    hops: ip.endsWith('.5') ? hopsA : null,
    nat: { dnat: { ip, port: 8080 }, snat: '192.168.49.2' },
    serverSaw: [],
  };
}
const run: ProbeRun = {
  probe: { name: 'p', from: { kind: 'client' }, to: { ip: '192.168.49.2', port: 30080 }, proto: 'tcp', node: 0, intended: { result: 'delivered' } },
  packet: { src: '203.0.113.7', dst: '192.168.49.2', proto: 'tcp', sport: 20001, dport: 30080, inIface: 'eth0' },
  tries: [tryTo('10.244.0.5', 20001)],
  seconds: 0,
};
function outcome(ip: string, over: Partial<Outcome> = {}): Outcome {
  return {
    probability: 0.5,
    verdict: 'ACCEPT',
    delivery: 'forward',
    dnat: { ip, port: 8080 },
    snat: { type: 'MASQUERADE' },
    mark: '0x0',
    indeterminate: null,
    hops: [
      { table: 'nat', chain: 'KUBE-SEP-A', line: 9, rule: '-A KUBE-SEP-A -p tcp -j DNAT  --to-destination 10.244.0.5:8080', action: 'DNAT 10.244.0.5:8080' },
      { table: 'filter', chain: 'FORWARD', line: 2, rule: null, action: 'POLICY ACCEPT' },
    ],
    ...over,
  };
}
const good: WalkResult = { packet: { src: '203.0.113.7', dst: '192.168.49.2', proto: 'tcp', dport: 30080 }, outcomes: [outcome('10.244.0.5'), outcome('10.244.1.5')] };
const ctx: CompareContext = { names: new Map([['10.244.0.5', 'a1']]), nodeListeners: new Set(), affinity: false };

describe('comparisons', () => {
  test('an agreeing walk passes all four', () => {
    assert.deepEqual(compareVerdict(run, good, ctx), []);
    assert.deepEqual(compareEndpoints(run, good, ctx), []);
    assert.deepEqual(compareMasquerade(run, good, ctx), []);
    assert.deepEqual(comparePath(run, good, ctx), []);
  });
  test('(a) fails on a wrong verdict', () => {
    const w = { ...good, outcomes: [outcome('10.244.0.5', { verdict: 'DROP', delivery: null }), outcome('10.244.1.5')] };
    assert.match(compareVerdict(run, w, ctx).join(), /\(a\) verdict/);
  });
  test('(a) fails when a likely walk verdict never shows up', () => {
    const many = { ...run, tries: Array.from({ length: 16 }, (_, i) => tryTo('10.244.0.5', 20001 + i)) };
    const w = { ...good, outcomes: [outcome('10.244.0.5'), outcome('10.244.0.5', { verdict: 'REJECT', delivery: null })] };
    assert.match(compareVerdict(many, w, ctx).join(), /gives "refused"/);
  });
  test('(b) fails on an endpoint the walk does not know, and on one the kernel never used', () => {
    const w = { ...good, outcomes: [outcome('10.244.1.5', { probability: 1 })] };
    assert.match(compareEndpoints(run, w, ctx).join(), /no walk outcome DNATs to/);
    const many = { ...run, tries: Array.from({ length: 16 }, (_, i) => tryTo('10.244.0.5', 20001 + i)) };
    assert.match(compareEndpoints(many, good, ctx).join(), /never reached 10\.244\.1\.5:8080/);
    assert.deepEqual(compareEndpoints(many, good, { ...ctx, affinity: true }), []);
  });
  test('(c) fails when the walk misses the masquerade or names another address', () => {
    const w1 = { ...good, outcomes: [outcome('10.244.0.5', { snat: null }), outcome('10.244.1.5')] };
    assert.match(compareMasquerade(run, w1, ctx).join(), /\(c\) masquerade/);
    const w2 = { ...good, outcomes: [outcome('10.244.0.5', { snat: { type: 'MASQUERADE', ip: '192.168.49.9' } }), outcome('10.244.1.5')] };
    assert.match(compareMasquerade(run, w2, ctx).join(), /\(c\) masquerade/);
  });
  test('(d) fails on a different hop and shows both sides', () => {
    const w = { ...good, outcomes: [outcome('10.244.0.5', { hops: [good.outcomes[0]!.hops[0]!, { table: 'filter', chain: 'FORWARD', line: 2, rule: null, action: 'POLICY DROP' }] })] };
    const msg = comparePath(run, w, ctx).join();
    assert.match(msg, /First difference at hop 2/);
    assert.match(msg, /kernel hops[\s\S]*POLICY ACCEPT[\s\S]*walk hops[\s\S]*POLICY DROP/);
  });
});

// ---------------------------------------------------------------------------------------------
// Native nftables: a real `nft -a monitor trace` (nft-mixed-iptables-first, nodeport-to-pod,
// lines shortened): kube-proxy's `table ip kube-proxy` DNATs to a1, then Docker's iptables-nft
// FORWARD policy drops it. The lab's trace table (npd-trace) is no hop; iptables-nft's tables map
// back to their -A lines; a later packet reusing the trace id (new `ip id`) does not mix in, nor
// does a re-traversal that starts at the trace table again.
const KP = 'ip kube-proxy';
const EXT = 'external-SFDBSQB2-shop/frontend/tcp/http';
const SVC = 'service-SFDBSQB2-shop/frontend/tcp/http';
const EP = 'endpoint-NPJ7KIVG-shop/frontend/tcp/http__10.244.0.5/8080';
const PKT = 'iif "eth0" ip saddr 203.0.113.7 ip daddr 192.168.49.2 ip id 8112 ip length 60 tcp sport 23361 tcp dport 30080 tcp flags == syn';
const FWD = 'iif "eth0" oif "calia1" ip saddr 203.0.113.7 ip daddr 10.244.0.5 ip id 8112 ip length 60 tcp sport 23361 tcp dport 8080';
const NFT_TRACE = `trace id 39cce847 inet npd-trace prerouting packet: ${PKT}
trace id 39cce847 inet npd-trace prerouting rule meta l4proto { tcp, udp } th dport 30000-32767 meta nftrace set 1 # handle 4 (verdict continue)
trace id 39cce847 inet npd-trace prerouting policy accept
trace id 39cce847 ip mangle PREROUTING packet: ${PKT}
trace id 39cce847 ip mangle PREROUTING policy accept
trace id 39cce847 ${KP} filter-prerouting-pre-dnat packet: ${PKT}
trace id 39cce847 ${KP} filter-prerouting-pre-dnat rule ct state new jump firewall-check # handle 16 (verdict jump firewall-check)
trace id 39cce847 ${KP} filter-prerouting-pre-dnat policy accept
trace id 39cce847 ${KP} nat-prerouting packet: ${PKT}
trace id 39cce847 ${KP} nat-prerouting rule jump services # handle 20 (verdict jump services)
trace id 39cce847 ${KP} services rule fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports # handle 45 (verdict goto ${EXT})
trace id 39cce847 ${KP} ${EXT} rule jump mark-for-masquerade # handle 50 (verdict jump mark-for-masquerade)
trace id 39cce847 ${KP} mark-for-masquerade rule meta mark set meta mark | 0x00004000 # handle 27 (verdict continue)
trace id 39cce847 ${KP} ${EXT} rule goto ${SVC} # handle 51 (verdict goto ${SVC})
trace id 39cce847 ${KP} ${SVC} rule numgen random mod 1 vmap { 0 : goto ${EP} } # handle 53 (verdict goto ${EP})
trace id 39cce847 ${KP} ${EP} rule meta l4proto tcp dnat to 10.244.0.5:8080 # handle 55 (verdict accept)
trace id 39cce847 ip mangle FORWARD packet: ${FWD}
trace id 39cce847 ip mangle FORWARD policy accept meta mark 0x00004000
trace id 39cce847 ${KP} filter-forward packet: ${FWD}
trace id 39cce847 ${KP} filter-forward rule ct state new jump service-endpoints-check # handle 13 (verdict jump service-endpoints-check)
trace id 39cce847 ${KP} filter-forward rule ct state new jump cluster-ips-check # handle 24 (verdict jump cluster-ips-check)
trace id 39cce847 ${KP} filter-forward policy accept meta mark 0x00004000
trace id 39cce847 ip filter FORWARD packet: ${FWD}
trace id 39cce847 ip filter FORWARD rule counter packets 0 bytes 0 jump DOCKER-USER # handle 8 (verdict jump DOCKER-USER)
trace id 39cce847 ip filter DOCKER-USER rule counter packets 0 bytes 0 return # handle 10 (verdict return)
trace id 39cce847 ip filter FORWARD policy drop meta mark 0x00004000
trace id 39cce847 inet npd-trace prerouting packet: ${PKT.replace('ip id 8112', 'ip id 8512')}
trace id 39cce847 ip mangle PREROUTING policy accept
`;
const NFT_POSITIONS = JSON.stringify({
  nftables: [
    { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 8, expr: [] } },
    { rule: { family: 'ip', table: 'filter', chain: 'DOCKER-USER', handle: 10, expr: [] } },
    { rule: { family: 'ip', table: 'kube-proxy', chain: 'services', handle: 44, expr: [] } },
  ],
});
const NFT_IPT_DUMP = `*mangle
:PREROUTING ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
COMMIT
*filter
:FORWARD DROP [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
COMMIT
`;
const nftCtx = { positions: handlePositions(NFT_POSITIONS), iptables: { ip: iptablesView(NFT_IPT_DUMP) }, traceTable: 'npd-trace' };
const nftHops = () => toKernelHops(firstPacketEvents(parseNftMonitor(NFT_TRACE, nftCtx), { src: '203.0.113.7', sport: 23361, dport: 30080 }) ?? []);

describe('nft monitor trace parsing (native nftables and iptables-nft together)', () => {
  test('native hops keep family/handle/verdict, iptables-nft hops become -A lines, the trace table is no hop', () => {
    const show = nftHops().map((h) => (h.family !== undefined ? `${h.family} ${h.table}/${h.chain} ${h.handle !== undefined ? `#${h.handle} ` : ''}${h.verdict}` : `${h.table}/${h.chain} ${h.rule ?? h.verdict}`));
    assert.deepEqual(show, [
      'mangle/PREROUTING POLICY ACCEPT',
      'ip kube-proxy/filter-prerouting-pre-dnat #16 jump firewall-check',
      'ip kube-proxy/filter-prerouting-pre-dnat POLICY ACCEPT',
      'ip kube-proxy/nat-prerouting #20 jump services',
      `ip kube-proxy/services #45 goto ${EXT}`,
      `ip kube-proxy/${EXT} #50 jump mark-for-masquerade`,
      'ip kube-proxy/mark-for-masquerade #27 continue',
      `ip kube-proxy/${EXT} #51 goto ${SVC}`,
      `ip kube-proxy/${SVC} #53 goto ${EP}`,
      `ip kube-proxy/${EP} #55 accept`,
      'mangle/FORWARD POLICY ACCEPT',
      'ip kube-proxy/filter-forward #13 jump service-endpoints-check',
      'ip kube-proxy/filter-forward #24 jump cluster-ips-check',
      'ip kube-proxy/filter-forward POLICY ACCEPT',
      'filter/FORWARD -A FORWARD -j DOCKER-USER',
      'filter/DOCKER-USER -A DOCKER-USER -j RETURN',
      'filter/FORWARD POLICY DROP',
    ]);
    assert.equal(nftHops().find((h) => h.handle === 55)?.rule, 'meta l4proto tcp dnat to 10.244.0.5:8080');
  });
  test('a re-traversal starting at the trace table again ends the packet even with the same ip id', () => {
    const again = `trace id aa inet npd-trace output packet: oif "lo" ip saddr 192.168.49.2 ip daddr 192.168.49.2 ip id 7 tcp sport 23001 tcp dport 30080
trace id aa inet npd-trace output rule meta l4proto { tcp, udp } th dport 30000-32767 meta nftrace set 1 # handle 7 (verdict continue)
trace id aa ${KP} nat-output rule jump services # handle 19 (verdict jump services)
trace id aa inet npd-trace prerouting packet: iif "lo" ip saddr 192.168.49.2 ip daddr 192.168.49.2 ip id 7 tcp sport 23001 tcp dport 30080
trace id aa inet npd-trace prerouting rule meta l4proto { tcp, udp } th dport 30000-32767 meta nftrace set 1 # handle 4 (verdict continue)
trace id aa ${KP} filter-input policy accept`;
    const ev = firstPacketEvents(parseNftMonitor(again, nftCtx), { src: '192.168.49.2', sport: 23001, dport: 30080 });
    assert.deepEqual(toKernelHops(ev ?? []).map((h) => `${h.chain} ${h.verdict}`), ['nat-output jump services']);
  });
  test('nftVerdictOf: the walk action in the trace vocabulary', () => {
    assert.deepEqual(
      ['GOTO external-x', 'JUMP mark-for-masquerade', 'DNAT 10.244.0.5:8080', 'MASQUERADE', 'REJECT', 'DROP', 'RETURN', 'ACCEPT', 'MARK or 0x4000', 'CONTINUE'].map(nftVerdictOf),
      ['goto external-x', 'jump mark-for-masquerade', 'accept', 'accept', 'drop', 'drop', 'return', 'accept', 'continue', 'continue'],
    );
  });
});

// The walk's side of the same packet, as the engine reports hops: iptables hops by rule text,
// native ones by family/table/chain/handle with an action.
const ipt = (table: string, chain: string, rule: string | null, action: string): Hop => ({ table, chain, line: 1, rule, action });
const nft = (chain: string, handle: number, rule: string, action: string): Hop => ({ table: 'kube-proxy', family: 'ip', chain, line: handle, handle, rule, action });
const nftPolicy = (chain: string, action: string): Hop => ({ table: 'kube-proxy', family: 'ip', chain, line: 0, rule: null, action });
const walkHops = (): Hop[] => [
  ipt('mangle', 'PREROUTING', null, 'POLICY ACCEPT'),
  nft('filter-prerouting-pre-dnat', 16, 'ct state new jump firewall-check', 'JUMP firewall-check'),
  nftPolicy('filter-prerouting-pre-dnat', 'POLICY ACCEPT'),
  nft('nat-prerouting', 20, 'jump services', 'JUMP services'),
  nft('services', 45, 'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports', `GOTO ${EXT}`),
  nft(EXT, 50, 'jump mark-for-masquerade', 'JUMP mark-for-masquerade'),
  nft('mark-for-masquerade', 27, 'meta mark set meta mark | 0x00004000', 'MARK 0x4000'),
  nft(EXT, 51, `goto ${SVC}`, `GOTO ${SVC}`),
  nft(SVC, 53, `numgen random mod 1 vmap { 0 : goto ${EP} }`, `GOTO ${EP}`),
  nft(EP, 55, 'meta l4proto tcp dnat to 10.244.0.5:8080', 'DNAT 10.244.0.5:8080'),
  ipt('mangle', 'FORWARD', null, 'POLICY ACCEPT'),
  nft('filter-forward', 13, 'ct state new jump service-endpoints-check', 'JUMP service-endpoints-check'),
  nft('filter-forward', 24, 'ct state new jump cluster-ips-check', 'JUMP cluster-ips-check'),
  nftPolicy('filter-forward', 'POLICY ACCEPT'),
  ipt('filter', 'FORWARD', '-A FORWARD -j DOCKER-USER', 'JUMP DOCKER-USER'),
  ipt('filter', 'DOCKER-USER', '-A DOCKER-USER -j RETURN', 'RETURN'),
  ipt('filter', 'FORWARD', null, 'POLICY DROP'),
];
const nftRun = (): ProbeRun => ({
  probe: { name: 'nodeport-to-pod', from: { kind: 'client' }, to: { ip: '192.168.49.2', port: 30080 }, proto: 'tcp', node: 0, intended: { result: 'timeout' } },
  packet: { src: '203.0.113.7', dst: '192.168.49.2', proto: 'tcp', sport: 23361, dport: 30080, inIface: 'eth0' },
  // Dropped in FORWARD before conntrack confirmed it: no entry; the DNAT comes from the trace.
  tries: [{ sport: 23361, result: 'timeout', hops: nftHops(), nat: null, serverSaw: [] }],
  seconds: 0,
});
const nftWalk = (hops: Hop[], over: Partial<Outcome> = {}): WalkResult => ({
  packet: { src: '203.0.113.7', dst: '192.168.49.2', proto: 'tcp', dport: 30080 },
  outcomes: [{ probability: 1, verdict: 'DROP', delivery: null, dnat: { ip: '10.244.0.5', port: 8080 }, snat: null, mark: '0x4000', indeterminate: null, hops, ...over }],
});

describe('comparisons on native nftables hops', () => {
  test('an agreeing walk passes all four (DNAT taken from the nft trace)', () => {
    const w = nftWalk(walkHops());
    assert.deepEqual(compareVerdict(nftRun(), w, ctx), []);
    assert.deepEqual(compareEndpoints(nftRun(), w, ctx), []);
    assert.deepEqual(compareMasquerade(nftRun(), w, ctx), []);
    assert.deepEqual(comparePath(nftRun(), w, ctx), []);
  });
  test('(b) fails when the walk DNATs elsewhere than the trace shows', () => {
    assert.match(compareEndpoints(nftRun(), nftWalk(walkHops(), { dnat: { ip: '10.244.0.6', port: 8080 } }), ctx).join(), /no walk outcome DNATs to/);
  });
  test('(d) fails on another rule handle', () => {
    const hops = walkHops();
    hops[4] = nft('services', 44, 'ip daddr . meta l4proto . th dport vmap @service-ips', `GOTO ${EXT}`);
    const msg = comparePath(nftRun(), nftWalk(hops), ctx).join();
    assert.match(msg, /First difference at hop 5/);
    assert.match(msg, /kernel hops[\s\S]*#45 goto[\s\S]*walk hops[\s\S]*#44 goto/);
  });
  test('(d) fails on another verdict of the same rule', () => {
    const hops = walkHops();
    hops[6] = nft('mark-for-masquerade', 27, 'meta mark set meta mark | 0x00004000', 'ACCEPT');
    assert.match(comparePath(nftRun(), nftWalk(hops), ctx).join(), /First difference at hop 7[\s\S]*#27 continue[\s\S]*#27 accept/);
    const hops2 = walkHops();
    hops2[8] = nft(SVC, 53, `numgen random mod 1 vmap { 0 : goto ${EP} }`, 'GOTO endpoint-other');
    assert.match(comparePath(nftRun(), nftWalk(hops2), ctx).join(), /First difference at hop 9/);
  });
  test('(d) fails when tables of equal priority run in the other order', () => {
    const hops = walkHops();
    const swapped = [...hops.slice(0, 11), ...hops.slice(14), ...hops.slice(11, 14)];
    assert.match(comparePath(nftRun(), nftWalk(swapped), ctx).join(), /First difference at hop 12/);
  });
  test('(d) fails when a native hop lacks its family, or a native policy is missing', () => {
    const hops = walkHops();
    hops[1] = { ...hops[1]!, family: undefined };
    assert.match(comparePath(nftRun(), nftWalk(hops), ctx).join(), /First difference at hop 2/);
    const noPolicy = walkHops().filter((_, i) => i !== 13);
    assert.match(comparePath(nftRun(), nftWalk(noPolicy), ctx).join(), /First difference at hop 14/);
  });
});
