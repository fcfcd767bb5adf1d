import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/engine/errors.js';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import type { NodeContext, Outcome, Packet, WalkResult } from '../../src/engine/packet/contract.js';
import { PacketError } from '../../src/engine/packet/initial-branch.js';
import { walk } from '../../src/engine/walk/walk.js';
import { KUBE_PROXY_DUMP, NODE } from './fixtures.js';

/** One line per outcome: `0.5 ACCEPT forward 10.180.0.1:80 masq` — what the flow tables compare. */
function summarize(o: Outcome): string {
  return [
    o.probability,
    o.verdict,
    o.delivery ?? '-',
    o.dnat ? `${o.dnat.ip}:${o.dnat.port}` : '-',
    o.snat ? 'masq' : 'nomasq',
    ...(o.indeterminate ? ['?'] : []),
  ].join(' ');
}

/** Prints the matched rules when a flow disagrees, like kube-proxy's packet-flow tests. */
function explain(r: WalkResult): string {
  return r.outcomes.map((o) => `${summarize(o)}\n${o.hops.map((h) => `    ${h.table}/${h.chain}:${h.line} ${h.action}   ${h.rule ?? ''}`).join('\n')}`).join('\n');
}

function flows(dump: string, node: NodeContext, packet: Packet): { result: WalkResult; lines: string[] } {
  const result = walk([parseIptablesSave(dump, { source: 'fixture' })], node, packet);
  return { result, lines: result.outcomes.map(summarize) };
}

const external = (dport: number, dst = '192.168.0.2'): Packet => ({ src: '203.0.113.2', sport: 40000, dst, dport, proto: 'tcp', inIface: 'eth0' });

describe('walk: kube-proxy NodePorts (iptables mode)', () => {
  const cases: { name: string; packet: Packet; want: string[] }[] = [
    {
      name: 'eTP Cluster: both endpoints at 0.5, DNATed and masqueraded',
      packet: external(3001),
      want: ['0.5 ACCEPT forward 10.180.0.1:80 masq', '0.5 ACCEPT forward 10.180.1.1:80 masq'],
    },
    {
      name: 'eTP Cluster on the secondary node IP',
      packet: external(3001, '192.168.1.2'),
      want: ['0.5 ACCEPT forward 10.180.0.1:80 masq', '0.5 ACCEPT forward 10.180.1.1:80 masq'],
    },
    {
      name: 'eTP Local without a local endpoint: no DNAT, then DROP in KUBE-EXTERNAL-SERVICES',
      packet: external(3002),
      want: ['1 DROP - - nomasq'],
    },
    {
      name: 'eTP Local, pod source short-circuits to all endpoints, unmasqueraded',
      packet: { src: '10.180.0.9', sport: 40000, dst: '192.168.0.2', dport: 3002, proto: 'tcp', inIface: 'cali9' },
      want: ['1 ACCEPT forward 10.180.1.2:80 nomasq'],
    },
    {
      name: 'eTP Local with a local endpoint: not masqueraded',
      packet: external(3005),
      want: ['1 ACCEPT forward 10.180.0.5:80 nomasq'],
    },
    {
      name: 'no endpoints: REJECT in KUBE-EXTERNAL-SERVICES',
      packet: external(3003),
      want: ['1 REJECT - - nomasq'],
    },
    {
      name: 'a port no Service uses: no DNAT, accepted for a local socket',
      packet: external(3999),
      want: ['1 ACCEPT local - nomasq'],
    },
    {
      name: 'hairpin: a pod reaching itself through the NodePort is masqueraded',
      packet: { src: '10.180.0.5', sport: 40000, dst: '192.168.0.2', dport: 3005, proto: 'tcp', inIface: 'cali5' },
      want: ['1 ACCEPT forward 10.180.0.5:80 masq'],
    },
    {
      name: 'UDP does not match a TCP NodePort',
      packet: { ...external(3001), proto: 'udp' },
      want: ['1 ACCEPT local - nomasq'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { result, lines } = flows(KUBE_PROXY_DUMP, NODE, c.packet);
      assert.deepEqual(lines, c.want, explain(result));
    });
  }

  test('the DROP names the rule and its line as evidence', () => {
    const { result } = flows(KUBE_PROXY_DUMP, NODE, external(3002));
    const last = result.outcomes[0]?.hops.at(-1);
    assert.equal(last?.table, 'filter');
    assert.equal(last?.chain, 'KUBE-EXTERNAL-SERVICES');
    assert.equal(last?.line, 19);
    assert.equal(last?.action, 'DROP');
    assert.match(last?.rule ?? '', /ns2\/svc2:p80 has no local endpoints/);
    // The walk went through KUBE-EXT-2 without a match: no DNAT, the packet stayed on the node IP.
    assert.ok(result.outcomes[0]?.hops.some((h) => h.chain === 'KUBE-NODEPORTS' && h.action === 'JUMP KUBE-EXT-2'));
  });

  test('REJECT reports what the client receives', () => {
    assert.equal(flows(KUBE_PROXY_DUMP, NODE, external(3003)).result.outcomes[0]?.rejectWith, 'icmp-port-unreachable');
  });

  test('session affinity: a new client misses every affinity list and takes the statistic split, assumed and listed', () => {
    const { result, lines } = flows(KUBE_PROXY_DUMP, NODE, external(3004));
    assert.deepEqual(lines, ['0.5 ACCEPT forward 10.180.0.4:80 masq', '0.5 ACCEPT forward 10.180.1.4:80 masq'], explain(result));
    for (const o of result.outcomes) {
      assert.ok(o.assumptions?.some((a) => /^a new client: kube-proxy's session-affinity lists \(-m recent\)/.test(a)), JSON.stringify(o.assumptions));
      assert.ok(o.hops.some((h) => /--probability|-j KUBE-SEP-4B$/.test(h.rule ?? '')), 'the split decided it');
      assert.ok(!o.hops.some((h) => / --rcheck /.test(h.rule ?? '')));
    }
  });

  test('session affinity: a returning client goes back through an rcheck rule to either endpoint, never the split', () => {
    const { result, lines } = flows(KUBE_PROXY_DUMP, NODE, { ...external(3004), returningClient: true });
    assert.deepEqual(lines, ['0.5 ACCEPT forward 10.180.0.4:80 masq', '0.5 ACCEPT forward 10.180.1.4:80 masq'], explain(result));
    for (const o of result.outcomes) {
      assert.ok(o.assumptions?.some((a) => /^a returning client: .*every endpoint is taken as equally likely/.test(a)), JSON.stringify(o.assumptions));
      const svc = o.hops.filter((h) => h.chain === 'KUBE-SVC-4');
      assert.equal(svc.length, 1);
      assert.match(svc[0]!.rule ?? '', / --rcheck .* -j KUBE-SEP-4[AB]$/);
    }
  });

  test('a recent list something else also fills is not affinity: its test stays undecided, per connection', () => {
    // KUBE-MARK-MASQ runs for this very packet before KUBE-SVC-4: it would put the client in KUBE-SEP-4A.
    const dump = KUBE_PROXY_DUMP.replace('-A KUBE-MARK-MASQ -j MARK', '-A KUBE-MARK-MASQ -m recent --set --name KUBE-SEP-4A --rsource\n-A KUBE-MARK-MASQ -j MARK');
    const lineOf = (text: string) => dump.split('\n').findIndex((l) => l.includes(text)) + 1;
    const rcheckA = lineOf('--rcheck --seconds 10800 --reap --name KUBE-SEP-4A');
    const rcheckB = lineOf('--rcheck --seconds 10800 --reap --name KUBE-SEP-4B');
    const { result } = flows(dump, NODE, external(3004));
    assert.ok(result.outcomes.some((o) => new RegExp(`line ${rcheckA} may match \\(--rcheck tests the recent list`).test(o.indeterminate ?? '')), explain(result));
    // KUBE-SEP-4B's list is still only filled by KUBE-SEP-4B: that test is decided.
    assert.ok(rcheckB > 0 && result.outcomes.every((o) => !(o.indeterminate ?? '').includes(`line ${rcheckB} `)), explain(result));
  });

  test('port knocking (a list --set by packets to another port) stays undecided, new client or not', () => {
    const dump = KUBE_PROXY_DUMP.replace('-A KUBE-MARK-MASQ -j MARK', '-A KUBE-NODEPORTS -p tcp -m tcp --dport 1234 -m recent --set --name KNOCK --rsource -j RETURN\n-A KUBE-NODEPORTS -p tcp -m tcp --dport 3009 -m recent --rcheck --seconds 30 --name KNOCK --rsource -j KUBE-MARK-MASQ\n-A KUBE-MARK-MASQ -j MARK');
    for (const returningClient of [false, true]) {
      const { result } = flows(dump, NODE, { ...external(3009), returningClient });
      assert.deepEqual(result.outcomes.map((o) => o.indeterminate !== null), [true, true], explain(result));
    }
  });

  test('masquerade uses the address of the output interface when routes are known', () => {
    const node: NodeContext = { ...NODE, routes: [{ dst: '10.180.1.0/24', dev: 'eth1' }, { dst: 'default', dev: 'eth0' }] };
    const { result } = flows(KUBE_PROXY_DUMP, node, external(3001));
    assert.deepEqual(result.outcomes.map((o) => [o.outIface, o.snat?.ip]), [['eth0', '192.168.0.2'], ['eth1', '192.168.1.2']]);
  });

  test('a device without an address borrows the first global one for MASQUERADE (inet_select_addr)', () => {
    const node: NodeContext = { ...NODE, routes: [{ dst: '10.180.0.1/32', dev: 'cali1' }, { dst: 'default', dev: 'eth1' }] };
    const { result } = flows(KUBE_PROXY_DUMP, node, external(3001));
    assert.deepEqual(result.outcomes.map((o) => [o.outIface, o.snat?.ip]), [['cali1', '192.168.0.2'], ['eth1', '192.168.1.2']]);
  });

  test('a KUBE-MARK-MASQ mark is cleared by KUBE-POSTROUTING before the packet leaves', () => {
    const { result } = flows(KUBE_PROXY_DUMP, NODE, external(3001));
    const masq = result.outcomes[0]?.hops.filter((h) => h.chain === 'KUBE-POSTROUTING').map((h) => h.action);
    assert.deepEqual(masq, ['MARK --set-xmark 0x4000/0x0', 'MASQUERADE']);
    assert.equal(result.outcomes[0]?.mark, '0x0');
  });
});

describe('walk: packets from the node itself (OUTPUT path)', () => {
  test('the node calling its own NodePort is DNATed in nat OUTPUT and masqueraded', () => {
    const { result, lines } = flows(KUBE_PROXY_DUMP, NODE, { dst: '192.168.0.2', dport: 3001, proto: 'tcp', localProcess: true });
    assert.deepEqual(lines, ['0.5 ACCEPT output 10.180.0.1:80 masq', '0.5 ACCEPT output 10.180.1.1:80 masq'], explain(result));
    assert.equal(result.packet.src, '192.168.0.2', 'a local destination answers from itself');
    assert.equal(result.outcomes[0]?.hops[0]?.chain, 'OUTPUT');
  });

  const localhost: Packet = { dst: '127.0.0.1', dport: 3001, proto: 'tcp', localProcess: true };
  test('localhost NodePort with route_localnet=1 works', () => {
    const node = { ...NODE, sysctls: { routeLocalnet: true } };
    assert.deepEqual(flows(KUBE_PROXY_DUMP, node, localhost).lines, ['0.5 ACCEPT output 10.180.0.1:80 masq', '0.5 ACCEPT output 10.180.1.1:80 masq']);
  });

  test('localhost NodePort with route_localnet=0 is dropped right after nat OUTPUT', () => {
    const node = { ...NODE, sysctls: { routeLocalnet: false } };
    const { result, lines } = flows(KUBE_PROXY_DUMP, node, localhost);
    assert.deepEqual(lines, ['0.5 DROP - 10.180.0.1:80 nomasq', '0.5 DROP - 10.180.1.1:80 nomasq'], explain(result));
    assert.match(result.outcomes[0]?.reason ?? '', /route_localnet=1/);
    assert.ok(!result.outcomes[0]?.hops.some((h) => h.table === 'filter'), 'the kernel drops it before filter OUTPUT');
  });

  test('localhost NodePort with route_localnet unknown is indeterminate, not a guess', () => {
    const { lines, result } = flows(KUBE_PROXY_DUMP, NODE, localhost);
    assert.deepEqual(lines, ['0.5 ACCEPT output 10.180.0.1:80 masq ?', '0.5 ACCEPT output 10.180.1.1:80 masq ?']);
    assert.match(result.outcomes[0]?.indeterminate ?? '', /route_localnet/);
  });

  test('a local destination loops back through lo: PREROUTING and INPUT again, without nat', () => {
    const dump = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
`;
    const { result } = flows(dump, NODE, { dst: '192.168.0.2', dport: 22, proto: 'tcp', localProcess: true });
    const path = result.outcomes[0]?.hops.map((h) => `${h.table}/${h.chain} ${h.action}`);
    assert.deepEqual(path, [
      'nat/OUTPUT POLICY ACCEPT', 'filter/OUTPUT POLICY ACCEPT', 'nat/POSTROUTING POLICY ACCEPT', 'filter/INPUT ACCEPT',
    ]);
    assert.equal(result.outcomes[0]?.delivery, 'local');
  });
});

const filterDump = (forwardPolicy: string, forwardRules: string, inputRules = '') => `*filter
:INPUT ACCEPT [0:0]
:FORWARD ${forwardPolicy} [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
${inputRules}
${forwardRules}
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -p tcp -m tcp --dport 3001 -j KUBE-MARK-MASQ
-A PREROUTING -p tcp -m tcp --dport 3001 -j DNAT --to-destination 10.180.1.1:80
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
COMMIT
`;

describe('walk: filter policies and host firewalls', () => {
  test('FORWARD policy DROP is survived thanks to KUBE-FORWARD\'s mark accept', () => {
    assert.deepEqual(flows(filterDump('DROP', '-A FORWARD -j KUBE-FORWARD'), NODE, external(3001)).lines, ['1 ACCEPT forward 10.180.1.1:80 nomasq']);
  });

  test('FORWARD policy DROP without the mark accept drops, with the policy as the last hop', () => {
    const { result, lines } = flows(filterDump('DROP', ''), NODE, external(3001));
    assert.deepEqual(lines, ['1 DROP - 10.180.1.1:80 nomasq']);
    const last = result.outcomes[0]?.hops.at(-1);
    assert.deepEqual([last?.chain, last?.rule, last?.action, last?.line], ['FORWARD', null, 'POLICY DROP', 3]);
  });

  test('an INPUT drop of 30000:32767 does not block a NodePort DNATed to a pod (that is FORWARD)', () => {
    const dump = filterDump('ACCEPT', '', '-A INPUT -p tcp -m tcp --dport 3000:3999 -j DROP');
    assert.deepEqual(flows(dump, NODE, external(3001)).lines, ['1 ACCEPT forward 10.180.1.1:80 nomasq']);
    assert.deepEqual(flows(dump, NODE, external(3002)).lines, ['1 DROP - - nomasq'], 'but it blocks a port with no DNAT');
  });

  test('ip_forward=0 drops a forwarded packet and says why', () => {
    const { result } = flows(filterDump('ACCEPT', ''), { ...NODE, sysctls: { ipForward: false } }, external(3001));
    assert.equal(result.outcomes[0]?.verdict, 'DROP');
    assert.match(result.outcomes[0]?.reason ?? '', /ip_forward is 0/);
  });
});

describe('walk: targets and matches', () => {
  const one = (rules: string, packet: Packet = external(80), node: NodeContext = NODE) => flows(`*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:SUB - [0:0]
:SUB2 - [0:0]
${rules}
COMMIT
`, node, packet).result;

  test('MARK --set-xmark, --or-mark, --and-mark, --xor-mark, --set-mark compose as the kernel does', () => {
    const r = one(`-A PREROUTING -j MARK --set-xmark 0xff/0xffffffff
-A PREROUTING -j MARK --or-mark 0x4000
-A PREROUTING -j MARK --and-mark 0x40f0
-A PREROUTING -j MARK --xor-mark 0x10
-A PREROUTING -j MARK --set-mark 0x1/0xf`);
    // 0xff → 0x40ff → 0x40f0 → 0x40e0 → (0x40e0 & ~0xf) | 0x1
    assert.equal(r.outcomes[0]?.mark, '0x40e1');
  });

  test('-m mark tests value/mask; CONNMARK saves and restores', () => {
    const r = one(`-A PREROUTING -j MARK --set-xmark 0x4000/0xffffffff
-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -j MARK --set-xmark 0x0/0xffffffff
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -m mark --mark 0x4000/0x4000 -j DROP`);
    assert.equal(r.outcomes[0]?.verdict, 'DROP');
  });

  test('-g: returning from a goto chain returns from its caller too', () => {
    const r = one(`-A PREROUTING -j SUB
-A PREROUTING -j MARK --set-xmark 0x2/0xffffffff
-A SUB -g SUB2
-A SUB -j DROP
-A SUB2 -j RETURN`);
    assert.deepEqual(r.outcomes.map((o) => [o.verdict, o.mark]), [['ACCEPT', '0x2']]);
  });

  test('an unknown match forks into matches / does not match, both marked indeterminate', () => {
    const r = one('-A PREROUTING -m frobnicate --level 3 -j DROP');
    assert.deepEqual(r.outcomes.map((o) => o.verdict), ['DROP', 'ACCEPT']);
    for (const o of r.outcomes) assert.match(o.indeterminate ?? '', /-m frobnicate is not modelled/);
  });

  test('[unsupported revision] says the dump cannot show the rule', () => {
    const r = one('-A PREROUTING -m conntrack [unsupported revision] -j DROP');
    assert.match(r.outcomes[0]?.indeterminate ?? '', /unsupported revision/);
  });

  test('an unknown target may stop the packet or let it go on', () => {
    const r = one('-A PREROUTING -j VENDORTHING --foo 1');
    assert.deepEqual(r.outcomes.map((o) => o.verdict).sort(), ['ACCEPT', 'INDETERMINATE']);
    assert.ok(r.outcomes.every((o) => o.indeterminate?.includes('target VENDORTHING')));
  });

  test('an unknown ipset forks; nfacct and comment always match', () => {
    assert.equal(one('-A PREROUTING -m set --match-set KUBE-X dst,dst -j DROP').outcomes.length, 2);
    assert.equal(one('-A PREROUTING -m nfacct --nfacct-name n -m comment --comment x -j DROP').outcomes[0]?.verdict, 'DROP');
  });

  test('-i with wildcards, and an unknown input interface is indeterminate', () => {
    assert.equal(one('-A PREROUTING -i eth+ -j DROP').outcomes[0]?.verdict, 'DROP');
    assert.equal(one('-A PREROUTING ! -i eth+ -j DROP').outcomes[0]?.verdict, 'ACCEPT');
    const { inIface: _unknown, ...noIface } = external(80);
    const r = one('-A PREROUTING -i eth0 -j DROP', noIface);
    assert.equal(r.outcomes.length, 2);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /pass --in-iface/);
  });

  test('ports, multiport, iprange, addrtype, tcp flags and icmp types', () => {
    const drop = (rule: string, p: Packet = external(3001)) => one(`-A PREROUTING ${rule} -j DROP`, p).outcomes[0]?.verdict;
    assert.equal(drop('-p tcp -m tcp --dport 3000:3999'), 'DROP');
    assert.equal(drop('-p tcp -m tcp ! --dport 3000:3999'), 'ACCEPT');
    assert.equal(drop('-p tcp -m multiport --dports 22,3000:3002'), 'DROP');
    assert.equal(drop('-p tcp -m tcp --sport 40000 --tcp-flags FIN,SYN,RST,ACK SYN'), 'DROP');
    assert.equal(drop('-p tcp -m tcp --tcp-flags SYN,ACK ACK'), 'ACCEPT');
    assert.equal(drop('-m iprange --src-range 203.0.113.1-203.0.113.9'), 'DROP');
    assert.equal(drop('-m addrtype --dst-type LOCAL ! --src-type LOCAL'), 'DROP');
    assert.equal(drop('-m addrtype --dst-type LOCAL', external(80, '127.0.0.5')), 'DROP', '127.0.0.0/8 is LOCAL');
    assert.equal(drop('-m addrtype --dst-type UNICAST'), 'ACCEPT');
    const ping: Packet = { src: '203.0.113.2', dst: '192.168.0.2', proto: 'icmp', inIface: 'eth0' };
    assert.equal(drop('-p icmp -m icmp --icmp-type 8', ping), 'DROP');
    assert.equal(drop('-p icmp -m icmp --icmp-type echo-reply', ping), 'ACCEPT');
  });

  test('statistic nth is weighted 1/n and says it is a model', () => {
    const r = one('-A PREROUTING -m statistic --mode nth --every 3 --packet 0 -j DROP');
    assert.deepEqual(r.outcomes.map((o) => [o.verdict, o.probability]), [['DROP', 0.333333333333], ['ACCEPT', 0.666666666667]]);
    assert.match(r.outcomes[0]?.assumptions?.[0] ?? '', /packet counter/);
  });

  test('CT --notrack makes the packet UNTRACKED: nat is skipped', () => {
    const dump = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 3001 -j CT --notrack
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j DNAT --to-destination 10.180.1.1:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate UNTRACKED -j DROP
COMMIT
`;
    assert.deepEqual(flows(dump, NODE, external(3001)).lines, ['1 DROP - - nomasq']);
  });

  test('a rule with a bad address is a ParseError naming its line, raised when the walk gets there', () => {
    assert.throws(() => one('-A PREROUTING -s 10.0.0.300 -j DROP'), (e: unknown) => e instanceof ParseError && e.line === 9 && /not an address/.test(e.message));
  });

  test('a packet that cannot exist is a PacketError', () => {
    assert.throws(() => one('', { ...external(80), dst: 'nope' }), PacketError);
    assert.throws(() => one('', { ...external(80), src: 'fd00::1' }), /different address families/);
  });
});

describe('walk: legacy and nft rules on one node', () => {
  const nft = parseIptablesSave(`# Generated by iptables-save v1.8.9 (nf_tables) on x
${KUBE_PROXY_DUMP.split('\n').slice(1).join('\n')}`, { source: 'nft.rules' });
  const legacy = parseIptablesSave(`# Generated by iptables-save v1.8.9 on x
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 3001 -j DNAT --to-destination 10.180.9.9:80
COMMIT
`, { source: 'legacy.rules' });

  test('a legacy FORWARD policy DROP drops what nft accepted, whatever the order', () => {
    const r = walk([nft, legacy], NODE, external(3001));
    assert.deepEqual(r.outcomes.map((o) => o.verdict), ['DROP', 'DROP']);
    const last = r.outcomes[0]?.hops.at(-1);
    assert.deepEqual([last?.backend, last?.source, last?.action], ['legacy', 'legacy.rules', 'POLICY DROP']);
  });

  test('at a nat hook the first ruleset to bind wins; the other nat table is skipped', () => {
    const legacyFirst = walk([legacy, nft], NODE, external(3001));
    assert.deepEqual(legacyFirst.outcomes.map((o) => o.dnat?.ip), ['10.180.9.9']);
    assert.ok(!legacyFirst.outcomes[0]?.hops.some((h) => h.backend === 'nft' && h.table === 'nat' && h.chain === 'PREROUTING'));
    const nftFirst = walk([nft, legacy], NODE, external(3001));
    assert.deepEqual(nftFirst.outcomes.map((o) => o.dnat?.ip), ['10.180.0.1', '10.180.1.1']);
    // The kernel's order is registration order, which a dump cannot show: the walk says so.
    assert.match(legacyFirst.outcomes[0]?.assumptions?.join() ?? '', /both hold nat PREROUTING rules.*assumed iptables nat PREROUTING \(legacy\.rules\) runs first/);
  });
});

describe('walk: IPv6', () => {
  const dump = `# Generated by ip6tables-save v1.8.9 (nf_tables) on x
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SEP-A - [0:0]
-A PREROUTING -d 2001:db8::2/128 -p tcp -m tcp --dport 3001 -j KUBE-SEP-A
-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination [fd00:10:180::1]:80
-A POSTROUTING -d fd00:10:180::/48 -j MASQUERADE
COMMIT
`;
  test('a v6 NodePort is DNATed to [addr]:port and masqueraded; v4 dumps are ignored for it', () => {
    const v6 = parseIptablesSave(dump);
    const v4 = parseIptablesSave(KUBE_PROXY_DUMP);
    const r = walk([v4, v6], { localIps: ['2001:db8::2'] }, { src: '2001:db8::7', sport: 40000, dst: '2001:db8::2', dport: 3001, proto: 'tcp', inIface: 'eth0' });
    assert.deepEqual(r.outcomes.map(summarize), ['1 ACCEPT forward fd00:10:180::1:80 masq']);
  });
});

test('the reported packet is the one the client sent, even when MASQUERADE rewrote the source', () => {
  const rs = parseIptablesSave(['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -p tcp --dport 30080 -j DNAT --to-destination 10.244.1.5:8080', '-A POSTROUTING -j MASQUERADE', 'COMMIT', ''].join('\n'), { source: 'masq' });
  const r = walk([rs], { localIps: ['192.168.0.2/24'], interfaceOf: { '192.168.0.2': 'eth0' }, routes: [{ dst: 'default', dev: 'eth0' }], sysctls: { ipForward: true } },
    { src: '203.0.113.7', sport: 40000, dst: '192.168.0.2', dport: 30080, proto: 'tcp', inIface: 'eth0' });
  assert.equal(r.outcomes[0]?.snat?.type, 'MASQUERADE');
  assert.equal(r.packet.src, '203.0.113.7');
});
