import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ipvsSchedule, parseIpvsadmSave, type IpvsState } from '../../src/engine/ipvs/index.js';
import { firstConnectionNote, returningClientNote } from '../../src/engine/packet/affinity.js';
import { branch, type Probe } from './fixtures/ipvs/packet.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/ipvs/${name}`, import.meta.url), 'utf8');
const KUBE = parseIpvsadmSave(fixture('ipvsadm-save-kube.txt'), { source: 'kube' });
const FORMS = parseIpvsadmSave(fixture('ipvsadm-save-forms.txt'), { source: 'forms' });

const to = (dst: string, dport: number, proto: Probe['proto'] = 'tcp', mark = 0): Probe => ({ proto, src: '203.0.113.2', dst, sport: 40000, dport, mark });

/** `10.244.0.5:8080 0.5` per choice. */
function shares(state: IpvsState, p: Probe): string[] | null {
  const hit = ipvsSchedule(state, branch(p));
  return hit && hit.choices.map((c) => `${c.real.address}:${c.real.port} ${Math.round(c.probability * 1000) / 1000}`);
}

const one = (text: string) => parseIpvsadmSave(text, { source: 't' });

describe('ipvsSchedule: which virtual service', () => {
  test('protocol, node address and port pick the NodePort service of that address', () => {
    const hit = ipvsSchedule(KUBE, branch(to('172.17.0.1', 30080)));
    assert.equal(hit?.service.line, 30);
    assert.equal(hit?.service.text, '-A -t 172.17.0.1:30080 -s rr');
    assert.equal(ipvsSchedule(KUBE, branch(to('192.168.49.2', 30080)))?.service.line, 40);
  });

  test('no service: another port, another protocol, another address, ICMP', () => {
    assert.equal(ipvsSchedule(KUBE, branch(to('192.168.49.2', 30081))), null);
    assert.equal(ipvsSchedule(KUBE, branch(to('192.168.49.2', 30080, 'udp'))), null);
    assert.equal(ipvsSchedule(KUBE, branch(to('192.168.49.3', 30080))), null);
    assert.equal(ipvsSchedule(KUBE, branch({ proto: 'icmp', src: '203.0.113.2', dst: '10.96.0.1' })), null);
    assert.equal(ipvsSchedule({ source: 'e', services: [] }, branch(to('192.168.49.2', 30080))), null);
  });

  test('UDP and SCTP services', () => {
    assert.deepEqual(shares(KUBE, to('192.168.49.2', 30053, 'udp')), ['10.244.0.2:53 0.5', '10.244.0.3:53 0.5']);
    assert.deepEqual(shares(FORMS, to('192.168.49.2', 30999, 'sctp')), ['10.244.1.4:9999 1']);
  });

  test('IPv6 virtual services', () => {
    assert.deepEqual(shares(FORMS, { proto: 'tcp', src: '2001:db8::9', dst: 'fd00:10:96::1', sport: 1, dport: 443 }), ['fd00:10:244:1::2:6443 1']);
    assert.deepEqual(shares(FORMS, { proto: 'tcp', src: '2001:db8::9', dst: 'fd00:10:96:0::1', sport: 1, dport: 443 }), ['fd00:10:244:1::2:6443 1']);
  });

  test('fwmark services by the skb mark and family, before address services', () => {
    assert.deepEqual(shares(FORMS, to('10.0.0.10', 80, 'tcp', 1)), ['10.244.0.5:0 0.75', '10.244.1.2:0 0.25']);
    assert.deepEqual(shares(FORMS, to('10.9.9.9', 5000, 'udp', 1)), ['10.244.0.5:0 0.75', '10.244.1.2:0 0.25']);
    assert.equal(ipvsSchedule(FORMS, branch(to('10.9.9.9', 5000, 'udp', 2))), null);
    assert.deepEqual(shares(FORMS, { proto: 'tcp', src: '2001:db8::9', dst: '2001:db8::77', sport: 1, dport: 80, mark: 2 }), ['fd00:10:244::5:0 1']);
    assert.equal(ipvsSchedule(FORMS, branch(to('10.0.0.10', 80, 'tcp', 0)))?.service.scheduler, 'sh');
  });

  test('a port-0 service catches other ports of its address, if persistent', () => {
    assert.deepEqual(shares(FORMS, to('10.0.0.13', 4242)), ['10.1.0.8:0 1']);
    const hit = ipvsSchedule(FORMS, branch(to('10.0.0.14', 4242)));
    assert.equal(hit?.service.port, 0);
    assert.deepEqual(hit?.choices, []);
  });
});

describe('ipvsSchedule: how the scheduler spreads new connections', () => {
  test('rr: equal shares, weight-0 (terminating) servers left out', () => {
    assert.deepEqual(shares(KUBE, to('192.168.49.2', 30080)), ['10.244.0.5:8080 0.5', '10.244.1.2:8080 0.5']);
    const hit = ipvsSchedule(KUBE, branch(to('192.168.49.2', 30080)));
    assert.ok(hit?.choices.every((c) => c.why === undefined));
    // rr ignores weights otherwise.
    assert.deepEqual(shares(one('-A -t 1.1.1.1:80 -s rr\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 5\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n'), to('1.1.1.1', 80)),
      ['2.2.2.2:80 0.5', '2.2.2.3:80 0.5']);
  });

  test('eTP Local NodePort: the local endpoint only', () => {
    assert.deepEqual(shares(KUBE, to('10.244.0.1', 31380)), ['10.244.0.6:8080 1']);
  });

  test('no endpoints, or only weight-0 ones: the service matches but nobody can take it', () => {
    const none = ipvsSchedule(KUBE, branch(to('192.168.49.2', 30999)));
    assert.ok(none);
    assert.deepEqual(none.choices, []);
    const quiesced = ipvsSchedule(one('-A -t 1.1.1.1:80 -s rr\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 0\n'), branch(to('1.1.1.1', 80)));
    assert.deepEqual(quiesced?.choices, []);
  });

  test('wrr: in proportion to weight', () => {
    assert.deepEqual(shares(one('-A -t 1.1.1.1:80 -s wrr\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n-a -t 1.1.1.1:80 -r 2.2.2.4:80 -m -w 0\n'), to('1.1.1.1', 80)),
      ['2.2.2.2:80 0.75', '2.2.2.3:80 0.25']);
  });

  test('persistent services: a new client has no template, so the scheduler picks; a masked template covers its network', () => {
    const hit = ipvsSchedule(KUBE, branch(to('192.168.49.2', 30443)));
    assert.deepEqual(hit?.choices.map((c) => c.probability), [0.5, 0.5]);
    assert.equal(hit?.choices[0]?.why, `persistent service (-p 10800): ${firstConnectionNote('ipvs')}`);
    const masked = ipvsSchedule(FORMS, branch(to('10.0.0.10', 80)));
    assert.match(masked?.choices[0]?.why ?? '', /a template covers the client's \/24, so a new client whose neighbour connected within \d+ s goes where the neighbour went/);
  });

  test('persistent services: a returning client goes to any real server, weight 0 included, each equally', () => {
    const hit = ipvsSchedule(KUBE, branch(to('192.168.49.2', 30443)), true);
    assert.deepEqual(hit?.choices.map((c) => [c.real.address, c.probability]), [['10.244.0.8', 0.5], ['10.244.1.9', 0.5]]);
    assert.equal(hit?.choices[0]?.why, `persistent service (-p 10800): ${returningClientNote('ipvs')}`);
    const quiesced = ipvsSchedule(one('-A -t 1.1.1.1:80 -s rr -p 60\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 1\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 0\n'), branch(to('1.1.1.1', 80)), true);
    assert.deepEqual(quiesced?.choices.map((c) => [c.real.address, c.probability]), [['2.2.2.2', 0.5], ['2.2.2.3', 0.5]]);
    assert.match(quiesced?.choices[0]?.why ?? '', /2\.2\.2\.3:80 \(weight 0\) still takes the clients it had, unless net\.ipv4\.vs\.expire_quiescent_template is 1/);
    // Not persistent: a returning client is scheduled like a new one.
    assert.deepEqual(ipvsSchedule(KUBE, branch(to('192.168.49.2', 30080)), true)?.choices.map((c) => c.probability), [0.5, 0.5]);
  });

  for (const sched of ['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'ovf']) {
    test(`${sched}: equal shares among weight > 0, depending on live connection counts`, () => {
      const hit = ipvsSchedule(one(`-A -t 1.1.1.1:80 -s ${sched}\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n-a -t 1.1.1.1:80 -r 2.2.2.4:80 -m -w 0\n`), branch(to('1.1.1.1', 80)));
      assert.deepEqual(hit?.choices.map((c) => [c.real.address, c.probability]), [['2.2.2.2', 0.5], ['2.2.2.3', 0.5]]);
      assert.match(hit?.choices[0]?.why ?? '', new RegExp(`^${sched} picks by live connection counts, which a dump does not show`));
    });
  }

  test('sh and mh: per weight, hashing the client; quiesced servers refuse the clients that hash to them', () => {
    const text = (s: string, flags = '') => `-A -t 1.1.1.1:80 -s ${s}${flags}\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n-a -t 1.1.1.1:80 -r 2.2.2.4:80 -m -w 0\n`;
    for (const s of ['sh', 'mh']) {
      const hit = ipvsSchedule(one(text(s)), branch(to('1.1.1.1', 80)));
      assert.deepEqual(hit?.choices.map((c) => c.probability), [0.75, 0.25]);
      assert.match(hit?.choices[0]?.why ?? '', new RegExp(`${s} hashes the client's address: one client always gets the same real server`));
      assert.match(hit?.choices[0]?.why ?? '', /hash to a weight-0 server \(2\.2\.2\.4:80\) are refused/);
    }
    const fallback = ipvsSchedule(one(text('sh', ' -b sh-fallback,sh-port')), branch(to('1.1.1.1', 80)));
    assert.match(fallback?.choices[0]?.why ?? '', /address and port/);
    assert.doesNotMatch(fallback?.choices[0]?.why ?? '', /refused/);
  });

  test('dh: one server for every client of the address, which one unknown', () => {
    const hit = ipvsSchedule(one('-A -t 1.1.1.1:80 -s dh\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n'), branch(to('1.1.1.1', 80)));
    assert.deepEqual(hit?.choices.map((c) => c.probability), [0.5, 0.5]);
    assert.match(hit?.choices[0]?.why ?? '', /every client of this virtual address gets the same one real server/);
  });

  test('an unknown scheduler says so', () => {
    const hit = ipvsSchedule(one('-A -t 1.1.1.1:80 -s vendorx\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 1\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n'), branch(to('1.1.1.1', 80)));
    assert.deepEqual(hit?.choices.map((c) => c.probability), [0.5, 0.5]);
    assert.equal(hit?.choices[0]?.why, 'scheduler vendorx is not modelled by np-doctor; each server with weight > 0 is given an equal share');
  });

  test('fo: the highest weight takes everything', () => {
    assert.deepEqual(shares(one('-A -t 1.1.1.1:80 -s fo\n-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 3\n-a -t 1.1.1.1:80 -r 2.2.2.3:80 -m -w 1\n'), to('1.1.1.1', 80)), ['2.2.2.2:80 1']);
  });

  test('an upper threshold (-x) makes the share depend on live counts', () => {
    const hit = ipvsSchedule(FORMS, branch(to('10.0.0.11', 53, 'udp')));
    assert.match(hit?.choices[0]?.why ?? '', /10\.1\.0\.5:53 stops taking new connections while over its upper threshold \(-x\)/);
  });

  test('forwarding methods are reported on the choice', () => {
    const hit = ipvsSchedule(FORMS, branch(to('10.0.0.10', 80)));
    assert.deepEqual(hit?.choices.map((c) => [c.real.forward, Math.round(c.probability * 100) / 100]), [['tunnel', 0.5], ['tunnel', 0.25], ['route', 0.25]]);
  });
});
