import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadYaml } from '@kubernetes/client-node';
import { parseDuration } from '../../src/cli/gather-flags.js';
import { serviceArg } from '../../src/cli/target.js';
import { kubeProxyConfig, serviceNodePortRange } from '../../src/collect/kube/kube-proxy-config.js';
import { FilesShell } from '../../src/collect/node/files.js';
import { LocalShell } from '../../src/collect/node/local.js';
import { planNodes } from '../../src/collect/plan.js';
import type { KubeObject } from '../../src/snapshot/schema.js';
import { buildSnapshot, NODE_A_DUMP } from '../support/snapshot-builder.js';

const cluster = () => {
  const c = buildSnapshot().cluster;
  c.nodes.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' }, status: { addresses: [{ type: 'InternalIP', address: 'fd00::3' }, { type: 'InternalIP', address: '192.168.0.3' }] } });
  return c;
};

test('nodes to read: the endpoints\' nodes by default, plus the ingress node named by name or address, or all', () => {
  assert.deepEqual(planNodes(cluster(), { allNodes: false }).targets, [{ name: 'node-a', address: '192.168.0.2' }]);
  assert.deepEqual(planNodes(cluster(), { node: 'node-b', allNodes: false }).targets.map((t) => [t.name, t.address]), [['node-b', '192.168.0.3'], ['node-a', '192.168.0.2']], 'IPv4 InternalIP first');
  // A client may dial the ExternalIP; the node is still reached at its InternalIP.
  assert.deepEqual(planNodes(cluster(), { nodeIp: '198.51.100.20', allNodes: false }).targets, [{ name: 'node-a', address: '192.168.0.2' }]);
  const unknown = planNodes(cluster(), { nodeIp: '192.168.0.99', allNodes: false });
  assert.deepEqual(unknown.targets[0], { name: '192.168.0.99', address: '192.168.0.99' });
  assert.match(unknown.notes[0]?.why ?? '', /no Node lists that address/);
  assert.deepEqual(planNodes(cluster(), { allNodes: true }).targets.map((t) => t.name), ['node-a', 'node-b']);
  const noEndpoints = cluster();
  noEndpoints.endpointSlices = [];
  const none = planNodes(noEndpoints, { allNodes: false });
  assert.deepEqual(none.targets, []);
  assert.match(none.notes[0]?.hint ?? '', /--node NAME or --node-ip IP, or use --all-nodes/);
  assert.match(planNodes(cluster(), { node: 'node-z', allNodes: false }).notes[0]?.why ?? '', /no Node object has that name/);
});

const cm = (conf: string): KubeObject => ({ metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': conf } });
const ds = (args: string[]): KubeObject => ({ metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'kube-proxy', command: ['/usr/local/bin/kube-proxy', ...args] }] } } } });

test('kube-proxy settings: the config file when kube-proxy reads it, else the command line', () => {
  const conf = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nclusterCIDR: 10.244.0.0/16\nnodePortAddresses: ["primary"]\niptables:\n  masqueradeBit: 14\n  localhostNodePorts: false\n';
  assert.deepEqual(kubeProxyConfig(cm(conf), ds(['--config=/var/lib/kube-proxy/config.conf']), loadYaml), {
    mode: 'ipvs', clusterCIDR: '10.244.0.0/16', nodePortAddresses: ['primary'], masqueradeBit: 14, localhostNodePorts: false,
    source: 'ConfigMap kube-system/kube-proxy config.conf',
  });
  assert.deepEqual(kubeProxyConfig(null, ds(['--proxy-mode=nftables', '--cluster-cidr', '10.0.0.0/8', '--nodeport-addresses=192.168.0.0/16,10.1.0.0/16', '--iptables-masquerade-bit=15']), loadYaml), {
    mode: 'nftables', clusterCIDR: '10.0.0.0/8', nodePortAddresses: ['192.168.0.0/16', '10.1.0.0/16'], masqueradeBit: 15, localhostNodePorts: null,
    source: 'DaemonSet kube-system/kube-proxy command line',
  });
  // A value of the wrong type is unknown, not a crash or an invalid snapshot; --config-sync-period is not --config.
  assert.deepEqual(kubeProxyConfig(cm('mode: 7\nnodePortAddresses: 192.168.49.0/24\niptables: {masqueradeBit: "14"}\n'), ds(['--config-sync-period=15m', '--proxy-mode=ipvs']), loadYaml)?.mode, 'ipvs');
  assert.deepEqual(kubeProxyConfig(cm('mode: 7\nnodePortAddresses: 192.168.49.0/24\niptables: {masqueradeBit: "14"}\n'), null, loadYaml), {
    mode: '', clusterCIDR: null, nodePortAddresses: null, masqueradeBit: null, localhostNodePorts: null, source: 'ConfigMap kube-system/kube-proxy config.conf',
  });
  assert.equal(kubeProxyConfig(null, null, loadYaml), null, 'no kube-proxy at all (replaced by Cilium, say): unknown, not a guess');
  assert.equal(serviceNodePortRange([{ metadata: { name: 'kube-apiserver-cp' }, spec: { containers: [{ command: ['kube-apiserver', '--service-node-port-range=20000-22767'] }] } }]), '20000-22767');
});

test('--node-dump files answer for iptables-save (or ip6tables-save) only; a missing file is a node error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npd-files-'));
  writeFileSync(join(dir, 'a.rules'), NODE_A_DUMP);
  writeFileSync(join(dir, 'b6.rules'), '# Generated by ip6tables-save v1.8.9 on x\n*filter\nCOMMIT\n');
  const shell = new FilesShell(new Map([['node-a', join(dir, 'a.rules')], ['node-b', join(dir, 'b6.rules')], ['node-c', join(dir, 'nope')]]));
  const a = await shell.open({ name: 'node-a', address: undefined });
  assert.deepEqual(a.commands, ['iptables-save']);
  assert.equal((await a.run('iptables-save')).stdout, NODE_A_DUMP);
  assert.deepEqual((await shell.open({ name: 'node-b', address: undefined })).commands, ['ip6tables-save']);
  await assert.rejects(shell.open({ name: 'node-c', address: undefined }), /node node-c: read .*nope: ENOENT/);
  rmSync(dir, { recursive: true, force: true });
});

test('the local shell runs the fixed commands and reports a missing tool as exit 127', async () => {
  const session = await new LocalShell({ commandTimeoutMs: 5000 }).open({ name: 'here', address: undefined });
  const addr = await session.run('ip-addr');
  assert.equal(addr.exitCode, 0);
  assert.ok(Array.isArray(JSON.parse(addr.stdout)));
  // ipvsadm is no test dependency; where it is installed it runs (and fails without ip_vs).
  if (!existsSync('/usr/sbin/ipvsadm-save') && !existsSync('/sbin/ipvsadm-save')) {
    const ipvs = await session.run('ipvsadm-save');
    assert.equal(ipvs.exitCode, 127, ipvs.stderr);
  }
});

test('flags: kubectl durations and Service arguments', () => {
  assert.equal(parseDuration('30', '--request-timeout'), 30_000);
  assert.equal(parseDuration('1m30s', '--request-timeout'), 90_000);
  assert.equal(parseDuration('500ms', '--request-timeout'), 500);
  assert.throws(() => parseDuration('soon', '--request-timeout'), /--request-timeout soon: expected a duration like 30s/);
  assert.equal(serviceArg('svc/frontend'), 'frontend');
  assert.equal(serviceArg('services/frontend'), 'frontend');
  assert.equal(serviceArg('frontend'), 'frontend');
  assert.equal(serviceArg(undefined), null);
  assert.throws(() => serviceArg('deploy/frontend'), /np-doctor looks at Services/);
});
