/**
 * Broken nodes under a Service that works (shop/web: eTP Cluster, its pod on node-b): each test
 * breaks one node-wide thing (a chain policy, a host firewall, kube-proxy's own configuration),
 * checks what the real client sees and what np-doctor names first, and restores the node, checked
 * with a real connection, before the next test. They run one at a time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import { expectConnections } from '../lib/connect.js';
import { assertRuleOnNode, objectEvidence, ruleEvidence } from '../lib/evidence.js';
import { diagnose, findingsText } from '../lib/np-doctor.js';
import { nodePortAddresses } from '../lib/rules.js';
import { top } from '../lib/top.js';
import type { Web } from '../lib/web.js';

/**
 * A hand-written stateful firewall that drops new connections to the whole NodePort range before
 * kube-proxy's DNAT sees them (mangle priority: after conntrack, before nat). Stateful on purpose:
 * a stateless drop of that range before conntrack also drops replies of forwarded connections
 * whose masquerade port (kube-proxy masquerades with --random-fully) lands in 30000–32767, about
 * one in 23, which the lab saw as a rare lost connection.
 */
const FIREWALL = {
  // kube-proxy writes nothing in mangle PREROUTING, so removing it is flushing that chain.
  iptables: {
    add: ['-t', 'mangle', '-I', 'PREROUTING', '-p', 'tcp', '-m', 'conntrack', '--ctstate', 'NEW', '--dport', '30000:32767', '-j', 'DROP'],
    del: ['-t', 'mangle', '-F', 'PREROUTING'],
  },
  nftables: `table inet host-firewall {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    ct state new tcp dport 30000-32767 drop comment "no NodePorts from outside"
  }
}
`,
};

export function nodeScenarios(cluster: () => RealCluster, shop: () => Web): void {
  const works = async (c: RealCluster) => {
    for (const n of c.nodes) await expectConnections(c, n.ip, shop().nodePort, 'delivered', ['web-1']);
  };

  test('FORWARD policy DROP on node-b, the pod\'s node: forward-policy-drop names node-b\'s policy', async () => {
    const c = cluster();
    await c.inNode(1, 'iptables', ['-P', 'FORWARD', 'DROP']);
    try {
      await expectConnections(c, c.nodes[0]!.ip, shop().nodePort, 'timeout');
      const f = top(await diagnose(c, 'shop', 'web'), 'forward-policy-drop');
      assert.equal(f.node, 'node-b');
      const policy = ruleEvidence(f, (e) => e.chain === 'FORWARD' && e.rule === null);
      assert.deepEqual([policy.node, policy.table, policy.action], ['node-b', 'filter', 'DROP']);
      await assertRuleOnNode(c, policy);
      if (c.mode === 'nftables') {
        // kube-proxy in nftables mode writes no KUBE-FORWARD: restarting it cannot help.
        assert.match(f.message, /nftables mode/, f.message);
        assert.ok(!f.remediation.commands.some((x) => x.includes('delete pod')), f.remediation.commands.join('\n'));
      }
    } finally {
      await c.inNode(1, 'iptables', ['-P', 'FORWARD', 'ACCEPT']);
    }
    await works(c);
  });

  test('a host firewall on node-a drops the NodePort range: host-firewall-drop names its rule, and its printed accept opens node-a', async () => {
    const c = cluster();
    if (c.mode === 'iptables') await c.inNode(0, 'iptables', FIREWALL.iptables.add);
    else await c.inNode(0, 'nft', ['-f', '-'], { input: FIREWALL.nftables });
    try {
      await expectConnections(c, c.nodes[0]!.ip, shop().nodePort, 'timeout');
      await expectConnections(c, c.nodes[1]!.ip, shop().nodePort, 'delivered', ['web-1']);
      const f = top(await diagnose(c, 'shop', 'web'), 'host-firewall-drop');
      assert.equal(f.node, 'node-a');
      const rule = ruleEvidence(f, (e) => e.node === 'node-a');
      if (c.mode === 'iptables') {
        assert.deepEqual([rule.table, rule.chain, rule.rule], ['mangle', 'PREROUTING', '-A PREROUTING -p tcp -m conntrack --ctstate NEW -m tcp --dport 30000:32767 -j DROP']);
      } else {
        assert.deepEqual([rule.family, rule.table, rule.chain, rule.source], ['inet', 'host-firewall', 'prerouting', 'node-a:nft-ruleset']);
        assert.match(rule.rule ?? '', /ct state new tcp dport 30000-32767 drop/);
      }
      await assertRuleOnNode(c, rule);
      // Its first fix inserts an accept before the rule, on the node itself: it must open node-a.
      const fix = f.remediation.pipelines?.[0]?.[0] ?? [];
      assert.equal(fix[0], c.mode === 'iptables' ? 'iptables' : 'nft', f.remediation.commands.join('\n'));
      await c.inNode(0, fix[0], fix.slice(1));
      await expectConnections(c, c.nodes[0]!.ip, shop().nodePort, 'delivered', ['web-1']);
    } finally {
      if (c.mode === 'iptables') await c.inNode(0, 'iptables', FIREWALL.iptables.del);
      else await c.inNode(0, 'nft', ['delete', 'table', 'inet', 'host-firewall']);
    }
    await works(c);
  });

  test('nodePortAddresses in kube-proxy\'s configuration leaves out the InternalIPs: nodeport-addresses-excluded', async () => {
    const c = cluster();
    const vips = c.nodes.map((n) => `${n.extraIp}/32`);
    await c.restartKubeProxies({ nodePortAddresses: vips });
    try {
      await c.waitForSync('serve NodePorts on the VIP only', (r, n) => JSON.stringify(nodePortAddresses(c.mode, r)) === JSON.stringify([n.extraIp]));
      await expectConnections(c, c.nodes[0]!.ip, shop().nodePort, 'refused');
      await expectConnections(c, c.nodes[0]!.extraIp, shop().nodePort, 'delivered', ['web-1']);
      const d = await diagnose(c, 'shop', 'web');
      const f = top(d, 'nodeport-addresses-excluded');
      assert.deepEqual(d.report.findings.filter((x) => x.id === f.id).map((x) => x.node).sort(), ['node-a', 'node-b'], findingsText(d.report));
      const k = c.nodes.findIndex((n) => n.name === f.node);
      assert.match(f.message, new RegExp(c.nodes[k]!.extraIp.replace(/\./g, '\\.')), 'names the address it serves');
      assert.equal(objectEvidence(f, 'ConfigMap kube-system/kube-proxy config.conf', 'nodePortAddresses').value, vips.join(', '));
      if (c.mode === 'iptables') {
        const tail = ruleEvidence(f, (e) => e.chain === 'KUBE-SERVICES');
        assert.match(tail.rule ?? '', new RegExp(`-d ${c.nodes[k]!.extraIp.replace(/\./g, '\\.')}/32 .*-j KUBE-NODEPORTS`));
        await assertRuleOnNode(c, tail);
      }
    } finally {
      await c.restartKubeProxies({});
    }
    await c.waitForSync('serve NodePorts on every address again', (r, n) =>
      JSON.stringify(nodePortAddresses(c.mode, r)) === JSON.stringify(c.mode === 'iptables' ? 'all' : [n.ip]));
    await works(c);
  });
}
