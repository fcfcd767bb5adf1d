/**
 * Acceptance: diagnose names the same root causes whatever mode kube-proxy runs in. Each pair is
 * one broken cluster with kube-proxy in iptables mode and the same cluster in nftables mode
 * (whose rules, maps and chains differ entirely); the checks that fire must be the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';

const PAIRS: { cause: string; iptables: string; nftables: string; nodeIp?: string }[] = [
  { cause: 'etp-local-no-local-endpoint', iptables: 'etp-local-pod-elsewhere', nftables: 'nftables-etp-local-pod-elsewhere' },
  { cause: 'no-ready-endpoints', iptables: 'selector-typo', nftables: 'nftables-selector-typo' },
  { cause: 'nodeport-addresses-excluded', iptables: 'nodeport-addresses-secondary-ip', nftables: 'nftables-primary-secondary-ip', nodeIp: '192.168.1.201' },
];

async function findingIds(scenario: string, nodeIp: string | undefined): Promise<string[]> {
  const file = `test/scenarios/${scenario}/snapshot.json`;
  const report = await diagnose(await loadSnapshot(file), { namespace: 'shop', service: 'frontend', ...(nodeIp ? { nodeIp } : {}) }, { checks: CHECKS, snapshotFile: file });
  return [...new Set(report.findings.map((f) => f.id))].sort();
}

for (const p of PAIRS) {
  test(`${p.cause}: the same root cause in iptables and nftables mode`, async () => {
    const [a, b] = [await findingIds(p.iptables, p.nodeIp), await findingIds(p.nftables, p.nodeIp)];
    assert.deepEqual(b, a);
    assert.ok(a.includes(p.cause), `${p.iptables}: ${a.join(', ')}`);
  });
}

test('the nftables demo names the demo\'s root causes, in nftables terms', async () => {
  const snapshot = await loadSnapshot('examples/demo-nftables.json');
  const run = async (service: string, nodeIp?: string) => (await diagnose(snapshot, { namespace: 'shop', service, ...(nodeIp ? { nodeIp } : {}) }, { checks: CHECKS })).findings;
  const frontend = await run('frontend');
  assert.match(frontend.find((f) => f.id === 'etp-local-no-local-endpoint')?.message ?? '', /map no-endpoint-nodeports with verdict drop/);
  assert.ok((await run('checkout')).some((f) => f.id === 'no-ready-endpoints'));
  const vip = await run('frontend', '192.168.1.201');
  assert.match(vip.find((f) => f.id === 'nodeport-addresses-excluded')?.message ?? '', /nodeport-ips \(192\.168\.1\.101\).*"primary"/);
});
