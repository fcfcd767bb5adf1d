import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/engine/errors.js';
import { parseIpvsadmSave, type IpvsService, type IpvsState } from '../../src/engine/ipvs/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/ipvs/${name}`, import.meta.url), 'utf8');
const KUBE = parseIpvsadmSave(fixture('ipvsadm-save-kube.txt'), { source: 'kube' });
const FORMS = parseIpvsadmSave(fixture('ipvsadm-save-forms.txt'), { source: 'forms' });

const svc = (state: IpvsState, proto: string | null, address: string | null, port: number | null): IpvsService => {
  const s = state.services.find((x) => x.proto === proto && x.address === address && x.port === port);
  assert.ok(s, `no service ${proto} ${address}:${port}`);
  return s;
};
const reals = (s: IpvsService) => s.reals.map((r) => `${r.address}:${r.port} ${r.forward} ${r.weight}`);

describe('ipvsadm-save -n: a kube-proxy IPVS-mode node', () => {
  test('one NodePort virtual service per node address, loopback excluded', () => {
    const nodePorts = KUBE.services.filter((s) => s.port === 30080).map((s) => s.address).sort();
    assert.deepEqual(nodePorts, ['10.244.0.1', '172.17.0.1', '192.168.49.2']);
    assert.equal(KUBE.services.length, 23);
    assert.equal(KUBE.source, 'kube');
  });

  test('real servers: endpoints, masquerading, weight 1; a terminating endpoint has weight 0', () => {
    const s = svc(KUBE, 'tcp', '192.168.49.2', 30080);
    assert.deepEqual(reals(s), ['10.244.0.5:8080 masq 1', '10.244.1.2:8080 masq 1', '10.244.1.3:8080 masq 0']);
    assert.equal(s.scheduler, 'rr');
    assert.equal(s.persistent, null);
    assert.equal(s.fwmark, null);
    assert.equal(s.family, 4);
    assert.equal(s.line, 40);
    assert.equal(s.text, '-A -t 192.168.49.2:30080 -s rr');
    assert.equal(s.reals[2]?.line, 43);
    assert.equal(s.reals[2]?.text, '-a -t 192.168.49.2:30080 -r 10.244.1.3:8080 -m -w 0');
  });

  test('externalTrafficPolicy Local: NodePort services hold the local endpoint, the ClusterIP all', () => {
    for (const a of ['10.244.0.1', '172.17.0.1', '192.168.49.2']) assert.deepEqual(reals(svc(KUBE, 'tcp', a, 31380)), ['10.244.0.6:8080 masq 1']);
    assert.deepEqual(reals(svc(KUBE, 'tcp', '10.96.200.9', 80)), ['10.244.0.6:8080 masq 1', '10.244.1.7:8080 masq 1']);
  });

  test('sessionAffinity ClientIP is -p 10800; a Service without endpoints has no real servers; UDP', () => {
    assert.equal(svc(KUBE, 'tcp', '192.168.49.2', 30443).persistent, 10800);
    assert.equal(svc(KUBE, 'tcp', '192.168.49.2', 30443).persistenceMask, 32);
    assert.deepEqual(svc(KUBE, 'tcp', '192.168.49.2', 30999).reals, []);
    assert.deepEqual(reals(svc(KUBE, 'udp', '192.168.49.2', 30053)), ['10.244.0.2:53 masq 1', '10.244.0.3:53 masq 1']);
    assert.notEqual(svc(KUBE, 'udp', '10.96.0.10', 53), svc(KUBE, 'tcp', '10.96.0.10', 53));
  });

  test('empty input is no services', () => {
    assert.deepEqual(parseIpvsadmSave('', { source: 'e' }), { source: 'e', services: [] });
    assert.deepEqual(parseIpvsadmSave('\n', { source: 'e' }).services, []);
  });
});

describe('ipvsadm-save -n: the other forms', () => {
  test('IPv6 virtual and real addresses in brackets', () => {
    const s = svc(FORMS, 'tcp', 'fd00:10:96::1', 443);
    assert.equal(s.family, 6);
    assert.deepEqual(reals(s), ['fd00:10:244:1::2:6443 masq 1']);
  });

  test('SCTP services', () => assert.deepEqual(reals(svc(FORMS, 'sctp', '192.168.49.2', 30999)), ['10.244.1.4:9999 masq 1']));

  test('fwmark services, IPv4 and -6; direct routing', () => {
    const f1 = FORMS.services.find((s) => s.fwmark === 1);
    assert.ok(f1);
    assert.equal(f1.proto, null);
    assert.equal(f1.address, null);
    assert.equal(f1.port, null);
    assert.equal(f1.family, 4);
    assert.equal(f1.scheduler, 'wrr');
    assert.deepEqual(reals(f1), ['10.244.0.5:0 route 3', '10.244.1.2:0 route 1']);
    const f2 = FORMS.services.find((s) => s.fwmark === 2);
    assert.equal(f2?.family, 6);
    assert.deepEqual(f2 && reals(f2), ['fd00:10:244::5:0 route 1']);
  });

  test('-p with -M, --pe, -b flags; tunnelling with --tun-* options', () => {
    const s = svc(FORMS, 'tcp', '10.0.0.10', 80);
    assert.equal(s.scheduler, 'sh');
    assert.equal(s.persistent, 360);
    assert.equal(s.persistenceMask, 24);
    assert.equal(s.pe, 'sip');
    assert.deepEqual(s.schedFlags, ['sh-fallback', 'sh-port']);
    assert.deepEqual(s.reals.map((r) => [r.forward, r.weight, r.tunnel]), [
      ['tunnel', 2, { type: 'gue', port: 6080, csum: 'tun-csum' }],
      ['tunnel', 1, { type: 'ipip', port: null, csum: null }],
      ['route', 1, null],
    ]);
  });

  test('bare ops, -x/-y thresholds kept', () => {
    const s = svc(FORMS, 'udp', '10.0.0.11', 53);
    assert.equal(s.onePacket, true);
    assert.equal(s.scheduler, 'wlc');
    assert.deepEqual([s.reals[0]?.upperThreshold, s.reals[0]?.lowerThreshold], [100, 50]);
  });

  test('long options, --opt=value, -p without a timeout (300 s)', () => {
    const s = svc(FORMS, 'tcp', '10.0.0.12', 8080);
    assert.equal(s.persistent, 300);
    assert.deepEqual(reals(s), ['10.1.0.6:8080 masq 5', '10.1.0.7:8080 masq 0']);
  });

  test('IPv6 persistence netmask is a prefix length; port-0 services', () => {
    assert.equal(svc(FORMS, 'tcp', '2001:db8::10', 80).persistenceMask, 64);
    assert.equal(svc(FORMS, 'tcp', '10.0.0.13', 0).persistent, 300);
  });

  test('defaults when options are left out: wlc, direct routing, weight 1, real port = service port', () => {
    const s = parseIpvsadmSave('-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2\n-A -t 10.0.0.3:80 -s rr\n-a -t 10.0.0.3:80 -r 10.0.0.4:81 -g\n', { source: 'd' });
    assert.equal(s.services[0]?.scheduler, 'wlc');
    assert.deepEqual(s.services.map(reals), [['10.0.0.2:80 route 1'], ['10.0.0.4:80 route 1']]);
  });
});

describe('ipvsadm-save parse errors name the problem and the line', () => {
  const bad = (text: string, line: number, problem: RegExp) => {
    assert.throws(() => parseIpvsadmSave(text, { source: 'ipvs.txt' }), (e: unknown) => {
      assert.ok(e instanceof ParseError);
      assert.equal(e.source, 'ipvs.txt');
      assert.equal(e.line, line);
      assert.match(e.problem, problem);
      assert.equal(e.text, text.split('\n')[line - 1]);
      return true;
    });
  };
  const A = '-A -t 10.0.0.1:80 -s rr\n';

  test('commands and services', () => {
    bad('-C\n', 1, /-C: ipvsadm-save prints only -A/);
    bad('-t 10.0.0.1:80 -s rr\n', 1, /no command/);
    bad('-A -s rr\n', 1, /no virtual service/);
    bad('-A -a -t 10.0.0.1:80\n', 1, /is given twice|one command/);
    bad('-A -t 10.0.0.1:80 -u 10.0.0.1:80 -s rr\n', 1, /one virtual service/);
    bad(`${A}${A}`, 2, /TCP 10\.0\.0\.1:80 is already defined on line 1/);
    bad('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n', 1, /real server for virtual service TCP 10\.0\.0\.1:80, which no earlier -A line defines/);
    bad('-A -f 0 -s rr\n', 1, /a fwmark is a number from 1/);
    bad('-A -t 10.0.0.1:80 -6 -s rr\n', 1, /-6 applies to fwmark services/);
  });

  test('addresses and ports', () => {
    bad('-A -t web.example:80 -s rr\n', 1, /web\.example is not a numeric IP address \(the dump should come from ipvsadm-save -n\)/);
    bad('-A -t 10.0.0.1:http -s rr\n', 1, /not a port number/);
    bad('-A -t 10.0.0.1:70000 -s rr\n', 1, /not a port number/);
    bad('-A -t fd00::1:80 -s rr\n', 1, /must be bracketed/);
    bad('-A -t [10.0.0.1]:80 -s rr\n', 1, /only IPv6 addresses are bracketed/);
    bad(`${A}-a -t 10.0.0.1:80 -r [fd00::2]:80 -m -w 1\n`, 2, /another address family/);
  });

  test('options', () => {
    bad('-A -t 10.0.0.1:80 -s rr --frobnicate\n', 1, /unknown option --frobnicate/);
    bad('-A -t 10.0.0.1:80 -s rr stray\n', 1, /unexpected word "stray"/);
    bad('-A -t 10.0.0.1:80 -s\n', 1, /-s needs a value/);
    bad('-A -t 10.0.0.1:80 -s rr -w 1\n', 1, /--weight belongs on a real server line/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1 -s rr\n`, 2, /--scheduler belongs on a virtual service line/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w x\n`, 2, /-w x: not a non-negative integer/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -g\n`, 2, /one forwarding method/);
    bad(`${A}-a -t 10.0.0.1:80 -m -w 1\n`, 2, /needs -r ADDRESS/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m --tun-type ipip\n`, 2, /tunnel options \(--tun-\*\) need -i/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-type gue\n`, 2, /--tun-type gue needs --tun-port/);
    bad(`${A}-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n`, 3, /already in this virtual service \(line 2\)/);
    bad('-A -t 10.0.0.1:80 -s rr -M 255.0.255.0 -p 10\n', 1, /not a contiguous IPv4 netmask/);
    bad('-A -t 10.0.0.1:80 -s rr -M 255.255.255.0\n', 1, /without -p/);
    bad('-A -t 10.0.0.1:80 -s sh -b sh-wobble\n', 1, /unknown scheduler flag sh-wobble/);
  });
});
