/**
 * Readers never take a cut or unfinished node output for the node's state: a dump np-doctor cut
 * at the output limit, or one that did not finish, makes the node's rules unavailable with the
 * reason (the node is indeterminate), rather than replaying the other backend alone or half a
 * ruleset; checks never see a cut output; a cut sysctl output is not read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeData } from '../../src/model/node-data.js';
import { nodeView, NodeViewError, parseSysctls } from '../../src/model/node-view.js';
import type { CommandOutput, NodeState } from '../../src/snapshot/schema.js';

const DUMP = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
const ok = (argv: string[], stdout: string): CommandOutput => ({ argv, stdout, stderr: '', exitCode: 0 });

function node(commands: Record<string, CommandOutput>): NodeState {
  return { name: 'n1', address: '192.168.49.2', access: 'ssh', commands: { 'iptables-legacy-save': ok(['iptables-legacy-save'], ''), ...commands } };
}

test('a whole dump is replayed', () => {
  const v = nodeView(node({ 'iptables-nft-save': ok(['iptables-nft-save'], DUMP) }), 4);
  assert.deepEqual(v.dumps.map((d) => d.source), ['n1:iptables-nft-save']);
});

test('a cut dump makes the node unreplayable, naming the limit', () => {
  const cut = { ...ok(['iptables-nft-save'], DUMP.slice(0, 30)), exitCode: null, truncated: { stdout: true, stderr: false, limitBytes: 64 * 2 ** 20 } };
  const state = node({ 'iptables-nft-save': cut, 'iptables-legacy-save': ok(['iptables-legacy-save'], DUMP) });
  assert.throws(() => nodeView(state, 4), (e: unknown) => e instanceof NodeViewError &&
    e.message === 'node "n1": iptables-nft-save printed more than 64 MiB and np-doctor kept only the first 64 MiB, so the node\'s rules cannot be replayed');
  const data = new NodeData('n1', state, [], 'ssh');
  const rules = data.rulesFor(4);
  assert.equal(rules.ok, false, 'not the legacy dump alone');
  assert.equal(data.command('iptables-nft-save'), undefined, 'checks never see the cut output');
  assert.equal(data.backendDump('nft', 4), null);
  assert.notEqual(data.backendDump('legacy', 4), null);
});

test('a cut nft ruleset or ipset list blocks the replay too', () => {
  const cutNft = { ...ok(['nft', '-j', 'list', 'ruleset'], '{"nftables": ['), exitCode: null, truncated: { stdout: true, stderr: false, limitBytes: 4096 } };
  assert.throws(() => nodeView(node({ 'iptables-nft-save': ok(['iptables-nft-save'], DUMP), 'nft-ruleset': cutNft }), 4), /nft-ruleset printed more than 4 KiB/);
  const cutSets = { ...ok(['ipset', 'list'], 'Name: a\n'), exitCode: null, truncated: { stdout: false, stderr: true, limitBytes: 4096 } };
  assert.throws(() => nodeView(node({ 'iptables-nft-save': ok(['iptables-nft-save'], DUMP), 'ipset-list': cutSets }), 6), /ipset-list printed more than 4 KiB/);
});

test('a dump that did not finish makes the node unreplayable with np-doctor\'s reason; a missing tool does not', () => {
  const timedOut: CommandOutput = { argv: ['iptables-nft-save'], stdout: '*filter\n', stderr: 'np-doctor: "iptables-nft-save" did not finish within 60 s and was stopped\n', exitCode: null };
  assert.throws(() => nodeView(node({ 'iptables-nft-save': timedOut, 'iptables-legacy-save': ok(['iptables-legacy-save'], DUMP) }), 4),
    /iptables-nft-save did not finish \(np-doctor: "iptables-nft-save" did not finish within 60 s and was stopped\), so the node's rules cannot be replayed/);
  const notInstalled: CommandOutput = { argv: ['ipvsadm-save', '-n'], stdout: '', stderr: 'ipvsadm-save: command not found\n', exitCode: 127 };
  assert.equal(nodeView(node({ 'iptables-nft-save': ok(['iptables-nft-save'], DUMP), 'ipvsadm-save': notInstalled }), 4).ipvs, null);
});

test('a cut sysctl output is not read: its last value may be cut too', () => {
  const cut = { ...ok(['sysctl', '-e'], 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.route_localnet = '), exitCode: null, truncated: { stdout: true, stderr: false, limitBytes: 1024 } };
  assert.equal(parseSysctls(node({ sysctls: cut })).size, 0);
  assert.equal(parseSysctls(node({ sysctls: ok(['sysctl', '-e'], 'net.ipv4.ip_forward = 1\n') })).get('net.ipv4.ip_forward'), '1');
});
