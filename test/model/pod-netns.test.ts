/**
 * Pods' namespaces from `ip -all netns exec`: sections, failures, bounds, hostile names, and the
 * answer a node gives for a pod (read, or unknown with a reason a person can act on).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeData } from '../../src/model/node-data.js';
import { MAX_NAMESPACES, netnsFailures, parseNetnsSections, PodNetns } from '../../src/model/pod-netns.js';
import { NODE_COMMANDS } from '../../src/snapshot/node-commands.js';
import type { CommandOutput, NodeState } from '../../src/snapshot/schema.js';
import { baseCluster, buildScenarioSnapshot, updatePods } from '../support/scenario-kit/index.js';

const addr = (ip: string | null): string => JSON.stringify([
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }, { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' }] },
  ...(ip === null ? [] : [{ ifindex: 2, link_index: 5, ifname: 'eth0', addr_info: [{ family: 'inet', local: ip, prefixlen: 24, scope: 'global' }] }]),
]);

const out = (id: 'pod-netns-addresses' | 'pod-netns-sockets', stdout: string, stderr = ''): CommandOutput =>
  ({ argv: [...NODE_COMMANDS[id].argv], stdout, stderr, exitCode: 0 });

const sections = (entries: [string, string][]): string => entries.map(([name, body]) => `\nnetns: ${name}\n${body}${body === '' ? '' : '\n'}`).join('');

const table = (addresses: [string, string][], sockets: [string, string][], o: { addrErr?: string; ssErr?: string; debugPod?: boolean } = {}) =>
  new PodNetns({
    node: 'node-2',
    addresses: out('pod-netns-addresses', sections(addresses), o.addrErr),
    sockets: out('pod-netns-sockets', sections(sockets), o.ssErr),
    debugPod: o.debugPod ?? false,
  });

const LISTEN_8080 = 'tcp   LISTEN 0      4096   0.0.0.0:8080  0.0.0.0:*    users:(("app",pid=7,fd=3))';

describe('parseNetnsSections', () => {
  test('a section per namespace, as iproute2 6.1 prints them (blank line, header, output)', () => {
    const text = '\nnetns: npd-sock-b\n\nnetns: npd-sock-a\nudp UNCONN 0 0 0.0.0.0:8081 0.0.0.0:*\ntcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:*\n';
    const { sections: got, cut } = parseNetnsSections(text);
    assert.equal(cut, false);
    assert.deepEqual([...got].map(([n, s]) => [n, s.lines]), [
      ['npd-sock-b', []],
      ['npd-sock-a', ['udp UNCONN 0 0 0.0.0.0:8081 0.0.0.0:*', 'tcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:*']],
    ]);
  });

  test('the namespaces ip prints twice after a failed one (its forked child walks on) are one namespace', () => {
    const text = '\nnetns: b\n\nnetns: a\nX\n\nnetns: a\nX\n';
    const got = parseNetnsSections(text).sections.get('a');
    assert.deepEqual(got, { lines: ['X'], conflict: false });
  });

  test('a name printed twice with different output is not trusted', () => {
    assert.equal(parseNetnsSections('\nnetns: a\nX\n\nnetns: a\nY\n').sections.get('a')?.conflict, true);
  });

  test('a name with a newline cannot start a section of its own (a header follows a blank line)', () => {
    // `ip netns add "$(printf 'evil\nnetns: cni-fake')"` prints exactly this.
    const { sections: got } = parseNetnsSections('\nnetns: evil\nnetns: cni-fake\n[]\n');
    assert.deepEqual([...got.keys()], ['evil']);
  });

  test(`reads at most ${MAX_NAMESPACES} namespaces and says so`, () => {
    const text = Array.from({ length: MAX_NAMESPACES + 5 }, (_, i) => `\nnetns: cni-${i}\n`).join('');
    const { sections: got, cut } = parseNetnsSections(text);
    assert.equal(got.size, MAX_NAMESPACES);
    assert.equal(cut, true);
  });
});

describe('netnsFailures', () => {
  test('the namespaces ip could not enter, with the reason it printed', () => {
    const stderr = 'setting the network namespace "npd-sock-b" failed: Operation not permitted\nsetting the network namespace "npd-sock-stale" failed: Invalid argument\nsomething else\n';
    assert.deepEqual([...netnsFailures(stderr)], [['npd-sock-b', 'Operation not permitted'], ['npd-sock-stale', 'Invalid argument']]);
  });
});

describe('PodNetns.find', () => {
  test('the sockets of the one namespace that holds the pod IP', () => {
    const got = table([['cni-a', addr('10.244.1.2')], ['cni-b', addr('10.244.1.3')]], [['cni-a', LISTEN_8080], ['cni-b', '']]).find(['10.244.1.2']);
    assert.equal(got.state, 'read');
    assert.ok(got.state === 'read');
    assert.equal(got.netns, 'cni-a');
    assert.equal(got.command, 'ip -all netns exec ss -H -l -n -t -u -p');
    assert.deepEqual(got.sockets.map((s) => [s.protocol, s.address, s.port]), [['TCP', '0.0.0.0', 8080]]);
  });

  test('two namespaces holding the IP (a leaked one): unknown, naming both, no guess', () => {
    const got = table([['cni-a', addr('10.244.1.2')], ['cni-old', addr('10.244.1.2')]], [['cni-a', LISTEN_8080], ['cni-old', '']]).find(['10.244.1.2']);
    assert.equal(got.state, 'unknown');
    assert.match(got.state === 'unknown' ? got.why : '', /"cni-a", "cni-old" on node-2 all hold 10\.244\.1\.2 .*does not guess/);
  });

  test('no namespace holds the IP: another runtime, named', () => {
    const got = table([['cni-a', addr('10.244.1.2')]], [['cni-a', LISTEN_8080]]).find(['10.244.1.9']);
    assert.match(got.state === 'unknown' ? got.why : '', /no network namespace under \/var\/run\/netns on node-2 holds 10\.244\.1\.9 \(1 read\).*cri-dockerd.*Kata/);
  });

  test('namespaces a debug pod could not enter: CAP_SYS_ADMIN, --debug-privileged or SSH', () => {
    const denied = 'setting the network namespace "cni-a" failed: Operation not permitted\n';
    const got = table([['cni-a', '']], [['cni-a', '']], { addrErr: denied, ssErr: denied, debugPod: true }).find(['10.244.1.2']);
    assert.match(got.state === 'unknown' ? got.why : '', /could not enter 1 of the 1 network namespaces on node-2 \(Operation not permitted\).*CAP_SYS_ADMIN.*--debug-privileged, or over SSH/);
  });

  test('a namespace ss could not enter is unknown, never "nothing listens" (its section is printed empty)', () => {
    const got = table([['cni-a', addr('10.244.1.2')]], [['cni-a', '']], { ssErr: 'setting the network namespace "cni-a" failed: Invalid argument\n' }).find(['10.244.1.2']);
    assert.match(got.state === 'unknown' ? got.why : '', /"cni-a" on node-2, which holds 10\.244\.1\.2, were not read: ip could not enter it: Invalid argument/);
  });

  test('a namespace ss did not list (created between the two commands) is unknown', () => {
    const got = table([['cni-a', addr('10.244.1.2')]], []).find(['10.244.1.2']);
    assert.match(got.state === 'unknown' ? got.why : '', /ss did not list it/);
  });

  test('unreadable JSON or a hostile name in the addresses does not break the others', () => {
    const got = table([['evil\nnetns: cni-a', '[{"oops"'], ['cni-a', addr('10.244.1.2')]], [['cni-a', LISTEN_8080]]).find(['10.244.1.2']);
    assert.equal(got.state, 'read');
  });
});

describe('NodeData.podSockets', () => {
  const spec = updatePods(baseCluster(), 'shop', { app: 'frontend' }, { listens: [{ port: 8080, address: '127.0.0.1' }, { port: 9090, protocol: 'UDP' }] });
  const snapshot = buildScenarioSnapshot(spec);
  const node2 = (): NodeState => structuredClone(snapshot.nodes.find((n) => n.name === 'node-2')!);
  const frontend = spec.pods.find((p) => p.labels.app === 'frontend' && p.node === 'node-2')!;

  test('the kit prints each pod namespace as containerd names it, and the node maps it to the pod by its IP', () => {
    const got = new NodeData('node-2', node2(), [], 'ssh').podSockets([frontend.ip!]);
    assert.ok(got.state === 'read', JSON.stringify(got));
    assert.match(got.netns, /^cni-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(got.sockets.map((s) => `${s.address}:${s.port}/${s.protocol}`), ['0.0.0.0:9090/UDP', '127.0.0.1:8080/TCP']);
  });

  test('an older snapshot, without the commands: says it was written before np-doctor read pods\' sockets', () => {
    const state = node2();
    delete state.commands['pod-netns-addresses'];
    delete state.commands['pod-netns-sockets'];
    const got = new NodeData('node-2', state, [], 'ssh').podSockets([frontend.ip!]);
    assert.deepEqual(got, { state: 'unknown', why: 'the snapshot holds no pods\' sockets (it was written before np-doctor read them): gather a new one to prove what the pods listen on' });
  });

  test('the command failed, or was cut at the output limit, or the node came from --node-dump files', () => {
    const failed = node2();
    Object.assign(failed.commands['pod-netns-sockets']!, { exitCode: 127, stdout: '', stderr: 'bash: line 1: ip: command not found\n' });
    assert.match(JSON.stringify(new NodeData('node-2', failed, [], 'ssh').podSockets([frontend.ip!])), /ip -all netns exec ss -H -l -n -t -u -p failed on node-2 \(exit 127\): bash: line 1: ip: command not found/);
    const cut = node2();
    cut.commands['pod-netns-addresses']!.truncated = { stdout: true, stderr: false, limitBytes: 64 };
    assert.match(JSON.stringify(new NodeData('node-2', cut, [], 'ssh').podSockets([frontend.ip!])), /larger than np-doctor keeps/);
    const files = { ...node2(), access: 'files' as const };
    assert.match(JSON.stringify(new NodeData('node-2', files, [], 'files').podSockets([frontend.ip!])), /--node-dump files/);
  });

  test('the node\'s own listening ports come from the same parser (loopback left out)', () => {
    const got = new NodeData('node-2', node2(), [], 'ssh').listening;
    assert.deepEqual([...got ?? []].sort(), ['tcp/10250', 'tcp/10256', 'tcp/22']);
  });
});
