/**
 * `diagnose` and `scan` on a dual-stack snapshot file: IPv6 --from / --node-ip, --family, the
 * per-family verdict in text and JSON, and the exit code of the worst family.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ReportSchema } from '../../src/report/model.js';
import { serializeSnapshot } from '../../src/snapshot/file.js';
import { dualStack, v6Of } from '../support/dual-stack-fixture.js';
import { runMain } from '../support/run-main.js';
import { baseCluster, buildScenarioSnapshot } from '../support/scenario-kit/index.js';

const dir = mkdtempSync(join(tmpdir(), 'np-doctor-dual-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'dual.json');
// IPv6 is broken on node-1 (its ip6tables FORWARD drops the pods' port); IPv4 is healthy.
writeFileSync(file, serializeSnapshot(dualStack(buildScenarioSnapshot(baseCluster()), {
  editIp6tables: (node, text) => (node !== 'node-1' ? text : text.replace(':KUBE-SERVICES - [0:0]\n-A INPUT', ':KUBE-SERVICES - [0:0]\n-A FORWARD -p tcp -m tcp --dport 8080 -j DROP\n-A INPUT')),
}), false));
const diagnose = (...flags: string[]) => runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', file, ...flags]);

test('both families: text says which answers and which does not; exit 1', async () => {
  const r = await diagnose();
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^✗ shop\/frontend: IPv4 answers; IPv6 times out via node-1 — host-firewall-drop\n {2}IPv4 answers; IPv6: connections to port 30080 time out on node-1\s+\(fd00:c0:a8:1::65\)/);
  assert.match(r.out, /IPv4 client 203\.0\.113\.7:40000,\s+IPv6 client \[2001:db8::7\]:40000/);
});

test('JSON: verdict.families, primary first, and a Report the schema accepts', async () => {
  const r = await diagnose('-o', 'json');
  const report = ReportSchema.parse(JSON.parse(r.out));
  assert.deepEqual(report.verdict.families?.map((f) => [f.family, f.nodes.map((n) => n.result).join(' ')]), [[4, 'delivered delivered delivered'], [6, 'timeout delivered delivered']]);
  assert.deepEqual(report.findings.map((f) => [f.id, f.family]), [['host-firewall-drop', 6]]);
});

test('pinned to IPv4 by --from, --family or an IPv4 --node-ip: one family, healthy, exit 0', async () => {
  for (const flags of [['--from', '198.51.100.4:41000'], ['--family', '4'], ['--node-ip', '192.168.1.101']]) {
    const r = await diagnose(...flags);
    assert.equal(r.code, 0, `${flags.join(' ')}: ${r.out}`);
    assert.doesNotMatch(r.out, /IPv6/, flags.join(' '));
  }
});

test('pinned to IPv6 by an IPv6 --node-ip and [IPv6]:port --from: the failing node, exit 1', async () => {
  const r = await diagnose('--node-ip', v6Of('192.168.1.101'), '--from', '[2001:db8::9]:41000');
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^✗ shop\/frontend: times out via node-1 — host-firewall-drop\n {2}connections to \[fd00:c0:a8:1::65\]:30080 time out: node-1 drops NodePort 30080\s+connections/);
  assert.match(r.out, /client \[2001:db8::9\]:41000/);
});

test('a question mixing families, or a family that is neither 4 nor 6, is a usage error', async () => {
  const mixed = await diagnose('--node-ip', v6Of('192.168.1.101'), '--from', '198.51.100.4');
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /--node-ip fd00:c0:a8:1::65 is IPv6, but --from 198\.51\.100\.4 is IPv4: a connection has one address family/);
  const bad = await diagnose('--family', '5');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--family 5: use 4 or 6/);
});

test('scan: one row per Service, the worst family decides its mark, the row names the top finding', async () => {
  const r = await runMain(['scan', '--snapshot', file, '-n', 'shop']);
  assert.equal(r.code, 1);
  // Piped, 80 columns: what a client sees per family is cut from the last column (test/run/dual-stack.test.ts has the whole row).
  assert.match(r.out, /^✗ shop +frontend +NodePort +30080\/TCP +Cluster +host-firewall-drop: IPv4 .*…$/m);
});
