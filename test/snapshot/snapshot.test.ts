import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEMAS } from '../../scripts/write-schemas.js';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import { walk } from '../../src/engine/walk/walk.js';
import { loadSnapshot, parseSnapshot, SnapshotError } from '../../src/snapshot/file.js';
import { saveSnapshot } from '../../src/snapshot/stream-write.js';
import { findNode, nodeView } from '../../src/model/node-view.js';
import { redactSnapshot } from '../../src/snapshot/redact.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'npd-snap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const schema = JSON.parse(readFileSync('schema/snapshot.v1.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

test('save and load round-trip, plain and gzipped; gzip is recognised by its bytes, not its name', async () => {
  const s = buildSnapshot();
  for (const name of ['a.json', 'b.json.gz']) {
    await saveSnapshot(s, join(dir, name));
    assert.deepEqual(await loadSnapshot(join(dir, name)), s);
  }
  assert.equal(readFileSync(join(dir, 'b.json.gz'))[0], 0x1f);
  writeFileSync(join(dir, 'renamed.json'), gzipSync(JSON.stringify(s)));
  assert.deepEqual(await loadSnapshot(join(dir, 'renamed.json')), s);
});

test('a snapshot from a newer np-doctor says so and what to do', () => {
  const doc = { ...buildSnapshot(), apiVersion: 'np-doctor/v2' };
  assert.throws(() => parseSnapshot(Buffer.from(JSON.stringify(doc)), 'new.json'), (e: unknown) =>
    e instanceof SnapshotError && /new\.json: written by a newer np-doctor \(apiVersion "np-doctor\/v2"\).*upgrade np-doctor/.test(e.message));
});

test('broken snapshots name the file and the field', () => {
  const bad = buildSnapshot() as unknown as { nodes: { commands: Record<string, { stdout: unknown }> }[] };
  bad.nodes[0]!.commands['ip-addr']!.stdout = 42;
  assert.throws(() => parseSnapshot(Buffer.from(JSON.stringify(bad)), 'bad.json'),
    /bad\.json: not a valid np-doctor\/v1 snapshot:\n {2}nodes\.0\.commands\.ip-addr\.stdout: .*expected string/);
  assert.throws(() => parseSnapshot(Buffer.from('{"apiVersion": "v1", "kind": "Pod"}'), 'pod.json'), /pod\.json: not an np-doctor snapshot \(apiVersion is "v1"/);
  assert.throws(() => parseSnapshot(Buffer.from('{"apiVersion": '), 'cut.json'), /cut\.json: not JSON/);
  assert.throws(() => parseSnapshot(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'x.gz'), /x\.gz: not a readable gzip file/);
});

test('the published JSON Schema is the one the code defines, and it accepts snapshots and rejects broken ones', () => {
  for (const [file, make] of Object.entries(SCHEMAS)) {
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), make(), `${file} is stale: run npm run schema`);
  }
  assert.equal(validate(buildSnapshot()), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...buildSnapshot(), nodes: [{ name: 'x' }] }), false);
});

test('redact replaces names, labels, images, the context and public addresses everywhere, consistently', () => {
  const original = buildSnapshot();
  const r = redactSnapshot(original);
  const text = JSON.stringify(r);
  for (const secret of ['frontend', 'shop', 'node-a', 'checkout', 'prod-eu', 'registry.corp', 'api.prod.example.com', '203.0.113.50', '198.51.100.20', '8.8.8.8']) {
    assert.ok(!text.includes(secret), `${secret} survived redaction`);
  }
  // Cluster-internal addresses stay: they are what the analysis is about and reveal nothing.
  for (const kept of ['10.244.1.5', '192.168.0.2', 'kube-proxy-x7k2p', '30080']) assert.ok(text.includes(kept), `${kept} was lost`);
  const svc = r.cluster.services[0]!;
  assert.match(svc.metadata.name, /^svc-\d+$/);
  assert.deepEqual(r.target, { namespace: svc.metadata.namespace, service: svc.metadata.name });
  // The rule comment uses the same pseudonyms as the objects.
  const dump = r.nodes[0]!.commands['iptables-nft-save']!.stdout;
  assert.ok(dump.includes(`--comment "${svc.metadata.namespace}/${svc.metadata.name}:http"`), dump);
  assert.equal(r.nodes[0]!.name, r.cluster.nodes[0]!.metadata.name);
  assert.equal(r.cluster.endpointSlices[0]!.metadata.labels?.['kubernetes.io/service-name'], svc.metadata.name);
  assert.equal(r.redacted, true);
  assert.deepEqual(redactSnapshot(original), r, 'the same input gives the same pseudonyms');
  assert.equal(validate(r), true, JSON.stringify(validate.errors));
});

test('redact also covers selectors, custom label keys, annotations, node identity, IPv6 and the Corefile', () => {
  const s = buildSnapshot();
  const netpol = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-billing', namespace: 'shop', labels: { 'team.corp-secret.example/owner': 'payments-team' } },
    spec: { podSelector: { matchExpressions: [{ key: 'team.corp-secret.example/owner', operator: 'In', values: ['billing-secret'] }] },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'payments-team' } } }, { ipBlock: { cidr: '203.0.113.0/24' } }] }] } };
  s.cluster.networkPolicies.push(netpol);
  const svc = s.cluster.services[0]!;
  svc.metadata.annotations = { 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': 'arn:aws:acm:eu-west-1:123456789012:certificate/x', 'service.kubernetes.io/topology-mode': 'Auto' };
  (s.cluster.pods[0]!.spec as Record<string, unknown>).serviceAccountName = 'billing-sa';
  const node = s.cluster.nodes[0]!;
  node.spec = { providerID: 'aws:///eu-west-1a/i-0abc123', podCIDR: '10.244.1.0/24' };
  (node.status as { addresses: { type: string; address: string }[] }).addresses.push({ type: 'ExternalDNS', address: 'ec2-54-12-34-56.eu-west-1.compute.amazonaws.com' }, { type: 'InternalIP', address: '2a01:4f8:1:2::5' });
  s.cluster.coreDns.corefile = '.:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . 8.8.8.8\n}\ncorp-secret.example:53 {\n    forward . 10.0.0.53\n}\n';
  s.nodes[0]!.commands['ip6tables-nft-save'] = { argv: ['ip6tables-nft-save'], exitCode: 0, stderr: '', stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2a01:4f8:1:2::/64 -j ACCEPT\nCOMMIT\n' };
  const r = redactSnapshot(s);
  const text = JSON.stringify(r);
  for (const secret of ['corp-secret', 'payments-team', 'billing-secret', 'billing-sa', '123456789012', 'i-0abc123', 'ec2-54-12-34-56', '2a01:4f8', 'allow-billing']) {
    assert.ok(!text.includes(secret), `${secret} survived redaction`);
  }
  assert.ok(text.includes('cluster.local in-addr.arpa ip6.arpa'), 'the cluster domain stays');
  assert.ok(text.includes('service.kubernetes.io/topology-mode'), 'annotations kube-proxy reads stay');
  // The same label value gets the same pseudonym in labels and in selectors.
  const rp = r.cluster.networkPolicies[0]!;
  const [[labelKey, labelValue]] = Object.entries(rp.metadata.labels ?? {}) as [[string, string]];
  const spec = rp.spec as { podSelector: { matchExpressions: { key: string; values: string[] }[] }; ingress: { from: ({ namespaceSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } })[] }[] };
  assert.equal(spec.podSelector.matchExpressions[0]!.key, labelKey);
  assert.equal(spec.ingress[0]!.from[0]!.namespaceSelector!.matchLabels.team, labelValue);
  // Prefixes survive: the client stays inside the redacted ipBlock, the v6 address inside its rule's /64.
  const cidr = spec.ingress[0]!.from[1]!.ipBlock!.cidr;
  const client = (r.cluster.services[0]!.spec as { externalIPs: string[] }).externalIPs[0]!;
  assert.equal(cidr.split('.').slice(0, 3).join('.'), client.split('.').slice(0, 3).join('.'), `${client} in ${cidr}`);
  assert.match(r.nodes[0]!.commands['ip6tables-nft-save']!.stdout, /-A INPUT -s 3fff:0:0:2::\/64 -j ACCEPT/);
  assert.equal(validate(r), true, JSON.stringify(validate.errors));
});

test('a redacted snapshot replays to the same outcome as the original', () => {
  const outcome = (s: Snapshot) => {
    const view = nodeView(s.nodes[0]!, 4);
    const rulesets = view.dumps.map((d) => parseIptablesSave(d.text, { source: 'x' }));
    return walk(rulesets, view.context, { src: '192.168.0.9', sport: 40000, dst: '192.168.0.2', dport: 30080, proto: 'tcp', inIface: 'eth0' })
      .outcomes.map((o) => ({ verdict: o.verdict, dnat: o.dnat, lines: o.hops.map((h) => h.line) }));
  };
  const before = outcome(buildSnapshot());
  assert.deepEqual(before[0]?.dnat, { ip: '10.244.1.5', port: 8080 });
  assert.deepEqual(outcome(redactSnapshot(buildSnapshot())), before);
});

test('nodeView reads addresses with prefix and interface, main-table routes, sysctls, and the non-empty dumps', () => {
  const s = buildSnapshot();
  const view = nodeView(findNode(s, 'node-a'), 4);
  assert.deepEqual(view.context.localIps, ['127.0.0.1/8', '192.168.0.2/24']);
  assert.deepEqual(view.context.interfaceOf, { '127.0.0.1': 'lo', '192.168.0.2': 'eth0' });
  assert.deepEqual(view.context.routes, [{ dst: 'default', dev: 'eth0' }, { dst: '10.244.1.5', dev: 'cali1' }]);
  assert.deepEqual(view.context.sysctls, { ipForward: true, routeLocalnet: true });
  assert.deepEqual(view.dumps.map((d) => d.source), ['node-a:iptables-nft-save']);
  assert.throws(() => findNode(s, 'node-z'), /node "node-z" is not in the snapshot \(nodes read: node-a\)/);
  assert.throws(() => nodeView(s.nodes[0]!, 6), /no readable ip6tables dump/);
});
