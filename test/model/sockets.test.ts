/** The one ss parser: every field checked, bounded, and a hostile process name cannot forge a socket. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_SOCKETS, parseListeningSockets, parseSocketLine } from '../../src/model/sockets.js';

// What ss 6.1 printed on this machine for sockets bound as the comments say (fields as printed).
const SS = [
  'udp UNCONN 0      0                 0.0.0.0:8081 0.0.0.0:* users:(("python3",pid=16915,fd=4)) ',
  'udp UNCONN 0      0                       *:7008       *:* users:(("python3",pid=17640,fd=9)) ',
  'tcp LISTEN 0      128            10.244.1.5:7006 0.0.0.0:* users:(("python3",pid=17640,fd=8)) ',
  'tcp LISTEN 0      128             127.0.0.1:8080 0.0.0.0:* users:(("python3",pid=16915,fd=3)) ',
  'tcp LISTEN 0      128          0.0.0.0%eth0:7009 0.0.0.0:* users:(("python3",pid=17640,fd=11))',
  'tcp LISTEN 0      128                 [::1]:7003    [::]:* users:(("python3",pid=17640,fd=5)) ',
  'tcp LISTEN 0      128    [::ffff:127.0.0.1]:7004       *:* users:(("python3",pid=17640,fd=6)) ',
  'tcp LISTEN 0      128                  [::]:7001    [::]:* users:(("python3",pid=17640,fd=3)) ',
  'tcp LISTEN 0      128                     *:7002       *:* users:(("python3",pid=17640,fd=4)) ',
].join('\n');

describe('parseListeningSockets', () => {
  test('reads protocol, address, what reaches it, port and process from every line', () => {
    const got = parseListeningSockets(SS).map(({ line: _line, ...s }) => s);
    assert.deepEqual(got, [
      { protocol: 'UDP', address: '0.0.0.0', reach: 'any-ipv4', port: 8081, process: 'python3' },
      { protocol: 'UDP', address: '*', reach: 'any', port: 7008, process: 'python3' },
      { protocol: 'TCP', address: '10.244.1.5', reach: 'address', port: 7006, process: 'python3' },
      { protocol: 'TCP', address: '127.0.0.1', reach: 'loopback', port: 8080, process: 'python3' },
      { protocol: 'TCP', address: '0.0.0.0', reach: 'any-ipv4', port: 7009, process: 'python3' },
      { protocol: 'TCP', address: '::1', reach: 'loopback', port: 7003, process: 'python3' },
      { protocol: 'TCP', address: '::ffff:127.0.0.1', reach: 'loopback', port: 7004, process: 'python3' },
      { protocol: 'TCP', address: '::', reach: 'any-ipv6', port: 7001, process: 'python3' },
      { protocol: 'TCP', address: '*', reach: 'any', port: 7002, process: 'python3' },
    ]);
  });

  test('keeps the line as ss printed it, for evidence', () => {
    assert.equal(parseSocketLine('tcp LISTEN 0 4096 *:80 *:*')?.line, 'tcp LISTEN 0 4096 *:80 *:*');
  });

  test('skips what is not a listener line: headers, established sockets, out-of-range ports, overlong lines', () => {
    for (const line of [
      'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
      'tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:51234',
      'tcp LISTEN 0 4096 0.0.0.0:70000 0.0.0.0:*',
      'sctp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:*',
      `tcp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:* users:(("${'x'.repeat(2000)}",pid=1,fd=3))`,
    ]) assert.equal(parseSocketLine(line), null, line);
  });

  test('a process name with a newline (comm is 15 bytes) cannot add a socket of its own', () => {
    // prctl(PR_SET_NAME) takes any 15 bytes; ss prints them raw, so the name's tail is a line of its own.
    const names = ['\ntcp a b c *:8 ', '\ntcp LISTEN 0 1', '\n\nnetns: cni-ab'];
    for (const name of names) {
      const text = `tcp LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:* users:(("${name}",pid=7,fd=3))\n`;
      assert.deepEqual(parseListeningSockets(text).map((s) => s.port), [8080], JSON.stringify(name));
    }
  });

  test('control characters in a process name stay in the text (sanitised when shown), the socket still parses', () => {
    const [s] = parseListeningSockets('tcp LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:* users:(("\u001b[31mred",pid=7,fd=3))');
    assert.equal(s?.process, '\u001b[31mred');
    assert.equal(s?.port, 8080);
  });

  test(`reads at most ${MAX_SOCKETS} sockets of one table`, () => {
    const text = Array.from({ length: MAX_SOCKETS + 10 }, (_, i) => `tcp LISTEN 0 4096 0.0.0.0:${(i % 60000) + 1} 0.0.0.0:*`).join('\n');
    assert.equal(parseListeningSockets(text).length, MAX_SOCKETS);
  });
});
