/**
 * The family-specific parts of fixes (checks/lib/family.ts): an IPv6 question gets ip6tables
 * commands, the IPv6 pod CIDR and the IPv6 forwarding sysctl, and no command at all where the
 * cluster lists no pod CIDR of the family (never prose in a command line).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import forwardPolicyDrop from '../../../checks/forward-policy-drop.js';
import iptablesBackendSplit from '../../../checks/iptables-backend-split.js';
import { podCidrsOf } from '../../../checks/lib/family.js';
import unexpectedSnat from '../../../checks/unexpected-snat.js';
import { renderCommand, type Check } from '../../../src/check-kit/index.js';
import type { Snapshot } from '../../../src/snapshot/schema.js';
import { dualStack } from '../../support/dual-stack-fixture.js';
import { caseContext, type CheckCase } from '../tester.js';

const commandsOf = async (check: Check, c: CheckCase) => {
  const { ctx } = await caseContext(c);
  const findings = await check.run(ctx);
  assert.ok(findings.length > 0, `${check.id} finds something in ${c.scenario}`);
  return findings.flatMap((f) => f.remediation?.commands.map(renderCommand) ?? []);
};

const IPV6 = { from: '2001:db8::9' };
const dual = (s: Snapshot) => Object.assign(s, dualStack(s));
/** Dual-stack, but neither kube-proxy's clusterCIDR nor the nodes list an IPv6 pod CIDR. */
const noPodCidr6 = (s: Snapshot) => {
  dual(s);
  const config = s.cluster.kubeProxy.config;
  if (config?.clusterCIDR != null) config.clusterCIDR = config.clusterCIDR.split(',').filter((c) => !c.includes(':')).join(',');
  for (const n of s.cluster.nodes) {
    const spec = n.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
    if (spec?.podCIDRs !== undefined) spec.podCIDRs = spec.podCIDRs.filter((c) => !c.includes(':'));
    if (spec?.podCIDR?.includes(':') === true) spec.podCIDR = spec.podCIDRs?.[0];
  }
};

describe('podCidrsOf', () => {
  test('keeps the CIDRs of the family asked for', () => {
    const cidrs = ['10.244.1.0/24', 'fd00:10:244:1::/64', '10.244.2.0/24'];
    assert.deepEqual(podCidrsOf(cidrs, 4), ['10.244.1.0/24', '10.244.2.0/24']);
    assert.deepEqual(podCidrsOf(cidrs, 6), ['fd00:10:244:1::/64']);
    assert.deepEqual(podCidrsOf(['not a cidr'], 4), []);
  });
});

describe('an IPv6 question gets IPv6 fixes', () => {
  test('forward-policy-drop: ip6tables, the IPv6 pod CIDR, and net.ipv6.conf.all.forwarding for Docker', async () => {
    const commands = await commandsOf(forwardPolicyDrop, { scenario: 'docker-forward-drop', ask: IPV6, snapshot: dual });
    assert.ok(commands.includes('ip6tables -I FORWARD -d fd00:a:f4::/48 -j ACCEPT'), commands.join('\n'));
    assert.ok(commands.includes('echo net.ipv6.conf.all.forwarding=1 | tee /etc/sysctl.d/99-kubernetes-ip-forward.conf'), commands.join('\n'));
    assert.deepEqual(commands.filter((c) => /^iptables |ipv4/.test(c)), []);
  });
  test('forward-policy-drop: no pod-CIDR rule when no IPv6 pod CIDR is listed', async () => {
    const commands = await commandsOf(forwardPolicyDrop, { scenario: 'docker-forward-drop', ask: IPV6, snapshot: noPodCidr6 });
    assert.ok(commands.includes('ip6tables -P FORWARD ACCEPT'), commands.join('\n'));
    assert.deepEqual(commands.filter((c) => /FORWARD -[ds] |pod CIDR/.test(c)), []);
  });
  test('unexpected-snat: the IPv6 pod CIDR in ip-masq-agent\'s config, no patch when none is listed', async () => {
    const listed = await commandsOf(unexpectedSnat, { scenario: 'ip-masq-agent-snats-local', ask: IPV6, snapshot: dual });
    assert.ok(listed.some((c) => c.startsWith('kubectl -n kube-system patch configmap ip-masq-agent') && c.includes('- fd00:a:f4::/48')), listed.join('\n'));
    assert.ok(listed.includes('ip6tables -t nat -S IP-MASQ-AGENT'), listed.join('\n'));
    const none = await commandsOf(unexpectedSnat, { scenario: 'ip-masq-agent-snats-local', ask: IPV6, snapshot: noPodCidr6 });
    assert.deepEqual(none, ['kubectl -n kube-system get configmap ip-masq-agent -o yaml', 'ip6tables -t nat -S IP-MASQ-AGENT']);
  });
  test('iptables-backend-split: the leftover IPv6 rules are rewritten with ip6tables-legacy-save/-restore', async () => {
    const commands = await commandsOf(iptablesBackendSplit, { scenario: 'iptables-legacy-nft-split', ask: IPV6, snapshot: dual });
    assert.equal(commands[0], "ip6tables-legacy-save | grep -v -e '^:KUBE-' -e '^-A KUBE-' -e ' -j KUBE-' | ip6tables-legacy-restore");
  });
});
