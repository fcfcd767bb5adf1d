/**
 * `-m physdev` decided from what the walk knows (issue 17): a packet that entered by no bridge port
 * (an interface no link is enslaved to, lo, a local process) has no bridge information, so every
 * physdev option is false and its negation true; one that entered a bridge keeps what cannot be told.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/engine/errors.js';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import type { NodeContext, Outcome, Packet, WalkResult } from '../../src/engine/packet/contract.js';
import { walk } from '../../src/engine/walk/walk.js';
import { nodeView } from '../../src/model/node-view.js';
import type { CommandOutput } from '../../src/snapshot/schema.js';

/** A filter table with these rules; a packet that survives them is marked 0x1 when it matched `-j M`. */
function dump(rules: string[]): string {
  return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:M - [0:0]
-A M -j MARK --or-mark 0x1
${rules.join('\n')}
COMMIT
`;
}

const NODE: NodeContext = {
  localIps: ['192.168.0.2/24', '10.244.0.1/24'],
  interfaceOf: { '192.168.0.2': 'eth0', '10.244.0.1': 'cni0' },
  routes: [{ dst: '10.244.0.0/24', dev: 'cni0' }, { dst: 'default', dev: 'eth0' }],
  sysctls: { ipForward: true },
  // eth0 has no ports; cni0 is a bridge with two pod veths.
  masterOf: { veth1: 'cni0', veth2: 'cni0' },
};

const toNode: Packet = { src: '203.0.113.2', sport: 40000, dst: '192.168.0.2', dport: 80, proto: 'tcp', inIface: 'eth0' };
const forwarded: Packet = { ...toNode, dst: '10.244.0.5' };

function run(rules: string[], packet: Packet, node: NodeContext = NODE): WalkResult {
  return walk([parseIptablesSave(dump(rules), { source: 'test' })], node, packet);
}

const line = (o: Outcome) => `${o.probability} ${o.verdict} mark=${o.mark}${o.indeterminate ? ' ?' : ''}`;

describe('-m physdev', () => {
  // Each rule DROPs on the positive form and marks on the negated one.
  const physdev = (hook: 'INPUT' | 'FORWARD' | 'OUTPUT') => [
    `-A ${hook} -m physdev --physdev-is-bridged -j DROP`,
    `-A ${hook} -m physdev --physdev-is-in -j DROP`,
    `-A ${hook} -m physdev --physdev-in veth+ -j DROP`,
    `-A ${hook} -m physdev --physdev-is-out -j DROP`,
    `-A ${hook} -m physdev --physdev-out veth1 -j DROP`,
    `-A ${hook} -m physdev ! --physdev-is-in -j M`,
  ];

  test('a packet that came in on an interface with no bridge ports has no physdev: options false, negations true', () => {
    assert.deepEqual(run(physdev('INPUT'), toNode).outcomes.map(line), ['1 ACCEPT mark=0x1']);
    assert.deepEqual(run(physdev('FORWARD'), forwarded).outcomes.map(line), ['1 ACCEPT mark=0x1']);
  });

  test('a packet from a local process has none either, whatever the node\'s links', () => {
    const { masterOf: _, ...unknownLinks } = NODE;
    const r = run(physdev('OUTPUT'), { ...toNode, src: undefined, sport: undefined, inIface: undefined, localProcess: true }, unknownLinks);
    assert.deepEqual(r.outcomes.map(line), ['1 ACCEPT mark=0x1']);
  });

  test('a packet that came in on a bridge: the port it came by is undecided unless no port has the name', () => {
    const fromPod: Packet = { ...toNode, src: '10.244.0.7', inIface: 'cni0' };
    const r = run(['-A INPUT -m physdev --physdev-in eth+ -j DROP', '-A INPUT -m physdev --physdev-is-bridged -j DROP', '-A INPUT -m physdev --physdev-in veth1 -j M'], fromPod);
    assert.deepEqual(r.outcomes.map(line), ['0.5 ACCEPT mark=0x1 ?', '0.5 ACCEPT mark=0x0 ?'], 'no port named eth*, nothing bridged at INPUT; veth1 may be the port');
    assert.match(r.outcomes[0]?.indeterminate ?? '', /which port of cni0 \(veth1, veth2\) the packet came by is not known/);
  });

  test('a bridged packet (in and out by the same bridge) may be bridged; a routed one out another device is not', () => {
    const rules = ['-A FORWARD -m physdev --physdev-is-bridged -j DROP'];
    const podToPod: Packet = { ...toNode, src: '10.244.0.7', dst: '10.244.0.5', inIface: 'cni0' };
    assert.deepEqual(run(rules, podToPod).outcomes.map((o) => o.verdict).sort(), ['ACCEPT', 'DROP']);
    const podOut: Packet = { ...toNode, src: '10.244.0.7', dst: '198.51.100.9', inIface: 'cni0' };
    assert.deepEqual(run(rules, podOut).outcomes.map(line), ['1 ACCEPT mark=0x0']);
  });

  test('without the node\'s links, an arriving packet\'s physdev is undecided and says what would tell', () => {
    const { masterOf: _, ...unknownLinks } = NODE;
    const r = run(['-A INPUT -m physdev --physdev-is-in -j DROP'], toNode, unknownLinks);
    assert.deepEqual(r.outcomes.map((o) => o.verdict), ['DROP', 'ACCEPT']);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /whether eth0 is a bridge is not known/);
  });

  test('the save form parses; a value on a flag option is refused with its line', () => {
    assert.throws(() => run(['-A INPUT -m physdev --physdev-is-in eth0 -j DROP'], toNode), (e) => e instanceof ParseError && /^test:7: --physdev-is-in takes no value/.test(e.message));
    const r = run(['-A INPUT -m physdev --physdev-frob -j DROP'], toNode);
    assert.match(r.outcomes[0]?.indeterminate ?? '', /--physdev-frob of -m physdev is not modelled/);
  });

  test('a snapshot\'s ip addr says which links are bridge ports (master); without it the links are not known', () => {
    const ok = (argv: string[], stdout: string): CommandOutput => ({ argv, stdout, stderr: '', exitCode: 0 });
    const links = [
      { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.0.2', prefixlen: 24 }] },
      { ifname: 'cni0', addr_info: [{ family: 'inet', local: '10.244.0.1', prefixlen: 24 }] },
      { ifname: 'veth1', master: 'cni0', addr_info: [] },
    ];
    const commands = { 'iptables-nft-save': ok(['iptables-nft-save'], dump([])), 'ip-addr': ok(['ip', '-j', 'addr'], JSON.stringify(links)) };
    const view = nodeView({ name: 'n1', address: '192.168.0.2', access: 'ssh', commands }, 4);
    assert.deepEqual(view.context.masterOf, { veth1: 'cni0' });
    const { 'ip-addr': _, ...withoutLinks } = commands;
    assert.equal(nodeView({ name: 'n1', address: '192.168.0.2', access: 'ssh', commands: withoutLinks }, 4).context.masterOf, undefined);
  });
});
