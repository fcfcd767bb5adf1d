/**
 * IPv6 and dual-stack questions end to end, on scenario-kit clusters given their IPv6 half by
 * test/support/dual-stack-fixture.ts: the family a question replays (pinned by --from / --node-ip,
 * else the Service's ipFamilies), that family's rules, addresses and EndpointSlices, one verdict
 * per family for a dual-stack Service, findings merged across families, and the exit code of the
 * worst family.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { exitCodeFor } from '../../src/cli/diagnose-common.js';
import { runDiagnosis, type Diagnosis } from '../../src/diagnose.js';
import { ClusterModel } from '../../src/model/cluster.js';
import { observedModes } from '../../src/model/proxy-mode.js';
import { ReportSchema } from '../../src/report/model.js';
import { scanTable } from '../../src/report/scan-text.js';
import { renderReport } from '../../src/report/text.js';
import { buildContext, QuestionError, type Ask } from '../../src/run/question.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { dualStack, v6Of, type DualStackOptions } from '../support/dual-stack-fixture.js';
import { baseCluster, buildScenarioSnapshot } from '../support/scenario-kit/index.js';

const BASE = buildScenarioSnapshot(baseCluster());
const snap = (o: DualStackOptions = {}): Snapshot => dualStack(structuredClone(BASE), o);
const ASK: Ask = { namespace: 'shop', service: 'frontend' };
const diagnose = (s: Snapshot, ask: Partial<Ask> = {}): Promise<Diagnosis> => runDiagnosis(s, { ...ASK, ...ask }, { checks: CHECKS });

/** node-1's ip6tables FORWARD drops the pods' port: IPv6 NodePort connections entering there time out; IPv4 is untouched. */
const V6_FORWARD_DROP: DualStackOptions = {
  editIp6tables: (node, text) => (node !== 'node-1' ? text : text.replace(
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"',
    '-A FORWARD -p tcp -m tcp --dport 8080 -j DROP\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"',
  )),
};

const NODE1_V6 = v6Of('192.168.1.101');

describe('the family a question replays', () => {
  const dual = snap();
  const cases: [string, Partial<Ask>, 4 | 6, string][] = [
    ['--from an IPv6 address', { from: '2001:db8::9', node: 'node-1' }, 6, NODE1_V6],
    ['--from [IPv6]:port', { from: '[2001:db8::9]:41000', node: 'node-1' }, 6, NODE1_V6],
    ['--node-ip an IPv6 address of a node', { nodeIp: NODE1_V6 }, 6, NODE1_V6],
    ['--node-ip typed in capitals and long form: read as the kernel prints it', { nodeIp: 'FD00:C0:A8:1:0:0:0:65' }, 6, NODE1_V6],
    ['--from an IPv4 address on a dual-stack Service', { from: '198.51.100.4', node: 'node-1' }, 4, '192.168.1.101'],
    ['nothing pinned: the primary family (spec.ipFamilies[0])', { node: 'node-1' }, 4, '192.168.1.101'],
  ];
  for (const [name, ask, family, address] of cases) {
    test(name, () => {
      const a = buildContext(dual, { ...ASK, ...ask });
      assert.equal(a.question.family, family);
      assert.deepEqual(a.question.ingress, [{ node: 'node-1', address }]);
      assert.equal(a.question.client.ip.includes(':'), family === 6);
      // The family's own rules were replayed: every ingress hop cites that family's dump.
      const sources = new Set(a.paths.flatMap((p) => p.walk?.outcomes.flatMap((o) => o.hops.map((h) => h.source)) ?? []));
      assert.deepEqual([...sources].filter((s) => s !== undefined).map((s) => s.split(':')[1]), [family === 6 ? 'ip6tables-nft-save' : 'iptables-nft-save']);
      // …and the family's EndpointSlices: every branch reaches a pod at an address of the family.
      assert.ok(a.paths[0]!.branches.every((b) => b.backend !== null && b.backend.ip.includes(':') === (family === 6)), JSON.stringify(a.paths[0]!.branches.map((b) => b.backend)));
    });
  }
  test('--from and --node-ip of different families: the user is told, nothing is guessed', () => {
    assert.throws(() => buildContext(dual, { ...ASK, from: '198.51.100.4', nodeIp: NODE1_V6 }), (e: unknown) =>
      e instanceof QuestionError && /--node-ip fd00:c0:a8:1::65 is IPv6, but --from 198\.51\.100\.4 is IPv4/.test(e.message));
  });
  test('spec.ipFamilies [IPv6, IPv4]: IPv6 is the primary family', () => {
    assert.equal(buildContext(snap({ families: [6, 4] }), ASK).question.family, 6);
  });
});

describe('a dual-stack Service: one verdict per family', () => {
  test('healthy in both families: each answers, exit 0, a valid Report', async () => {
    const d = await diagnose(snap());
    assert.equal(d.report.verdict.summary, 'IPv4 answers; IPv6 answers');
    assert.deepEqual(d.report.verdict.families?.map((f) => [f.family, f.client.ip, f.nodes.map((n) => n.result)]), [
      [4, '203.0.113.7', ['delivered', 'delivered', 'delivered']],
      [6, '2001:db8::7', ['delivered', 'delivered', 'delivered']],
    ]);
    assert.deepEqual(d.report.paths.map((p) => `${p.family} ${p.node}`), ['4 node-1', '4 node-2', '4 node-3', '6 node-1', '6 node-2', '6 node-3']);
    assert.deepEqual(d.report.findings, []);
    assert.equal(exitCodeFor([d], 'error'), 0);
    ReportSchema.parse(d.report);
  });

  test('broken in IPv6 only: IPv4 answers, IPv6 times out with the rule that drops it, exit 1', async () => {
    const d = await diagnose(snap(V6_FORWARD_DROP));
    const { verdict, findings } = d.report;
    assert.match(verdict.summary, /^IPv4 answers; IPv6: connections to port 30080 time out on node-1 \(fd00:c0:a8:1::65\); reach a pod on node-2 .*: node-1 drops NodePort 30080 connections forwarded to .*filter\/FORWARD line \d+ `-A FORWARD -p tcp -m tcp --dport 8080 -j DROP`/);
    assert.deepEqual(verdict.families?.map((f) => [f.family, f.nodes.map((n) => n.result)]), [
      [4, ['delivered', 'delivered', 'delivered']],
      [6, ['timeout', 'delivered', 'delivered']],
    ]);
    assert.deepEqual(findings.map((f) => [f.id, f.family, f.node]), [['host-firewall-drop', 6, 'node-1']]);
    const [f] = findings;
    assert.ok(f!.evidence.some((e) => e.kind === 'rule' && e.source === 'node-1:ip6tables-nft-save'), 'the evidence cites the ip6tables dump');
    assert.match(f!.remediation.commands[0]!, /^ip6tables -t filter -I FORWARD 1 -d fd00:a:f4::\/48 -p tcp --dport 8080 -j ACCEPT$/);
    assert.equal(exitCodeFor([d], 'error'), 1);
    const text = renderReport(d.report, { color: false });
    assert.match(text, /ERROR IPv6: A host firewall drops NodePort traffic \(node-1\)/);
    assert.match(text, /Paths from 203\.0\.113\.7 \(IPv4\)\n {2}✓ node-1 192\.168\.1\.101:30080\/tcp {2}delivered/);
    assert.match(text, /Paths from 2001:db8::7 \(IPv6\)\n {2}✗ node-1 \[fd00:c0:a8:1::65\]:30080\/tcp {2}timeout/);
    // scan: one row, the worst family's health, saying which family fails.
    const frontend = new ClusterModel(snap(V6_FORWARD_DROP)).services.find((s) => s.name === 'frontend')!;
    assert.match(scanTable([frontend], { color: false, width: 200 }).row(frontend, d.report), /^✗ shop +frontend +.*host-firewall-drop: IPv4 answers; IPv6 times out via node-1\n$/);
  });

  test('a finding alike in both families is reported once, without a family', async () => {
    const s = snap();
    s.cluster.endpointSlices = s.cluster.endpointSlices.filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] !== 'frontend');
    const d = await diagnose(s);
    const own = d.report.findings.filter((f) => f.id === 'no-ready-endpoints');
    assert.equal(own.length, 1, d.report.findings.map((f) => `${f.id} ${f.family}`).join(', '));
    assert.equal(own[0]!.family, undefined);
    assert.match(d.report.verdict.summary, /^IPv4: .*; IPv6: /);
  });

  test('IPv6 forwarding off on node-1: ip-forward-disabled names the IPv6 sysctl, for IPv6 only', async () => {
    const d = await diagnose(snap({ ipv6Forwarding: { 'node-1': false } }));
    const f = d.report.findings.filter((x) => x.id === 'ip-forward-disabled');
    assert.deepEqual(f.map((x) => [x.node, x.family]), [['node-1', 6]]);
    assert.ok(f[0]!.evidence.some((e) => e.kind === 'sysctl' && e.name === 'net.ipv6.conf.all.forwarding' && e.value === '0'));
    assert.match(f[0]!.message, /net\.ipv6\.conf\.all\.forwarding = 0/);
  });
});

describe('an IPv6-only Service', () => {
  test('one family, IPv6: its paths, rules and verdict', async () => {
    const d = await diagnose(snap({ families: [6] }));
    assert.deepEqual(d.report.verdict.families?.map((f) => f.family), [6]);
    assert.equal(d.report.verdict.summary, 'connections to port 30080 reach a pod on node-1 (fd00:c0:a8:1::65), node-2 (fd00:c0:a8:1::66), node-3 (fd00:c0:a8:1::67)');
    assert.deepEqual(d.report.target.client, { ip: '2001:db8::7', port: 40000 });
    assert.equal(exitCodeFor([d], 'error'), 0);
  });
});

test('nftables mode: IPv6 is replayed through `table ip6 kube-proxy`, and that is the mode IPv6 shows', async () => {
  const spec = baseCluster({ kubernetesVersion: 'v1.34.1' });
  spec.kubeProxy.mode = 'nftables';
  const s = dualStack(buildScenarioSnapshot(spec));
  const d = await diagnose(s);
  assert.equal(d.report.verdict.summary, 'IPv4 answers; IPv6 answers');
  const v6Hops = d.report.paths.filter((p) => p.family === 6).flatMap((p) => p.branches.flatMap((b) => b.stages[0]?.hops ?? []));
  assert.ok(v6Hops.some((h) => h.family === 'ip6' && h.table === 'kube-proxy' && h.chain === 'services'));
  assert.ok(!v6Hops.some((h) => h.family === 'ip'), 'no IPv4 rule in an IPv6 walk');
  assert.deepEqual(observedModes(new ClusterModel(s), 'node-1', 6)?.map((o) => o.evidence.replace(/\d+ chains/, 'N chains')), ['nft table ip6 kube-proxy (N chains)']);
});

test('IPVS mode: IPv6 virtual services are not replayed, so IPv6 is undecided there and says why; IPv4 is replayed', async () => {
  const spec = baseCluster();
  spec.kubeProxy.mode = 'ipvs';
  const d = await diagnose(dualStack(buildScenarioSnapshot(spec)));
  const [v4, v6] = d.report.verdict.families ?? [];
  assert.deepEqual(v4?.nodes.map((n) => n.result), ['delivered', 'delivered', 'delivered']);
  assert.deepEqual(v6?.nodes.map((n) => n.result), ['indeterminate', 'indeterminate', 'indeterminate']);
  assert.match(v6?.nodes[0]?.why ?? "", /node-1 has IPv6 IPVS virtual services \(kube-proxy in IPVS mode\), which np-doctor does not replay yet/);
  assert.equal(exitCodeFor([d], 'error'), 3);
});

test('the kube-proxy mode of a family is read from that family\'s rules', () => {
  const m = new ClusterModel(snap());
  assert.deepEqual(observedModes(m, 'node-1', 6)?.map((o) => o.evidence), ['nat KUBE-NODEPORTS / KUBE-SVC-* chains in node-1:ip6tables-nft-save']);
  // The plain kit snapshot has empty ip6tables dumps: no IPv6 rules, so no IPv6 mode.
  assert.deepEqual(observedModes(new ClusterModel(BASE), 'node-1', 6), []);
});
