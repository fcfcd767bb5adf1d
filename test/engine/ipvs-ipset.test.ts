import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/engine/errors.js';
import { parseIpsetList, type IpSet } from '../../src/engine/ipvs/index.js';
import type { Protocol } from '../../src/engine/packet/contract.js';
import { branch, type Probe } from './fixtures/ipvs/packet.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/ipvs/${name}`, import.meta.url), 'utf8');
const LIST = parseIpsetList(fixture('ipset-list.txt'), { source: 'ipset-list.txt' });
const SAVE = parseIpsetList(fixture('ipset-save.txt'), { source: 'ipset-save.txt' });

const set = (sets: Map<string, IpSet>, name: string): IpSet => {
  const s = sets.get(name);
  assert.ok(s, `no set ${name}`);
  return s;
};
type Flags = ('src' | 'dst')[];
const flags = (text: string) => text.split(',') as Flags;
const has = (name: string, f: string, p: Probe, sets = LIST) => set(sets, name).has(branch(p), flags(f));
const tcp = (src: string, dst: string, sport: number, dport: number): Probe => ({ proto: 'tcp', src, dst, sport, dport });
const udp = (src: string, dst: string, sport: number, dport: number): Probe => ({ proto: 'udp', src, dst, sport, dport });
const sctp = (src: string, dst: string, sport: number, dport: number): Probe => ({ proto: 'sctp', src, dst, sport, dport });

describe('ipset list / ipset save parsing (recorded with ipset 7.17)', () => {
  test('every set of the listing, with its type and family; list and save agree', () => {
    assert.equal(LIST.size, 36);
    assert.deepEqual([...LIST.keys()], [...SAVE.keys()]);
    for (const [name, s] of LIST) {
      const t = set(SAVE, name);
      assert.equal(t.type, s.type, name);
      assert.equal(t.family, s.family, name);
      assert.deepEqual(t.members?.map((m) => m.key).sort(), s.members?.map((m) => m.key).sort(), name);
    }
    assert.equal(set(LIST, 'KUBE-NODE-PORT-TCP').type, 'bitmap:port');
    assert.equal(set(LIST, 'KUBE-NODE-PORT-TCP').family, null);
    assert.equal(set(LIST, 'KUBE-LOOP-BACK').type, 'hash:ip,port,ip');
    assert.equal(set(LIST, 'KUBE-6-CLUSTER-IP').family, 6);
    assert.equal(set(LIST, 'KUBE-CLUSTER-IP').family, 4);
    assert.deepEqual(set(LIST, 'KUBE-NODE-PORT-TCP').members?.map((m) => m.text), ['30080', '30443', '31380']);
    assert.deepEqual(set(LIST, 'KUBE-NODE-PORT-LOCAL-UDP').members, []);
  });

  test('element extensions: timeout, comment, counters, skbinfo, nomatch', () => {
    const t = set(LIST, 'T-TIMEOUT').members ?? [];
    assert.deepEqual(t.map((m) => [m.key, m.timeout]).sort(), [['10.96.0.1/32,tcp:443', 299], ['10.96.0.2/32,udp:53', 599]]);
    const c = set(LIST, 'T-COMMENT').members ?? [];
    assert.deepEqual(c.map((m) => m.comment ?? '-').sort(), ['-', 'plain', 'two words, comma']);
    assert.deepEqual(set(LIST, 'T-NET').members?.filter((m) => m.nomatch).map((m) => m.text), ['172.16.0.0/12 nomatch']);
    assert.equal(set(LIST, 'T-COUNTERS').members?.[0]?.text, '10.1.1.1 packets 5 bytes 300');
    assert.equal(set(SAVE, 'T-SKB').members?.[0]?.text, '10.1.1.2 skbmark 0x1');
    assert.deepEqual(set(LIST, 'T-BITMAP-SMALL').members?.map((m) => m.timeout), [59, 0]);
  });

  test('ipset list -t prints no members: membership is unknown, not empty', () => {
    const terse = parseIpsetList(fixture('ipset-list-terse.txt'), { source: 'terse' });
    assert.equal(terse.size, 36);
    const r = set(terse, 'KUBE-NODE-PORT-TCP').has(branch(tcp('203.0.113.2', '192.168.49.2', 40000, 30080)), ['dst']);
    assert.deepEqual(r, { unknown: 'the listing shows no members of ipset KUBE-NODE-PORT-TCP (was it made with ipset list -t?)' });
  });

  test('empty input is no sets', () => {
    assert.equal(parseIpsetList('', { source: 'x' }).size, 0);
    assert.equal(parseIpsetList('\n\n', { source: 'x' }).size, 0);
  });
});

/**
 * Every row of kernel-set-match.tsv: what the kernel answered for a real packet through a real
 * `-m set` rule, against the same sets as the listing. The model must agree row by row.
 */
describe('membership agrees with the kernel (kernel-set-match.tsv)', () => {
  const rows = fixture('kernel-set-match.tsv').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
  assert.ok(rows.length > 90);
  for (const sets of [LIST, SAVE]) {
    const label = sets === LIST ? 'ipset list' : 'ipset save';
    for (const [name, f, neg, rn, proto, src, dst, a, b, kernel] of rows) {
      const desc = `${label}: ${neg === '!' ? '! ' : ''}--match-set ${name} ${f}${rn === 'rn' ? ' --return-nomatch' : ''} ${proto} ${src}:${a} → ${dst}:${b} = ${kernel}`;
      test(desc, () => {
        const s = set(sets, name as string);
        const probe: Probe = { proto: proto as Protocol, src: src as string, dst: dst as string, sport: Number(a), dport: Number(b) };
        if (kernel === 'refused') {
          // iptables refuses an inet6 set in an IPv4 rule; the model never matches it.
          assert.equal(s.has(branch(probe), flags(f as string)), false);
          return;
        }
        let r = rn === 'rn' ? s.hasReturningNomatch(branch(probe), flags(f as string)) : s.has(branch(probe), flags(f as string));
        if (s.type === 'hash:net,iface') {
          assert.deepEqual(r, { unknown: `ipset ${name} is of type hash:net,iface, which np-doctor does not model` });
          return;
        }
        assert.equal(typeof r, 'boolean', JSON.stringify(r));
        if (neg === '!') r = !r;
        assert.equal(r, kernel === 'match');
      });
    }
  }
});

describe('membership by set type and flags', () => {
  test('bitmap:port: a bare port, TCP and UDP alike, never SCTP or ICMP; src/dst pick the port', () => {
    assert.equal(has('KUBE-NODE-PORT-TCP', 'dst', tcp('1.1.1.1', '192.168.49.2', 40000, 30080)), true);
    assert.equal(has('KUBE-NODE-PORT-TCP', 'dst', udp('1.1.1.1', '192.168.49.2', 40000, 30080)), true);
    assert.equal(has('KUBE-NODE-PORT-TCP', 'dst', sctp('1.1.1.1', '192.168.49.2', 40000, 30080)), false);
    assert.equal(has('KUBE-NODE-PORT-TCP', 'dst', { proto: 'icmp', src: '1.1.1.1', dst: '192.168.49.2', sport: 117, dport: 128 }), false);
    assert.equal(has('KUBE-NODE-PORT-TCP', 'src', tcp('1.1.1.1', '192.168.49.2', 30080, 1)), true);
    assert.equal(has('KUBE-NODE-PORT-TCP', 'src', tcp('1.1.1.1', '192.168.49.2', 1, 30080)), false);
    // The family of the packet does not matter to bitmap:port (no family).
    assert.equal(has('KUBE-6-NODE-PORT-TCP', 'dst', tcp('2001:db8::1', 'fd00::2', 40000, 30080)), true);
    assert.equal(has('KUBE-6-NODE-PORT-TCP', 'dst', tcp('192.0.2.1', '192.168.49.2', 40000, 30080)), true);
  });

  test('bitmap:port honours its range', () => {
    assert.equal(has('T-BITMAP-SMALL', 'dst', tcp('1.1.1.1', '2.2.2.2', 1, 30081)), true);
    assert.equal(has('T-BITMAP-SMALL', 'dst', tcp('1.1.1.1', '2.2.2.2', 1, 29999)), false);
  });

  test('hash:ip,port: the protocol is part of the element', () => {
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst', tcp('10.244.0.9', '10.96.0.1', 1, 443)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst', udp('10.244.0.9', '10.96.0.1', 1, 443)), false);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst', udp('10.244.0.9', '10.96.0.10', 1, 53)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst', sctp('10.244.0.9', '10.96.44.3', 1, 9999)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst', tcp('10.244.0.9', '10.96.44.3', 1, 9999)), false);
  });

  test('hash:ip,port for SCTP NodePorts (KUBE-NODE-PORT-SCTP-HASH): node address and port', () => {
    assert.equal(has('KUBE-NODE-PORT-SCTP-HASH', 'dst,dst', sctp('1.1.1.1', '192.168.49.2', 1, 30999)), true);
    assert.equal(has('KUBE-NODE-PORT-SCTP-HASH', 'dst,dst', sctp('1.1.1.1', '10.0.2.15', 1, 30999)), true);
    assert.equal(has('KUBE-NODE-PORT-SCTP-HASH', 'dst,dst', sctp('1.1.1.1', '192.168.49.3', 1, 30999)), false);
    assert.equal(has('KUBE-NODE-PORT-SCTP-HASH', 'dst,dst', tcp('1.1.1.1', '192.168.49.2', 1, 30999)), false);
  });

  test('flags pick each dimension: src,dst / dst,src / src,src', () => {
    assert.equal(has('KUBE-CLUSTER-IP', 'src,dst', tcp('10.96.0.1', '10.244.0.9', 1, 443)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,src', tcp('10.244.0.9', '10.96.0.1', 443, 1)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'src,src', tcp('10.96.0.1', '10.244.0.9', 443, 1)), true);
    assert.equal(has('KUBE-CLUSTER-IP', 'src,src', tcp('10.96.0.1', '10.244.0.9', 1, 443)), false);
  });

  test('fewer flags than dimensions never match; more are ignored', () => {
    assert.equal(has('KUBE-CLUSTER-IP', 'dst', tcp('10.244.0.9', '10.96.0.1', 1, 443)), false);
    assert.equal(has('KUBE-CLUSTER-IP', 'dst,dst,dst', tcp('10.244.0.9', '10.96.0.1', 1, 443)), true);
    assert.equal(has('KUBE-LOOP-BACK', 'dst,dst', tcp('10.244.1.2', '10.244.1.2', 1, 8080)), false);
  });

  test('hash:ip,port,ip: hairpin (KUBE-LOOP-BACK dst,dst,src)', () => {
    assert.equal(has('KUBE-LOOP-BACK', 'dst,dst,src', tcp('10.244.1.2', '10.244.1.2', 1, 8080)), true);
    assert.equal(has('KUBE-LOOP-BACK', 'dst,dst,src', tcp('10.244.1.3', '10.244.1.2', 1, 8080)), false);
    assert.equal(has('KUBE-LOOP-BACK', 'dst,dst,src', tcp('10.244.0.5', '10.244.0.5', 1, 53)), true);
    assert.equal(has('KUBE-6-LOOP-BACK', 'dst,dst,src', tcp('fd00:10:244:1::2', 'fd00:10:244:1::2', 1, 8080)), true);
  });

  test('hash:ip,port,net: the most specific prefix decides, nomatch included', () => {
    assert.equal(has('KUBE-LOAD-BALANCER-SOURCE-CIDR', 'dst,dst,src', tcp('10.200.3.4', '198.51.100.7', 1, 443)), true);
    assert.equal(has('KUBE-LOAD-BALANCER-SOURCE-CIDR', 'dst,dst,src', tcp('192.0.2.129', '198.51.100.7', 1, 443)), true);
    assert.equal(has('KUBE-LOAD-BALANCER-SOURCE-CIDR', 'dst,dst,src', tcp('192.0.2.127', '198.51.100.7', 1, 443)), false);
    assert.equal(has('T-IPPORTNET-NOMATCH', 'dst,dst,src', tcp('10.1.9.9', '10.0.0.1', 1, 80)), false);
    assert.equal(has('T-IPPORTNET-NOMATCH', 'dst,dst,src', tcp('10.9.9.9', '10.0.0.1', 1, 80)), true);
    assert.equal(has('KUBE-6-LOAD-BALANCER-SOURCE-CID', 'dst,dst,src', tcp('2001:db8:1:ff::1', '2001:db8::7', 1, 443)), true);
    assert.equal(has('KUBE-6-LOAD-BALANCER-SOURCE-CID', 'dst,dst,src', tcp('2001:db8:2::1', '2001:db8::7', 1, 443)), false);
  });

  test('hash:net with nomatch and --return-nomatch', () => {
    const s = set(LIST, 'T-NET');
    const p = (dst: string) => branch(tcp('192.168.49.2', dst, 1, 1));
    assert.equal(s.has(p('172.16.5.9'), ['dst']), true);
    assert.equal(s.has(p('172.16.6.9'), ['dst']), false);
    assert.equal(s.hasReturningNomatch(p('172.16.6.9'), ['dst']), true);
    assert.equal(s.hasReturningNomatch(p('172.16.5.9'), ['dst']), false);
    assert.equal(s.hasReturningNomatch(p('11.0.0.1'), ['dst']), false);
    // Types without nomatch ignore --return-nomatch.
    assert.equal(set(LIST, 'KUBE-IPVS-IPS').hasReturningNomatch(p('10.96.0.1'), ['dst']), true);
  });

  test('hash:ip: any protocol, by address; the other family never matches', () => {
    assert.equal(has('KUBE-IPVS-IPS', 'dst', tcp('1.1.1.1', '10.96.0.10', 1, 22)), true);
    assert.equal(has('KUBE-IPVS-IPS', 'dst', { proto: 'icmp', src: '1.1.1.1', dst: '10.96.0.10' }), true);
    assert.equal(has('KUBE-IPVS-IPS', 'dst', tcp('1.1.1.1', '10.96.0.11', 1, 22)), false);
    assert.equal(has('KUBE-6-IPVS-IPS', 'dst', tcp('2001:db8::1', 'fd00:10:96::1', 1, 22)), true);
    assert.equal(has('KUBE-6-IPVS-IPS', 'dst', tcp('1.1.1.1', '10.96.0.1', 1, 22)), false);
    assert.equal(has('KUBE-IPVS-IPS', 'dst', tcp('2001:db8::1', 'fd00:10:96::1', 1, 22)), false);
  });

  test('hash:ip netmask 24 masks the packet address', () => {
    assert.equal(has('T-HASHIP-NETMASK', 'dst', tcp('1.1.1.1', '10.9.9.1', 1, 1)), true);
    assert.equal(has('T-HASHIP-NETMASK', 'dst', tcp('1.1.1.1', '10.9.10.1', 1, 1)), false);
  });

  test('ICMP elements hold type/code (names and numbers); IPv6 ones are ipv6-icmp', () => {
    const icmp = (dst: string, type: number, code: number): Probe => ({ proto: 'icmp', src: '1.1.1.1', dst, sport: type, dport: code });
    assert.equal(has('T-IPPORT-ANY', 'dst,dst', icmp('10.0.0.1', 8, 0)), true);
    assert.equal(has('T-IPPORT-ANY', 'dst,dst', icmp('10.0.0.1', 8, 1)), false);
    assert.equal(has('T-IPPORT-ANY', 'dst,dst', icmp('10.0.0.1', 0, 0)), false);
    const v6 = parseIpsetList('create P6 hash:ip,port family inet6\nadd P6 fd00::1,ipv6-icmp:echo-request\nadd P6 fd00::1,ipv6-icmp:1/4\n', { source: 's' });
    const p6 = (type: number, code: number) => set(v6, 'P6').has(branch({ proto: 'icmp', src: 'fd00::9', dst: 'fd00::1', sport: type, dport: code }), ['dst', 'dst']);
    assert.equal(p6(128, 0), true);
    assert.equal(p6(1, 4), true);
    assert.equal(p6(129, 0), false);
  });

  test('elements with a timeout count as present', () => {
    assert.equal(has('T-TIMEOUT', 'dst,dst', tcp('1.1.1.1', '10.96.0.1', 1, 443)), true);
    assert.equal(has('T-TIMEOUT', 'dst,dst', udp('1.1.1.1', '10.96.0.2', 1, 53)), true);
  });

  test('list:set tests its members in order', () => {
    assert.equal(has('T-LIST', 'dst', tcp('1.1.1.1', '10.6.6.6', 1, 1)), true);
    assert.equal(has('T-LIST', 'dst', tcp('1.1.1.1', '172.16.6.9', 1, 1)), false);
    const dangling = parseIpsetList('create L list:set size 8\nadd L GONE\n', { source: 's' });
    assert.deepEqual(set(dangling, 'L').has(branch(tcp('1.1.1.1', '10.6.6.6', 1, 1)), ['dst']), { unknown: 'ipset GONE (a member of list:set L) is not in the listing' });
  });

  test('unsupported types are unknown, naming the type', () => {
    assert.deepEqual(has('T-NETIFACE', 'dst,dst', tcp('1.1.1.1', '10.6.6.6', 1, 1)), { unknown: 'ipset T-NETIFACE is of type hash:net,iface, which np-doctor does not model' });
    const mac = parseIpsetList('Name: M\nType: hash:ip,mac\nRevision: 0\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 1\nReferences: 0\nNumber of entries: 1\nMembers:\n10.0.0.1,00:11:22:33:44:55\n', { source: 's' });
    assert.deepEqual(set(mac, 'M').has(branch(tcp('1.1.1.1', '10.0.0.1', 1, 1)), ['dst', 'src']), { unknown: 'ipset M is of type hash:ip,mac, which np-doctor does not model' });
  });

  test('older ipset 6 listings (no "Number of entries", no bucketsize) parse', () => {
    const old = parseIpsetList('Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 2\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 16592\nReferences: 2\nMembers:\n192.168.1.2,tcp:8080\n192.168.1.1,udp:53\n', { source: 's' });
    assert.equal(set(old, 'KUBE-CLUSTER-IP').has(branch(udp('1.1.1.1', '192.168.1.1', 1, 53)), ['dst', 'dst']), true);
  });
});

describe('ipset parse errors name the problem and the line', () => {
  const bad = (text: string, line: number, problem: RegExp) => {
    assert.throws(() => parseIpsetList(text, { source: 'ipset.txt' }), (e: unknown) => {
      assert.ok(e instanceof ParseError);
      assert.equal(e.source, 'ipset.txt');
      assert.equal(e.line, line);
      assert.match(e.problem, problem);
      return true;
    });
  };
  const block = (type: string, header: string, ...members: string[]) =>
    `Name: S\nType: ${type}\nRevision: 1\nHeader: ${header}\nSize in memory: 1\nReferences: 0\nMembers:\n${members.join('\n')}\n`;

  test('structure', () => {
    bad('Type: hash:ip\n', 1, /expected "Name: SET"/);
    bad('Name: S\nType: hash:ip\nBogus: 1\n', 3, /unknown field "Bogus:"/);
    bad('Name: S\nRevision: 1\n', 1, /ipset S has no "Type:" line/);
    bad('Name: S\nType: hash:ip\nRevision: x\n', 3, /Revision: x is not a number/);
    bad('Name: S\nType: hash:ip\n\nName: S\nType: hash:ip\n', 4, /ipset S is listed twice/);
    bad('Name: S\nType: hash:ip\nstray\n', 3, /unexpected line in the header of ipset S/);
    bad(`Name: ${'X'.repeat(32)}\n`, 1, /1 to 31 characters/);
  });

  test('elements', () => {
    bad(block('hash:ip', 'family inet hashsize 1024 maxelem 65536', '10.0.0.300'), 8, /10\.0\.0\.300 is not an IP address/);
    bad(block('hash:ip,port', 'family inet hashsize 1024 maxelem 65536', '10.0.0.1'), 8, /has 1 part\(s\); this type has 2/);
    bad(block('hash:ip,port', 'family inet hashsize 1024 maxelem 65536', '10.0.0.1,tcp:80-82'), 8, /ranges are listed one element per port/);
    bad(block('hash:ip,port', 'family inet hashsize 1024 maxelem 65536', '10.0.0.1,icmp:bogus'), 8, /not an ICMP type name/);
    bad(block('hash:ip', 'family inet6 hashsize 1024 maxelem 65536', '10.0.0.1'), 8, /not an IPv6 address/);
    bad(block('hash:ip', 'family inet hashsize 1024 maxelem 65536', '10.0.0.1 flurb 3'), 8, /unexpected "flurb 3" after the element/);
    bad(block('hash:ip', 'family inet hashsize 1024 maxelem 65536', '10.0.0.1 nomatch'), 8, /nomatch is only for types with a net dimension/);
    bad(block('bitmap:port', 'range 0-65535', '70000'), 8, /70000 is not a port number/);
    bad(block('bitmap:port', 'family inet', '80'), 4, /needs "range FROM-TO"/);
    bad(block('hash:ip', 'family ipx', '10.0.0.1'), 4, /family ipx: inet or inet6/);
  });

  test('ipset save form', () => {
    bad('create S hash:ip\nadd T 10.0.0.1\n', 2, /add to ipset T, which no earlier create line makes/);
    bad('create S hash:ip\ncreate S hash:ip\n', 2, /created twice/);
    bad('create S hash:ip\nflush S\n', 2, /expected "create NAME TYPE …"/);
    bad('create S hash:ip,port family inet\nadd S 10.0.0.1,udp:x\n', 2, /udp:x: not PROTO:PORT/);
  });
});
