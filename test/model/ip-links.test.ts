/** `ip -j addr` read once for the walk, the replacement detection and the checks: what a node prints is untrusted. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpLinks } from '../../src/model/ip-links.js';

test('links, masters and addresses; what is not a link or an address is skipped, a prefix out of range dropped', () => {
  const text = JSON.stringify([
    { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.1.101', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fd00::101', prefixlen: 129 }] },
    { ifname: 'veth1', master: 'cni0', addr_info: [] },
    { ifname: 'lo', addr_info: [{ family: 'packet', local: 'x' }, null, 'text', { family: 'inet', local: 7 }] },
    null, 'eth9', { addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 8 }] },
  ]);
  assert.deepEqual(parseIpLinks(text), [
    { name: 'eth0', master: null, addresses: [{ family: 'inet', local: '192.168.1.101', prefix: 24, scope: 'global' }, { family: 'inet6', local: 'fd00::101', prefix: null, scope: null }] },
    { name: 'veth1', master: 'cni0', addresses: [] },
    { name: 'lo', master: null, addresses: [] },
  ]);
  assert.equal(parseIpLinks('{"ifname":"eth0"}'), null, 'not an array');
  assert.equal(parseIpLinks('[{"ifname": "eth0"'), null, 'cut');
});
