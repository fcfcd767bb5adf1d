/**
 * The scenario kit's kube-proxy IPVS mode (test/support/scenario-kit/kube-proxy-ipvs.ts): the
 * IPVS table, the ipsets, the kube-ipvs0 addresses and the iptables rules for the base cluster
 * and its variants. As root with ipset and iptables-nft present, each variant's sets are also
 * created with `ipset restore` in a throwaway network namespace and its rules loaded with
 * iptables-nft-restore (after `--test`): the kernel must list the sets and save the rules exactly
 * as the kit renders them.
 */
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { run } from '../kernel/lab/exec.js';
import { labGate } from '../kernel/lab/prereq.js';
import { interfacesOf, localAddresses } from '../support/scenario-kit/host.js';
import { Ruleset, restoreText, saveText, withSaveDate } from '../support/scenario-kit/iptables-text.js';
import {
  ipsetListText, ipsetSaveText, ipvsadmSaveText, ipvsDummyAddresses, ipvsNodePortAddresses, writeKubeProxyIpvsRules,
} from '../support/scenario-kit/kube-proxy-ipvs.js';
import { kubeProxySettings, type KubeProxyInput } from '../support/scenario-kit/kube-proxy-rules.js';
import { slicesByService } from '../support/scenario-kit/node-rules.js';
import {
  baseCluster, deploymentPods, findNode, internalIPOf, service, updateService, type ClusterSpec,
} from '../support/scenario-kit/spec.js';

/** What nodeRulesets() hands kube-proxy for one node. */
function inputFor(spec: ClusterSpec, nodeName: string): KubeProxyInput {
  const node = findNode(spec, nodeName);
  return {
    spec,
    settings: kubeProxySettings(spec, node),
    slices: slicesByService(spec),
    staleEndpoints: node.kubeProxy?.staleEndpoints,
    localAddresses: localAddresses(interfacesOf(spec, node)),
    nodeIP: internalIPOf(node),
  };
}

const ipvsadm = (input: KubeProxyInput): string => ipvsadmSaveText(input, input.localAddresses);
const ipsets = (input: KubeProxyInput): string => ipsetListText(input, input.localAddresses);

function rules(input: KubeProxyInput): Ruleset {
  const rs = new Ruleset();
  writeKubeProxyIpvsRules(rs, input);
  return rs;
}

const chain = (input: KubeProxyInput, table: 'nat' | 'filter', name: string): string[] => rules(input).table(table).chains.get(name) ?? [];

/** The members `ipset list` prints for one set, sorted (the listing itself is in hash-bucket order). */
function members(list: string, set: string): string[] {
  const block = list.split('\n\n').find((b) => b.startsWith(`Name: ${set}\n`));
  assert.ok(block !== undefined, `no set ${set} in the listing`);
  return block.split('Members:\n')[1]?.split('\n').filter((l) => l !== '').sort() ?? [];
}

/** The `-A` line of one virtual service and its `-a` lines. */
function virtualService(text: string, service: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`-A ${service} `));
  assert.ok(start >= 0, `no virtual service ${service} in:\n${text}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('-A '));
  return lines.slice(start, end < 0 ? undefined : end).filter((l) => l !== '');
}

const FRONTEND_REALS = ['10.244.1.2:8080', '10.244.2.2:8080'];
const reals = (service: string, eps: string[]): string[] => eps.map((e) => `-a ${service} -r ${e} -m -w 1`);

const etpLocal = (): ClusterSpec => updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });

function withEmptyService(): ClusterSpec {
  const s = baseCluster();
  s.services.push(service('shop', 'empty', { ports: [{ name: 'http', port: 80, nodePort: 30099 }], selector: { app: 'nothing' } }));
  return s;
}

function withSyslog(): ClusterSpec {
  const s = baseCluster();
  s.services.push(service('shop', 'syslog', { clusterIP: '10.96.5.14', ports: [{ port: 514, targetPort: 5140, protocol: 'UDP', nodePort: 30514 }], selector: { app: 'syslog' } }));
  s.pods.push(...deploymentPods(s, 'shop', 'syslog', { nodes: ['node-2'], ports: [{ containerPort: 5140, protocol: 'UDP' }] }));
  return s;
}

function withLoadBalancer(): ClusterSpec {
  const s = baseCluster();
  s.services.push(service('shop', 'lb', {
    type: 'LoadBalancer', clusterIP: '10.96.7.7', ports: [{ name: 'https', port: 443, targetPort: 8443, nodePort: 31443 }], selector: { app: 'lb' },
    externalTrafficPolicy: 'Local', healthCheckNodePort: 32100, loadBalancerIngress: ['198.51.100.10'],
    loadBalancerSourceRanges: ['192.168.0.0/16', '203.0.113.7/32'], externalIPs: ['192.168.1.200', '192.168.1.102'],
  }));
  s.pods.push(...deploymentPods(s, 'shop', 'lb', { nodes: ['node-2', 'node-3'], ports: [{ name: 'https', containerPort: 8443 }] }));
  return s;
}

describe('scenario kit: kube-proxy IPVS mode', () => {
  test('eTP Cluster: a virtual service per ClusterIP port and per node address × NodePort, in ipvsadm order', () => {
    // TCP before UDP; addresses by ipvsadm's signed 32-bit difference, so 192.168.1.102 (more
    // than 2^31 above 10.96.0.0) sorts before the ClusterIPs and 10.244.1.1 (cni0) after them.
    // 127.0.0.1 gets no NodePort virtual service (isValidForSet drops loopback).
    assert.equal(ipvsadm(inputFor(baseCluster(), 'node-2')), [
      '-A -t 192.168.1.102:30080 -s rr',
      ...reals('-t 192.168.1.102:30080', FRONTEND_REALS),
      '-A -t 10.96.0.1:443 -s rr',
      '-a -t 10.96.0.1:443 -r 192.168.1.101:6443 -m -w 1',
      '-A -t 10.96.0.10:53 -s rr',
      ...reals('-t 10.96.0.10:53', ['10.244.0.2:53', '10.244.0.3:53']),
      '-A -t 10.96.0.10:9153 -s rr',
      ...reals('-t 10.96.0.10:9153', ['10.244.0.2:9153', '10.244.0.3:9153']),
      '-A -t 10.96.44.201:8080 -s rr',
      '-a -t 10.96.44.201:8080 -r 10.244.2.3:8080 -m -w 1',
      '-A -t 10.96.120.15:80 -s rr',
      ...reals('-t 10.96.120.15:80', FRONTEND_REALS),
      '-A -t 10.244.1.1:30080 -s rr',
      ...reals('-t 10.244.1.1:30080', FRONTEND_REALS),
      '-A -u 10.96.0.10:53 -s rr',
      ...reals('-u 10.96.0.10:53', ['10.244.0.2:53', '10.244.0.3:53']),
    ].map((l) => `${l}\n`).join(''));
  });

  test('eTP Cluster: ipsets, kube-ipvs0 addresses and the NodePort masquerade rule', () => {
    const input = inputFor(baseCluster(), 'node-2');
    const list = ipsets(input);
    assert.deepEqual(members(list, 'KUBE-CLUSTER-IP'), ['10.96.0.1,tcp:443', '10.96.0.10,tcp:53', '10.96.0.10,tcp:9153', '10.96.0.10,udp:53', '10.96.120.15,tcp:80', '10.96.44.201,tcp:8080']);
    assert.deepEqual(members(list, 'KUBE-NODE-PORT-TCP'), ['30080']);
    assert.deepEqual(members(list, 'KUBE-NODE-PORT-LOCAL-TCP'), []);
    // Hairpin entries: node-2's own endpoints only.
    assert.deepEqual(members(list, 'KUBE-LOOP-BACK'), ['10.244.1.2,tcp:8080,10.244.1.2']);
    assert.deepEqual(members(list, 'KUBE-IPVS-IPS'), ['10.96.0.1', '10.96.0.10', '10.96.120.15', '10.96.44.201']);
    assert.deepEqual(ipvsDummyAddresses(input), ['10.96.0.1', '10.96.0.10', '10.96.44.201', '10.96.120.15']);
    assert.match(list, /^Name: KUBE-NODE-PORT-TCP\nType: bitmap:port\nRevision: 3\nHeader: range 0-65535\nSize in memory: 8264\nReferences: 1\nNumber of entries: 1\nMembers:\n30080\n$/m);
    assert.match(list, /^Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}\nSize in memory: \d+\nReferences: 3\nNumber of entries: 6\nMembers:\n/m);
    assert.equal(list.split('\n\n').length, 17, 'every set of ipsetInfo is listed');
    assert.deepEqual(chain(input, 'nat', 'KUBE-NODE-PORT'), [
      '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
    ]);
    assert.deepEqual(chain(input, 'nat', 'KUBE-SERVICES'), [
      '-s 127.0.0.0/8 -j RETURN',
      '-m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ',
      '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
    assert.deepEqual(chain(input, 'nat', 'KUBE-POSTROUTING'), [
      '-m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
      '-m mark ! --mark 0x004000/0x004000 -j RETURN',
      '-j MARK --xor-mark 0x004000',
      '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    // EnsureRule(Prepend) in iptablesJumpChain order: the last jump installed is the first rule.
    assert.deepEqual(chain(input, 'filter', 'INPUT'), [
      '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
      '-m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
    ]);
    assert.deepEqual(chain(input, 'filter', 'KUBE-IPVS-FILTER').at(-1), '-m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT');
  });

  test('eTP Local with a local endpoint: NodePort virtual services get only it, the LOCAL set RETURNs first', () => {
    const input = inputFor(etpLocal(), 'node-2');
    const text = ipvsadm(input);
    for (const ip of ['192.168.1.102', '10.244.1.1']) {
      assert.deepEqual(virtualService(text, `-t ${ip}:30080`), [`-A -t ${ip}:30080 -s rr`, ...reals(`-t ${ip}:30080`, ['10.244.1.2:8080'])]);
    }
    // eTP applies to external traffic only: the ClusterIP keeps every endpoint.
    assert.deepEqual(virtualService(text, '-t 10.96.120.15:80'), ['-A -t 10.96.120.15:80 -s rr', ...reals('-t 10.96.120.15:80', FRONTEND_REALS)]);
    assert.deepEqual(members(ipsets(input), 'KUBE-NODE-PORT-LOCAL-TCP'), ['30080']);
    assert.deepEqual(members(ipsets(input), 'KUBE-NODE-PORT-TCP'), ['30080']);
    assert.deepEqual(chain(input, 'nat', 'KUBE-NODE-PORT'), [
      '-p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN',
      '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
    ]);
  });

  test('eTP Local without a local endpoint: kube-proxy falls back to every endpoint (PR #97081)', () => {
    const input = inputFor(etpLocal(), 'node-1');
    const text = ipvsadm(input);
    for (const ip of ['192.168.1.101', '10.244.0.1']) {
      assert.deepEqual(virtualService(text, `-t ${ip}:30080`), [`-A -t ${ip}:30080 -s rr`, ...reals(`-t ${ip}:30080`, FRONTEND_REALS)]);
    }
    assert.deepEqual(members(ipsets(input), 'KUBE-NODE-PORT-LOCAL-TCP'), ['30080']);
    assert.deepEqual(members(ipsets(input), 'KUBE-LOOP-BACK'), ['10.244.0.2,tcp:53,10.244.0.2', '10.244.0.2,tcp:9153,10.244.0.2', '10.244.0.2,udp:53,10.244.0.2', '10.244.0.3,tcp:53,10.244.0.3', '10.244.0.3,tcp:9153,10.244.0.3', '10.244.0.3,udp:53,10.244.0.3']);
  });

  test('no endpoints: the virtual services exist without real servers, the set entries stay', () => {
    const s = withEmptyService();
    const clusterIP = s.services.find((x) => x.name === 'empty')?.clusterIP ?? '';
    const input = inputFor(s, 'node-2');
    const text = ipvsadm(input);
    assert.deepEqual(virtualService(text, `-t ${clusterIP}:80`), [`-A -t ${clusterIP}:80 -s rr`]);
    assert.deepEqual(virtualService(text, '-t 192.168.1.102:30099'), ['-A -t 192.168.1.102:30099 -s rr']);
    assert.deepEqual(virtualService(text, '-t 10.244.1.1:30099'), ['-A -t 10.244.1.1:30099 -s rr']);
    assert.ok(members(ipsets(input), 'KUBE-CLUSTER-IP').includes(`${clusterIP},tcp:80`));
    assert.deepEqual(members(ipsets(input), 'KUBE-NODE-PORT-TCP'), ['30080', '30099']);
    assert.ok(ipvsDummyAddresses(input).includes(clusterIP));
  });

  test('ClientIP affinity: persistent virtual services with the sticky timeout', () => {
    const s = updateService(baseCluster(), 'shop/frontend', { sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 });
    updateService(s, 'shop/backend', { sessionAffinity: 'ClientIP' });
    const text = ipvsadm(inputFor(s, 'node-3'));
    for (const vs of ['-t 10.96.120.15:80', '-t 192.168.1.103:30080', '-t 10.244.2.1:30080']) {
      assert.deepEqual(virtualService(text, vs), [`-A ${vs} -s rr -p 600`, ...reals(vs, FRONTEND_REALS)]);
    }
    assert.deepEqual(virtualService(text, '-t 10.96.44.201:8080'), ['-A -t 10.96.44.201:8080 -s rr -p 10800', '-a -t 10.96.44.201:8080 -r 10.244.2.3:8080 -m -w 1']);
    assert.match(text, /^-A -t 10\.96\.0\.1:443 -s rr$/m);
  });

  test('UDP NodePort: a -u virtual service per node address, the UDP bitmap and its rule', () => {
    const input = inputFor(withSyslog(), 'node-3');
    const text = ipvsadm(input);
    for (const vs of ['-u 10.96.5.14:514', '-u 192.168.1.103:30514', '-u 10.244.2.1:30514']) {
      assert.deepEqual(virtualService(text, vs), [`-A ${vs} -s rr`, `-a ${vs} -r 10.244.1.3:5140 -m -w 1`]);
    }
    // UDP services after every TCP one.
    assert.ok(text.indexOf('-A -u ') > text.lastIndexOf('-A -t '));
    assert.deepEqual(members(ipsets(input), 'KUBE-NODE-PORT-UDP'), ['30514']);
    assert.deepEqual(chain(input, 'nat', 'KUBE-NODE-PORT'), [
      '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
      '-p udp -m comment --comment "Kubernetes nodeport UDP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ',
    ]);
  });

  test('LoadBalancer with source ranges and external IPs: sets, bindings, firewall chains', () => {
    const input = inputFor(withLoadBalancer(), 'node-2');
    const list = ipsets(input);
    assert.deepEqual(members(list, 'KUBE-LOAD-BALANCER'), ['198.51.100.10,tcp:443']);
    assert.deepEqual(members(list, 'KUBE-LOAD-BALANCER-LOCAL'), ['198.51.100.10,tcp:443']);
    assert.deepEqual(members(list, 'KUBE-LOAD-BALANCER-FW'), ['198.51.100.10,tcp:443']);
    // A /32 network is listed without its suffix.
    assert.deepEqual(members(list, 'KUBE-LOAD-BALANCER-SOURCE-CIDR'), ['198.51.100.10,tcp:443,192.168.0.0/16', '198.51.100.10,tcp:443,203.0.113.7']);
    // The node's address is inside a source range: the VIP may reach itself from the node.
    assert.deepEqual(members(list, 'KUBE-LOAD-BALANCER-SOURCE-IP'), ['198.51.100.10,tcp:443,198.51.100.10']);
    assert.deepEqual(members(list, 'KUBE-EXTERNAL-IP-LOCAL'), ['192.168.1.102,tcp:443', '192.168.1.200,tcp:443']);
    assert.deepEqual(members(list, 'KUBE-HEALTH-CHECK-NODE-PORT'), ['32100']);
    // The external IP that is node-2's own address is not bound to kube-ipvs0.
    assert.deepEqual(ipvsDummyAddresses(input), ['10.96.0.1', '10.96.0.10', '10.96.44.201', '10.96.120.15', '10.96.7.7', '192.168.1.200', '198.51.100.10']);
    const text = ipvsadm(input);
    for (const vs of ['-t 198.51.100.10:443', '-t 192.168.1.200:443', '-t 192.168.1.102:31443']) {
      assert.deepEqual(virtualService(text, vs), [`-A ${vs} -s rr`, `-a ${vs} -r 10.244.1.3:8443 -m -w 1`]);
    }
    assert.deepEqual(chain(input, 'filter', 'KUBE-PROXY-FIREWALL'), [
      '-m comment --comment "Kubernetes service load balancer ip + port for load balancer with sourceRange" -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL',
    ]);
    assert.equal(chain(input, 'filter', 'KUBE-SOURCE-RANGES-FIREWALL').at(-1), '-j DROP');
    assert.deepEqual(chain(input, 'filter', 'KUBE-IPVS-OUT-FILTER'), []);
    assert.deepEqual(chain(input, 'nat', 'KUBE-LOAD-BALANCER'), [
      '-m comment --comment "Kubernetes service load balancer ip + port with externalTrafficPolicy=local" -m set --match-set KUBE-LOAD-BALANCER-LOCAL dst,dst -j RETURN',
      '-j KUBE-MARK-MASQ',
    ]);

    // Source ranges without the node: the node may not reach the VIP (KUBE-IPVS-OUT-FILTER).
    const closed = withLoadBalancer();
    updateService(closed, 'shop/lb', { loadBalancerSourceRanges: ['203.0.113.0/24'] });
    const c = inputFor(closed, 'node-2');
    assert.deepEqual(members(ipsets(c), 'KUBE-LOAD-BALANCER-SOURCE-IP'), []);
    assert.deepEqual(chain(c, 'filter', 'KUBE-IPVS-OUT-FILTER'), ['-s 198.51.100.10 -m ipvs --vaddr 198.51.100.10 --vproto tcp --vport 443 -j DROP']);
  });

  test('--nodeport-addresses limits the NodePort virtual services to matching addresses', () => {
    const s = baseCluster();
    s.kubeProxy.nodePortAddresses = ['192.168.1.0/24'];
    const input = inputFor(s, 'node-2');
    assert.deepEqual(ipvsNodePortAddresses(input, input.localAddresses), ['192.168.1.102']);
    const text = ipvsadm(input);
    assert.match(text, /^-A -t 192\.168\.1\.102:30080 -s rr$/m);
    assert.doesNotMatch(text, /10\.244\.1\.1:30080/);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the kernel

const VARIANTS: Record<string, { spec: () => ClusterSpec; node: string }> = {
  'eTP Cluster': { spec: baseCluster, node: 'node-2' },
  'eTP Local with a local endpoint': { spec: etpLocal, node: 'node-2' },
  'eTP Local without a local endpoint': { spec: etpLocal, node: 'node-1' },
  'no endpoints': { spec: withEmptyService, node: 'node-2' },
  affinity: { spec: () => updateService(baseCluster(), 'shop/frontend', { sessionAffinity: 'ClientIP' }), node: 'node-3' },
  UDP: { spec: withSyslog, node: 'node-3' },
  'LoadBalancer, source ranges, external IPs': { spec: withLoadBalancer, node: 'node-2' },
};

const onPath = (tool: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']).some((d) => {
    try {
      accessSync(join(d, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

function kernelProblem(): string | null {
  const reasons: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reasons.push('not running as root');
  const missing = ['ip', 'ipset', 'iptables-nft-restore', 'iptables-nft-save'].filter((t) => !onPath(t));
  if (missing.length > 0) reasons.push(`missing tools: ${missing.join(', ')} (apt-get install -y ipset iptables iproute2)`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

let namespaces = 0;

async function inNamespace<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `npd-ipvs-${process.pid}-${++namespaces}`;
  await run('ip', ['netns', 'add', ns]);
  try {
    return await fn(ns);
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFail: true });
  }
}

if (labGate('scenario kit IPVS mode against the kernel (ipset list, iptables-restore)', kernelProblem(), 'root, ipset, iptables-nft-restore/-save and ip')) {
  describe('scenario kit: kube-proxy IPVS mode against the kernel', () => {
    for (const [name, v] of Object.entries(VARIANTS)) {
      test(`${name}: the sets restore and list as rendered, the rules load and save as rendered`, async () => {
        const input = inputFor(v.spec(), v.node);
        const rs = rules(input);
        const restore = restoreText(rs);
        await inNamespace(async (ns) => {
          await run('ipset', ['restore'], { ns, input: ipsetSaveText(input, input.localAddresses) });
          // -m set refuses sets that do not exist, so --test runs once the sets are there.
          await run('iptables-nft-restore', ['--test'], { ns, input: restore });
          await run('iptables-nft-restore', ['-w'], { ns, input: restore });
          // References count the rules now loaded.
          assert.equal((await run('ipset', ['list'], { ns })).stdout, ipsets(input));
          const saved = (await run('iptables-nft-save', [], { ns })).stdout;
          assert.equal(withSaveDate(saved, 'D'), saveText(rs, { backend: 'nft', tool: 'iptables-nft-save', version: '1.8.9', date: 'D' }));
        });
      });
    }
  });
}
