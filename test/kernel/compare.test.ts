/**
 * The lab's parsers and comparisons on fixed text, without root: a comparison that can never fail
 * would make the kernel suite pass for any engine, so each one is shown failing on a wrong walk.
 * The fixtures are trimmed copies of real xtables-monitor / nft / conntrack output from this lab.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, WalkResult } from '../../src/engine/netfilter/types.js';
import { firstPacketEvents, parseMonitor, toKernelHops } from './lab/trace.js';
import { handlePositions, parseNftMonitor, saveLines } from './lab/nft-trace.js';
import { natOf, parseConntrack } from './lab/conntrack.js';
import type { ProbeRun, TryObservation } from './lab/run.js';
import { compareEndpoints, compareMasquerade, comparePath, compareVerdict, type CompareContext } from './compare.js';

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

describe('nft monitor trace parsing (IPv6)', () => {
  test('handles map back to the ip6tables-save lines', () => {
    const listing = `table ip6 nat { # handle 2
\tchain OUTPUT { # handle 3
\t\ttype nat hook output priority -100; policy accept;
\t\t counter packets 1 bytes 80 jump X # handle 6
\t\ttcp dport 30080 counter packets 1 bytes 80 dnat to [::1]:9 # handle 8
\t}
\tchain X { # handle 5
\t\ttcp dport 30080 counter packets 1 bytes 80 return # handle 7
\t}
}`;
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
    const lines = parseNftMonitor(text, handlePositions(listing, 'ip6'), saveLines(dump));
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
