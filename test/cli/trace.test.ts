import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { WalkResult } from '../../src/engine/packet/contract.js';
import { runMain } from '../support/run-main.js';
import { builtCliSkip } from '../support/tier.js';

const EXAMPLE = 'examples/two-node-cluster/node-a.rules';
const BASE = ['trace', '--iptables', EXAMPLE, '--local-ip', '192.168.49.2,10.244.0.1', '--to', '192.168.49.2:30080', '--in-iface', 'eth0'];

/**
 * The text as one line per note and field: trace wraps its prose to 80 columns when piped, and the
 * lines a note (15 columns in) or a labelled field (12) continues on are joined back here.
 */
const unwrap = (text: string) => text.replace(/\n {10,}(?=\S)/g, ' ');
const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = await runMain(argv, env);
  return { ...r, out: unwrap(r.out) };
};

const tmp = mkdtempSync(join(tmpdir(), 'npd-trace-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
const tmpFile = (content: string) => {
  const f = join(tmp, `bad-${files++}.rules`);
  writeFileSync(f, content);
  return f;
};

describe('np-doctor trace', () => {
  test('JSON keeps the contract field names: two 0.5 branches, DNAT and masquerade', async () => {
    const { code, out } = await run([...BASE, '--from', '203.0.113.7:40000', '-o', 'json']);
    assert.equal(code, 0);
    const doc = JSON.parse(out) as { packet: Record<string, unknown>; outcomes: Record<string, unknown>[] };
    assert.deepEqual(doc.packet, { dst: '192.168.49.2', proto: 'tcp', dport: 30080, src: '203.0.113.7', sport: 40000, inIface: 'eth0' });
    assert.equal(doc.outcomes.length, 2);
    for (const o of doc.outcomes) {
      for (const key of ['probability', 'verdict', 'delivery', 'dnat', 'snat', 'mark', 'indeterminate', 'hops']) assert.ok(key in o, `outcome lacks ${key}`);
      assert.equal(o.probability, 0.5);
      assert.equal(o.verdict, 'ACCEPT');
      assert.deepEqual(o.snat, { type: 'MASQUERADE' });
      const hop = (o.hops as Record<string, unknown>[])[0];
      assert.deepEqual(Object.keys(hop ?? {}), ['table', 'chain', 'line', 'rule', 'action']);
      assert.deepEqual(hop, { table: 'nat', chain: 'PREROUTING', line: 65, rule: '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', action: 'JUMP KUBE-SERVICES' });
    }
    assert.deepEqual(doc.outcomes.map((o) => o.dnat), [{ ip: '10.244.0.5', port: 8080 }, { ip: '10.244.1.7', port: 8080 }]);
  });

  test('text shows each result, its probability, DNAT/SNAT and the numbered rule path', async () => {
    const { code, out } = await run(BASE);
    assert.equal(code, 0);
    assert.match(out, /^Packet {3}tcp 203\.0\.113\.7:40000 → 192\.168\.49\.2:30080, arriving on eth0$/m);
    assert.match(out, /^2 results: ACCEPT 100%$/m);
    assert.match(out, /^Result 1 of 2 · probability 0\.5 · ACCEPT · forwarded$/m);
    assert.match(out, /^ {2}DNAT {6}→ 10\.244\.0\.5:8080$/m);
    assert.match(out, /^ {3}8\. nat KUBE-SEP-6WCGKYMWOH2DBRNV +line 76 +DNAT 10\.244\.0\.5:8080$/m);
    assert.ok(!out.includes('\x1b['), 'no colour when stdout is not a TTY');
  });

  test('a nodePort no rule handles says so plainly, in iptables and nftables dumps; a handled one does not', async () => {
    for (const [demo, where] of [
      ['examples/demo.json', /no rule in nat KUBE-NODEPORTS \(node-1:iptables-nft-save\) handles TCP port 31999: no Service has this nodePort on this node, or kube-proxy has not synced it/],
      ['examples/demo-nftables.json', /no element of ip kube-proxy's maps service-ips and service-nodeports \(node-1:nft-ruleset\) handles TCP port 31999: no Service has this nodePort/],
    ] as const) {
      const miss = await run(['trace', '--snapshot', demo, '--node', 'node-1', '--to', '192.168.1.101:31999']);
      assert.equal(miss.code, 0, miss.err);
      assert.match(miss.out, where);
      const hit = await run(['trace', '--snapshot', demo, '--node', 'node-1', '--to', '192.168.1.101:30090']);
      assert.equal(hit.code, 0, hit.err);
      assert.match(hit.out, /DNAT/, `${demo}: 30090 is a Service's nodePort`);
      assert.doesNotMatch(hit.out, /no rule in|no element of/);
    }
  });

  test('an IPVS-mode dump without --ipvs or --ipset says what is missing and what to pass, each on its own', async () => {
    const snapFile = 'test/scenarios/healthy-ipvs-mode/snapshot.json';
    const snap = JSON.parse(readFileSync(snapFile, 'utf8')) as { nodes: { name: string; commands: Record<string, { stdout: string }> }[] };
    const node = snap.nodes.find((n) => n.name === 'node-1')!;
    const [rules, ipvs, ipset] = (['iptables-nft-save', 'ipvsadm-save', 'ipset-list'] as const).map((id) => tmpFile(node.commands[id]!.stdout));
    const argv = ['trace', '--iptables', rules!, '--local-ip', '192.168.1.101,10.244.0.1', '--to', '192.168.1.101:30080', '--in-iface', 'eth0'];
    const mode = /^ {9}note: kube-proxy runs in IPVS mode on this node \(nat chain KUBE-NODE-PORT\)/m;
    const noIpvs = /No --ipvs was given, so the walk has no virtual services: a packet IPVS would take ends at a local socket instead\. Pass --ipvs FILE, the output of `ipvsadm-save -n` on the node\./;
    const noSets = /No --ipset was given, so no -m set match \(here KUBE-NODE-PORT-TCP, .*\) can be tested: the walk follows both sides of each, half the share each.*Pass --ipset FILE, the output of `ipset list` on the node\./;
    const snapshotHint = /`np-doctor snapshot` gathers both, and `np-doctor trace --snapshot FILE --node NODE` replays them\./;

    const bare = await run(argv);
    assert.equal(bare.code, 0, bare.err);
    for (const re of [mode, noIpvs, noSets, snapshotHint]) assert.match(bare.out, re);
    assert.match(bare.out, /^Result 1 of \d · .* · ACCEPT · delivered to a local socket\n(?:.*\n)*? {2}missing {3}IPVS was not replayed: if a virtual service holds 192\.168\.1\.101:30080, IPVS takes this packet at INPUT/m);

    const setsOnly = await run([...argv, '--ipset', ipset!]);
    assert.match(setsOnly.out, noIpvs);
    assert.doesNotMatch(setsOnly.out, /No --ipset/);
    // With the ipsets the rules show the port is a Service's: the walk says so instead of "if".
    assert.match(setsOnly.out, /missing {3}IPVS was not replayed: line \d+ of nat KUBE-NODE-PORT matched, so kube-proxy serves 192\.168\.1\.101:30080/);

    const ipvsOnly = await run([...argv, '--ipvs', ipvs!]);
    assert.match(ipvsOnly.out, noSets);
    assert.doesNotMatch(ipvsOnly.out, /No --ipvs|missing {3}IPVS/);
    assert.match(ipvsOnly.out, /DNAT {6}→ 10\.244\.[12]\.2:8080/, 'IPVS replayed');

    const both = await run([...argv, '--ipvs', ipvs!, '--ipset', ipset!]);
    assert.doesNotMatch(both.out, /IPVS mode|missing/);

    // From a snapshot whose node could not run ipvsadm and ipset: what the snapshot lacks.
    const { ['ipvsadm-save']: _v, ['ipset-list']: _s, ...rest } = node.commands;
    const lacking = join(tmp, 'ipvs-lacking.json');
    writeFileSync(lacking, JSON.stringify({ ...snap, nodes: snap.nodes.map((n) => (n === node ? { ...n, commands: rest } : n)) }));
    const fromSnap = await run(['trace', '--snapshot', lacking, '--node', 'node-1', '--to', '192.168.1.101:30080', '--in-iface', 'eth0']);
    assert.equal(fromSnap.code, 0, fromSnap.err);
    assert.match(fromSnap.out, mode);
    assert.match(fromSnap.out, /The snapshot holds no ipvsadm-save -n output for node-1 \(ipvsadm is not installed there, failed, or printed nothing\)/);
    assert.match(fromSnap.out, /The snapshot holds no ipset list output for node-1/);
    assert.doesNotMatch(fromSnap.out, /Pass --ipvs/);

    // An iptables-mode dump says nothing of IPVS.
    assert.doesNotMatch((await run(BASE)).out, /IPVS/);
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown flag', [...BASE, '--frobnicate'], /unknown flag "--frobnicate"/],
    ['a missing --iptables', ['trace', '--local-ip', '1.2.3.4', '--to', '1.2.3.4:80'], /--iptables FILE or --nft FILE \(or --snapshot FILE --node NODE\) is required/],
    ['a missing --local-ip', ['trace', '--iptables', EXAMPLE, '--to', '1.2.3.4:80'], /--local-ip is required/],
    ['a bad --to', [...BASE, '--to', 'nowhere'], /--to nowhere: expected IP:PORT/],
    ['a bad --proto', [...BASE, '--proto', 'quic'], /--proto quic/],
    ['-o yaml', [...BASE, '-o', 'yaml'], /-o yaml: use text or json/],
    ['--in-iface with --local-process', [...BASE, '--local-process'], /exclude each other/],
  ];
  for (const [what, argv, message] of usage) {
    test(`${what} is a usage error (exit 2)`, async () => {
      const { code, err } = await run(argv);
      assert.equal(code, 2);
      assert.match(err, message);
      assert.match(err, /Run "np-doctor trace --help" for usage/);
    });
  }

  test('an unreadable file is a usage error (exit 2) that names the flag and the file', async () => {
    const { code, err } = await run(['trace', '--iptables', '/nonexistent.rules', '--local-ip', '1.2.3.4', '--to', '1.2.3.4:80']);
    assert.equal(code, 2);
    assert.match(err, /--iptables \/nonexistent\.rules: no such file/);
  });

  test('a malformed dump exits 2 and names the file and line at fault', async () => {
    const file = tmpFile('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to-destination\nCOMMIT\n');
    const { code, err } = await run(['trace', '--iptables', file, '--local-ip', '1.2.3.4', '--to', '1.2.3.4:80']);
    assert.equal(code, 2);
    assert.match(err, new RegExp(`malformed dump: ${file.replace(/[/.]/g, '\\$&')}:3: --to-destination needs exactly one value`));
    const cut = tmpFile('*nat\n:PREROUTING ACCEPT [0:0]\n');
    const r = await run(['trace', '--iptables', cut, '--local-ip', '1.2.3.4', '--to', '1.2.3.4:80']);
    assert.equal(r.code, 2);
    assert.match(r.err, /:1: table nat has no COMMIT/);
  });

  test('--sysctl takes the packet\'s own family\'s forwarding switch, and refuses the other family\'s', async () => {
    const file = tmpFile('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    const v6 = ['trace', '--iptables', file, '--local-ip', 'fd00::2', '--to', '[fd00:10::5]:8080', '--from', '[2001:db8::7]:40000', '--in-iface', 'eth0', '-o', 'json'];
    const verdicts = async (sysctl: string) => {
      const r = await run([...v6, '--sysctl', sysctl]);
      assert.equal(r.code, 0, r.err);
      return (JSON.parse(r.out) as WalkResult).outcomes.map((o) => `${o.verdict} ${o.reason ?? o.delivery}`);
    };
    assert.deepEqual(await verdicts('net.ipv6.conf.all.forwarding=0'), ['DROP net.ipv6.conf.all.forwarding is 0: the node does not forward the packet']);
    assert.deepEqual(await verdicts('net.ipv6.conf.all.forwarding=1'), ['ACCEPT forward']);
    const wrong = await run([...v6, '--sysctl', 'net.ipv4.ip_forward=0']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /--sysctl net\.ipv4\.ip_forward: for an IPv6 packet only net\.ipv6\.conf\.all\.forwarding changes the walk/);
  });

  test('text prints each distinct result once, with its total, one path and the undecided facts as notes', async () => {
    // Docker's -i/-o docker0 rules on a node whose interfaces the trace does not know.
    const snap = JSON.parse(readFileSync('test/scenarios/docker-forward-drop/snapshot.json', 'utf8')) as { nodes: { name: string; commands: Record<string, { stdout: string }> }[] };
    const file = tmpFile(snap.nodes.find((n) => n.name === 'node-2')!.commands['iptables-nft-save']!.stdout);
    const argv = ['trace', '--iptables', file, '--local-ip', '192.168.1.102', '--to', '10.244.2.2:8080', '--from', '192.168.1.101:40000', '--sysctl', 'net.ipv4.ip_forward=1'];
    const { code, out } = await run(argv);
    assert.equal(code, 0);
    assert.match(out, /^2 results: ACCEPT 56\.25%, DROP 43\.75% \(some depend on what the dumps do not\s+show\)$/m);
    assert.equal(out.match(/^Result \d of 2 /gm)?.length, 2);
    assert.match(out, /^ {2}undecided line 47 may match \(the packet's input interface is not known .*-i docker0/m);
    assert.doesNotMatch(out, /this branch assumes/, 'a note names the fact, not the side one branch took');
    const json = JSON.parse((await run([...argv, '-o', 'json'])).out) as WalkResult;
    assert.equal(json.outcomes.length, 2);
    assert.ok(Math.abs(json.outcomes.reduce((s, o) => s + o.probability, 0) - 1) < 1e-9);
  });

  test('text shows control characters from a dump as escapes, JSON keeps them exact', async () => {
    const file = tmpFile('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "\x1b]0;owned\x07\x1b[2J" -j ACCEPT\nCOMMIT\n');
    const argv = ['trace', '--iptables', file, '--local-ip', '1.2.3.4', '--to', '1.2.3.4:80', '--in-iface', 'eth0'];
    const { code, out } = await run(argv);
    assert.equal(code, 0);
    assert.ok(!out.includes('\x1b') && !out.includes('\x07'), 'no raw ESC or BEL reaches the terminal');
    assert.match(out, /--comment "\\x1b\]0;owned\\x07\\x1b\[2J"/);
    const json = JSON.parse((await run([...argv, '-o', 'json'])).out) as WalkResult;
    assert.ok(json.outcomes[0]?.hops[0]?.rule?.includes('\x1b]0;owned\x07'), 'JSON is exact');
  });

  test('--help prints the flags of DESIGN.md', async () => {
    const { code, out } = await run(['trace', '--help']);
    assert.equal(code, 0);
    for (const flag of ['--iptables', '--local-ip', '--to', '--from', '--proto', '--in-iface', '--local-process', '-o, --output']) assert.ok(out.includes(flag), flag);
  });
});

describe('np-doctor trace --snapshot', () => {
  const DEMO = 'examples/demo-cluster/frontend.snapshot.json';
  const PACKET = ['--to', '192.168.49.2:30080', '--from', '203.0.113.7:40000', '--in-iface', 'eth0'];

  test('replays a node of a snapshot with its own addresses, routes and sysctls', async () => {
    const { code, out, err } = await run(['trace', '--snapshot', DEMO, '--node', 'node-a', ...PACKET, '-o', 'json']);
    assert.equal(code, 0, err);
    const r = JSON.parse(out) as WalkResult;
    assert.equal(r.packet.src, '203.0.113.7');
    // Routes and interfaces from the snapshot decide what a bare dump cannot: the output device and
    // the MASQUERADE address (node-a's own pod is behind its Calico veth, node-b's via eth0).
    assert.deepEqual(r.outcomes.map((o) => [o.probability, o.verdict, o.dnat?.ip, o.outIface, o.indeterminate]).sort(), [
      [0.5, 'ACCEPT', '10.244.0.5', 'califa', null],
      [0.5, 'ACCEPT', '10.244.1.5', 'eth0', null],
    ]);
    const text = await run(['trace', '--snapshot', DEMO, '--node', 'node-a', ...PACKET]);
    assert.match(text.out, /^Rules +node-a:iptables-nft-save /m, 'the dump is named by node and command');
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown node', ['trace', '--snapshot', DEMO, '--node', 'node-z', ...PACKET], /node "node-z" is not in the snapshot \(nodes read: node-a, node-b\)/],
    ['several nodes and no --node', ['trace', '--snapshot', DEMO, ...PACKET], /--node NODE is required: .* holds 2 nodes \(node-a, node-b\)/],
    ['--snapshot with --iptables', ['trace', '--snapshot', DEMO, '--node', 'node-a', '--iptables', 'package.json', ...PACKET], /leave out --iptables/],
    ['--node without --snapshot', ['trace', '--node', 'node-a', ...PACKET], /--node picks a node of a --snapshot/],
    ['a missing snapshot', ['trace', '--snapshot', '/nonexistent.json', '--node', 'a', ...PACKET], /--snapshot \/nonexistent\.json: no such file/],
    ['a file that is no snapshot', ['trace', '--snapshot', 'package.json', '--node', 'a', ...PACKET], /package\.json: not an np-doctor snapshot/],
  ];
  for (const [what, argv, message] of usage) {
    test(`${what} is a usage error (exit 2)`, async () => {
      const { code, err } = await run(argv);
      assert.equal(code, 2, err);
      assert.match(err, message);
    });
  }
});

describe('the built binary', { skip: builtCliSkip() }, () => {
  test('sets the exit code from main() and prints help fast enough to be lazy', () => {
    const out = execFileSync(process.execPath, ['dist/src/cli.js', '--help'], { encoding: 'utf8' });
    assert.match(out, /trace +replay one packet/);
    const bad = spawnSync(process.execPath, ['dist/src/cli.js', 'nosuch'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command "nosuch"/);
  });
});
