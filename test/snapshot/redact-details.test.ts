/**
 * What `--redact` rewrites beyond names and public addresses, and the shapes it keeps: MACs (and
 * the IPv6 interface IDs derived from them), UIDs and container IDs, `ss -p` processes, SSH
 * details in gather errors, Services named only in rule comments, container names, Namespaces.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { redactSnapshot } from '../../src/snapshot/redact.js';
import { ChainHashes } from '../../src/snapshot/redact-chains.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const out = (stdout: string, stderr = '') => ({ argv: ['x'], stdout, stderr, exitCode: 0 });

/** The kernel's EUI-64 link-local address for a MAC, as ip prints it. */
function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16)) as [number, number, number, number, number, number];
  return new ipaddr.IPv6([0xfe80, 0, 0, 0, ((b[0] ^ 2) << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]]).toString();
}

function snapshot(): Snapshot {
  const s = buildSnapshot();
  const mac = 'aa:bb:cc:dd:ee:01';
  s.nodes[0]!.commands['ip-addr'] = out(JSON.stringify([
    { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', broadcast: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', link_type: 'ether', address: mac, broadcast: 'ff:ff:ff:ff:ff:ff', permaddr: 'AA:BB:CC:DD:EE:02',
      addr_info: [{ family: 'inet', local: '192.168.0.2', prefixlen: 24 }, { family: 'inet6', local: linkLocal(mac), prefixlen: 64 }] },
  ]));
  s.nodes[0]!.commands['listening-sockets'] = out('tcp LISTEN 0 4096 0.0.0.0:9100 0.0.0.0:* users:(("acme-agent",pid=4242,fd=7),("acme-agent",pid=4243,fd=7))\n');
  const uid = '7f3c9a10-1b2c-4d5e-8f90-0123456789ab';
  s.cluster.pods[0]!.metadata.uid = uid;
  s.cluster.endpointSlices[0]!.endpoints = [{ addresses: ['10.244.1.5'], nodeName: 'node-a', targetRef: { kind: 'Pod', name: 'frontend-7d9f-abcde', namespace: 'shop', uid } }];
  s.cluster.services[0]!.metadata.uid = uid;
  (s.cluster.pods[0]!.spec as { containers: { name: string }[] }).containers = [{ name: 'proxy' }];
  s.cluster.namespaces = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'checkout' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments-prod', labels: { 'kubernetes.io/metadata.name': 'payments-prod' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
  ];
  s.nodes[0]!.commands['iptables-nft-save']!.stdout += [
    '*filter', ':KUBE-SERVICES - [0:0]',
    '-A KUBE-SERVICES -d 10.96.7.7/32 -p tcp -m comment --comment "payments-prod/billing:grpc has no endpoints" -j REJECT',
    '-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns has no endpoints" -j REJECT',
    'COMMIT', ''].join('\n');
  s.nodes[0]!.commands['nft-ruleset'] = out(JSON.stringify({ nftables: [
    { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
    { chain: { family: 'ip', table: 'kube-proxy', name: 'service-ULMVA6XW-shop/frontend/tcp/http', handle: 2 } },
    { map: { family: 'ip', table: 'kube-proxy', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], map: 'verdict',
      elem: [[{ elem: { val: { concat: ['10.96.5.5', 'tcp', 8080] }, comment: 'ledger/api:http' } }, { goto: { target: 'service-ABCDEFGH-ledger/api/tcp/http' } }]] } },
  ] }));
  s.nodes[0]!.commands['ipset-list'] = out('', 'np-doctor: sudo says a password is required for alice to run "ipset list" as root, and np-doctor never types one (it runs "sudo -n"): allow it without a password with the sudoers rule "alice ALL=(root) NOPASSWD: <path of ipset>", or log in as root: --ssh-user root, or User root in ~/.ssh/config.\n');
  s.errors.push({
    stage: 'node', node: 'node-b', what: 'authenticate as alice@bastion.corp.example (jump host bastion (203.0.113.9:22), hop 1 of 2)',
    why: 'the server refused every key tried: ~/.ssh/acme_deploy, ssh-agent (/tmp/ssh-XXXXabcd/agent.1234); host key SHA256:uNiVoKbEkEVHbsiIjLQ7c8vEYwbFRBUlyxdJTmIS5tQ',
    hint: 'check ~/.ssh/config and /usr/sbin/ipset, or pass --ssh-insecure-skip-host-key-check',
  });
  return s;
}

test('MACs keep their shape and the IPv6 interface IDs made from them follow', () => {
  const r = redactSnapshot(snapshot());
  const links = JSON.parse(r.nodes[0]!.commands['ip-addr']!.stdout) as { address: string; broadcast: string; permaddr?: string; addr_info: { local: string }[] }[];
  const eth0 = links[1]!;
  assert.match(eth0.address, /^02:00:00:00:00:0[1-9]$/);
  assert.match(eth0.permaddr!, /^02:00:00:00:00:0[1-9]$/);
  assert.notEqual(eth0.permaddr, eth0.address);
  assert.equal(eth0.broadcast, 'ff:ff:ff:ff:ff:ff');
  assert.equal(links[0]!.address, '00:00:00:00:00:00');
  assert.equal(eth0.addr_info[1]!.local, linkLocal(eth0.address), 'the link-local address is the one the kernel derives from the new MAC');
  assert.equal(eth0.addr_info[0]!.local, '192.168.0.2');
});

test('UIDs and ss processes become numbered pseudonyms, equal where the originals were equal', () => {
  const r = redactSnapshot(snapshot());
  const text = JSON.stringify(r);
  assert.ok(!text.includes('7f3c9a10') && !text.includes('acme-agent') && !text.includes('4242'));
  const sliceUid = (r.cluster.endpointSlices[0]!.endpoints as { targetRef: { uid: string } }[])[0]!.targetRef.uid;
  assert.match(sliceUid, /^00000000-0000-4000-8000-\d{12}$/);
  assert.equal(r.cluster.services[0]!.metadata.uid, sliceUid);
  assert.equal(r.nodes[0]!.commands['listening-sockets']!.stdout, 'tcp LISTEN 0 4096 0.0.0.0:9100 0.0.0.0:* users:(("process-1",pid=1,fd=7),("process-1",pid=2,fd=7))\n');
});

test('login users, SSH hosts, key files and fingerprints in errors; generic paths stay readable', () => {
  const r = redactSnapshot(snapshot());
  const e = r.errors.find((x) => x.what.startsWith('authenticate'))!;
  assert.match(e.what, /^authenticate as user-1@ssh-host-\d+ \(jump host ssh-host-\d+ \(24\d\.\d+\.113\.9:22\), hop 1 of 2\)$/);
  assert.match(e.why, /refused every key tried: path-\d+, ssh-agent \(path-\d+\); host key SHA256:fingerprint-1$/);
  assert.equal(e.hint, 'check ~/.ssh/config and /usr/sbin/ipset, or pass --ssh-insecure-skip-host-key-check');
  const stderr = r.nodes[0]!.commands['ipset-list']!.stderr;
  assert.ok(stderr.includes('required for user-1 to run') && stderr.includes('"user-1 ALL=(root)') && stderr.includes('--ssh-user root'), stderr);
  assert.doesNotMatch(JSON.stringify(r), /alice|bastion|corp\.example|acme_deploy|XXXXabcd|uNiVoKbE/);
});

test('Services and namespaces named only in kube-proxy\'s rules are renamed; system ones stay', () => {
  const r = redactSnapshot(snapshot());
  const text = JSON.stringify(r);
  assert.doesNotMatch(text, /payments|billing|ledger/);
  const dump = r.nodes[0]!.commands['iptables-nft-save']!.stdout;
  assert.match(dump, /--comment "ns-\d+\/svc-\d+:grpc has no endpoints"/);
  assert.ok(dump.includes('--comment "kube-system/kube-dns:dns has no endpoints"'));
  const nft = r.nodes[0]!.commands['nft-ruleset']!.stdout;
  assert.ok(nft.includes('"name":"kube-proxy"'), 'a container named "proxy" does not cut into the nft table name');
  assert.match(nft, /"comment":"ns-\d+\/svc-\d+:http"/);
  assert.match(nft, /"target":"service-[A-Z2-7]{8}-ns-\d+\/svc-\d+\/tcp\/http"/);
  assert.doesNotMatch(nft, /ULMVA6XW|ABCDEFGH/);
});

test('container names and Namespaces are redacted like the names they are', () => {
  const r = redactSnapshot(snapshot());
  assert.match((r.cluster.pods[0]!.spec as { containers: { name: string }[] }).containers[0]!.name, /^container-\d+$/);
  const [shop, payments, system] = r.cluster.namespaces!;
  assert.equal(shop!.metadata.name, r.target.namespace);
  assert.equal(shop!.metadata.labels!['kubernetes.io/metadata.name'], r.target.namespace, 'namespaceSelector on the name label still matches');
  assert.match(shop!.metadata.labels!.team!, /^label-\d+$/);
  assert.match(payments!.metadata.name, /^ns-\d+$/);
  assert.equal(system!.metadata.name, 'kube-system');
});

test('chain hashes: shape, prefix and jumps survive; a clash never merges two chains', () => {
  const chains = new ChainHashes(new Uint8Array(32));
  const dump = ':KUBE-SVC-PY4JZH2ITZYEO4CN - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-PY4JZH2ITZYEO4CN\n-A KUBE-SVC-PY4JZH2ITZYEO4CN -j KUBE-SEP-AAAAAAAAAAAAAAAA\n-A KUBE-EXTERNAL-SERVICES -j KUBE-FIREWALL\n';
  const r = chains.rewrite(dump);
  const [svc] = r.match(/KUBE-SVC-[A-Z2-7]{16}/)!;
  assert.notEqual(svc, 'KUBE-SVC-PY4JZH2ITZYEO4CN');
  assert.equal(r.split(svc).length - 1, 3, 'declaration, jump and rules name the same chain');
  assert.match(r, /-j KUBE-SEP-[A-Z2-7]{16}\n/);
  assert.ok(r.includes('KUBE-EXTERNAL-SERVICES -j KUBE-FIREWALL'), 'fixed chain names are not hashes');
  assert.equal(chains.rewrite('KUBE-SVC-PY4JZH2ITZYEO4CN'), svc, 'the same mapping in every dump');
  const many = new Set(Array.from({ length: 5000 }, (_, i) => chains.rewrite(`endpoint-${i.toString(32).toUpperCase().padStart(8, 'A').replace(/[01]/g, 'A').replace(/[89]/g, 'B')}-x`)));
  assert.ok(many.size > 1000);
});
