/** What a trace of an IPVS-mode node says it could not replay. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import { parseIpvsadmSave } from '../../src/engine/ipvs/index.js';
import type { Outcome } from '../../src/engine/packet/contract.js';
import { ipvsMayTake } from '../../src/report/ipvs-gaps.js';

const DUMP = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-NODE-PORT - [0:0]\nCOMMIT\n';
const delivered: Outcome = { probability: 1, verdict: 'ACCEPT', delivery: 'local', dnat: null, snat: null, mark: '0x0', indeterminate: null, hops: [] };

test('IPv6 virtual services, which the walk does not replay, are named; IPv4 ones it replays are not', () => {
  const plane = (ipvs: string) => ({ iptables: [parseIptablesSave(DUMP, { source: 'd' })], ipvs: parseIpvsadmSave(ipvs, { source: 'i' }) });
  const v6 = plane('-A -t [fd00::2]:30080 -s rr\n-a -t [fd00::2]:30080 -r [fd00:10::5]:8080 -m -w 1\n');
  assert.match(ipvsMayTake(delivered, v6, 'fd00::2', 30080) ?? '', /^IPVS was not replayed \(np-doctor replays IPv4 virtual services only\): if a virtual service holds \[fd00::2\]:30080/);
  const v4 = plane('-A -t 192.168.1.2:30080 -s rr\n-a -t 192.168.1.2:30080 -r 10.244.0.5:8080 -m -w 1\n');
  assert.equal(ipvsMayTake(delivered, v4, '192.168.1.2', 30080), null);
  assert.match(ipvsMayTake(delivered, { iptables: v4.iptables }, '192.168.1.2', 30080) ?? '', /^IPVS was not replayed: if a virtual service holds 192\.168\.1\.2:30080/);
});
