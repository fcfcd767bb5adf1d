/**
 * The real-cluster lab itself (test/support/k8s-lab/), before anything is built on it: the Nodes
 * look as a kubelet registers them, the kube-system objects say what the running kube-proxies
 * really use, a pod becomes an endpoint through the real EndpointSlice controller and a real
 * connection reaches it, a deleted pod is gone at once and leaves kube-proxy's rules, and two labs
 * never share a LAN. The faults outside the nodes' rules do what they claim and nothing more: the
 * cloud firewall, the broken overlay, the rules that change after np-doctor read them; a node's
 * sessions see only its own pods' namespaces; pods listen where told; the listeners are counted.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadYaml } from '@kubernetes/client-node';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { CLUSTER_CIDR, type RealCluster } from '../support/k8s-lab/cluster.js';
import { claimLan } from '../support/k8s-lab/lan.js';
import { pinnedVersions } from '../support/k8s-lab/binaries.js';
import { realClusterSuites } from '../support/k8s-lab/suite.js';
import { LATE_DROP_TABLE } from '../support/k8s-lab/late-drop.js';
import { connectFromHere, connectFromNode, expectConnections } from './lib/connect.js';
import { withoutCounters } from './lib/evidence.js';
import { logMark, silentConnections } from './lib/listeners.js';
import { diagnose, findingsText } from './lib/np-doctor.js';
import { rejects, serves } from './lib/rules.js';
import { waitServing } from './lib/sync.js';
import { APP_PORT, deployWeb, type Web } from './lib/web.js';

/** Every rule node k holds, as its own tools print them (what np-doctor's replay reads), counters left out. */
async function nodeRules(c: RealCluster, k: number): Promise<string> {
  const ipt = await c.inNode(k, 'iptables-save', []);
  const nft = await c.inNode(k, 'nft', ['list', 'ruleset']);
  return withoutCounters(ipt.stdout + nft.stdout);
}

interface Obj { metadata: { name: string }; spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> }

if (labGate('lab LAN claims', missingPrerequisites(), 'root')) {
  test('two labs in one process claim different LANs, each under a lock file, and give them back', async () => {
    const lock = (net: string) => `/run/np-doctor-lab/lan-${net.replace(/\/24$/, '')}.lock`;
    const [a, b] = [await claimLan(), await claimLan()];
    try {
      assert.notEqual(a.plan.net, b.plan.net);
      assert.match(a.hostIp, /^192\.168\.\d+\.254$/);
      assert.equal(readFileSync(lock(a.plan.net), 'utf8').trim(), String(process.pid));
    } finally {
      a.release();
      b.release();
    }
    assert.ok(!existsSync(lock(a.plan.net)) && !existsSync(lock(b.plan.net)), 'released');
  });
}

realClusterSuites('the real-cluster lab', (cluster, on) => {
  test('Nodes as a kubelet registers them: InternalIP, podCIDR, Ready', async () => {
    const c = cluster();
    const nodes = ((await c.cp.api('GET', '/api/v1/nodes')).body as { items: Obj[] }).items;
    const seen = nodes.map((n) => {
      const s = n.status as { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
      return [n.metadata.name, s.addresses.find((a) => a.type === 'InternalIP')?.address, n.spec?.podCIDR, s.conditions.find((x) => x.type === 'Ready')?.status];
    });
    assert.deepEqual(seen, c.nodes.map((n) => [n.name, n.ip, n.podCIDR, 'True']));
  });

  test('kube-system shows kube-proxy as kubeadm does, with the configuration the running kube-proxies read', async () => {
    const c = cluster();
    const cm = (await c.cp.api('GET', '/api/v1/namespaces/kube-system/configmaps/kube-proxy')).body as Obj;
    const conf = loadYaml<Record<string, unknown>>(cm.data?.['config.conf'] ?? '');
    for (const n of c.nodes) {
      const { hostnameOverride, clientConnection: _c, ...running } = n.proxy.config;
      assert.equal(hostnameOverride, n.name);
      for (const [k, v] of Object.entries(running)) assert.deepEqual(conf[k], v, `config.conf ${k}`);
    }
    assert.deepEqual([conf.mode, conf.clusterCIDR], [on.mode, CLUSTER_CIDR]);
    const pods = ((await c.cp.api('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy')).body as { items: Obj[] }).items;
    assert.deepEqual(pods.map((p) => [p.spec?.nodeName, p.status?.phase]), c.nodes.map((n) => [n.name, 'Running']));
  });

  test('pods become endpoints through the real controller, answer real connections, and a deleted one is gone at once', async () => {
    const c = cluster();
    const web = await deployWeb(c, { namespace: 'lab', pods: [{ node: 0 }, { node: 1 }] });
    await waitServing(c, web);
    const slices = ((await c.cp.api('GET', '/apis/discovery.k8s.io/v1/namespaces/lab/endpointslices')).body as { items: { endpoints?: { addresses: string[]; nodeName?: string }[] }[] }).items;
    const listed = slices.flatMap((s) => (s.endpoints ?? []).map((e) => [e.addresses[0], e.nodeName])).sort();
    assert.deepEqual(listed, web.pods.map((p) => [p.ip, c.nodes[p.node]!.name]).sort());
    const tries = await c.connect(c.nodes[0]!.ip, web.nodePort, { tries: 2, want: ['web-1', 'web-2'] });
    assert.deepEqual([...new Set(tries.map((t) => t.pod))].sort(), ['web-1', 'web-2'], JSON.stringify(tries));

    const [gone, kept] = [web.pods[0]!, web.pods[1]!];
    await c.pods.delete(gone);
    assert.equal((await c.cp.api('GET', `/api/v1/namespaces/lab/pods/${gone.name}`)).status, 404, 'deleted with grace period 0: not left Terminating');
    await c.waitForSync(`drop ${gone.ip} from ${web.svcPort}`, (r) => !serves(r, gone.ip, APP_PORT) && serves(r, kept.ip, APP_PORT) && !rejects(c.mode, r, web.svcPort, web.nodePort));
    await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'delivered', [kept.name]);
  });
});

// The faults sit outside kube-proxy (the wire, the sessions' PATH, the pods' sockets), so one
// release in one mode shows them; probe.test.ts meets them in both modes.
realClusterSuites('the real-cluster lab\'s faults outside the nodes\' rules', (cluster) => {
  let web: Web;
  test('a pod on node-b serves the nodePort through both nodes; each node\'s sessions see only its own pods\' namespaces', async () => {
    const c = cluster();
    web = await deployWeb(c, { namespace: 'faults', pods: [{ node: 1 }] });
    await waitServing(c, web);
    for (const n of c.nodes) await expectConnections(c, n.ip, web.nodePort, 'delivered', ['web-1']);
    for (const [k] of c.nodes.entries()) {
      const listed = (await c.ssh.run(k, ['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]).filter((x) => x !== '').sort();
      assert.deepEqual(listed, c.pods.all.filter((p) => p.node === k).map((p) => p.ns).sort(), `node ${k}'s /run/netns`);
    }
    const addrs = (await c.ssh.run(1, ['ip', '-all', 'netns', 'exec', 'ip', '-j', 'addr'])).stdout;
    assert.match(addrs, new RegExp(`^netns: ${web.pods[0]!.ns}$`, 'm'));
    assert.ok(addrs.includes(`"local":"${web.pods[0]!.ip}"`), addrs);
  });

  test('the cloud firewall drops the NodePort range from here and from the client, not SSH, the API or the nodes themselves', async () => {
    const c = cluster();
    assert.equal(await connectFromHere(c.nodes[0]!.ip, web.nodePort), 'connected', 'before');
    await c.firewall.block();
    try {
      for (const n of c.nodes) {
        assert.equal(await connectFromHere(n.ip, web.nodePort), 'timeout', `${n.name} from here`);
        await expectConnections(c, n.ip, web.nodePort, 'timeout');
      }
      assert.equal(await connectFromHere(c.nodes[0]!.ip, 22), 'connected', 'SSH');
      assert.equal((await c.ssh.run(0, ['true'])).stderr, '');
      assert.equal((await c.cp.api('GET', '/version')).status, 200);
      for (const [k, n] of c.nodes.entries()) assert.equal((await connectFromNode(c, k, n.ip, web.nodePort)).result, 'delivered', `${n.name} to itself`);
    } finally {
      await c.firewall.unblock();
    }
    for (const n of c.nodes) assert.equal(await connectFromHere(n.ip, web.nodePort), 'connected', `${n.name} from here, unblocked`);
  });

  test('the broken overlay drops node-a\'s traffic to node-b\'s pod, while every node\'s rules stay as they were and np-doctor\'s replay still delivers', async () => {
    const c = cluster();
    const pod = web.pods[0]!;
    const before = await Promise.all(c.nodes.map((_, k) => nodeRules(c, k)));
    await c.overlay.block();
    try {
      assert.equal((await connectFromNode(c, 0, pod.ip, APP_PORT)).result, 'timeout', 'node-a to the pod on node-b');
      assert.equal((await connectFromNode(c, 1, pod.ip, APP_PORT)).result, 'delivered', 'node-b to its own pod');
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'timeout');
      await expectConnections(c, c.nodes[1]!.ip, web.nodePort, 'delivered', ['web-1']);
      assert.deepEqual(await Promise.all(c.nodes.map((_, k) => nodeRules(c, k))), before, 'the nodes\' rules');
      const d = await diagnose(c, web.namespace, web.name);
      assert.deepEqual(d.report.verdict.nodes.map((n) => [n.node, n.result]), [['node-a', 'delivered'], ['node-b', 'delivered']], findingsText(d.report));
    } finally {
      await c.overlay.unblock();
    }
    assert.equal((await connectFromNode(c, 0, pod.ip, APP_PORT)).result, 'delivered', 'unblocked');
  });

  test('the ss wrapper adds node-a\'s drop only once ss ran in node-a\'s own namespace, after every rule dump, and is undone', async () => {
    const c = cluster();
    const hasDrop = async () => (await c.inNode(0, 'nft', ['list', 'table', 'inet', LATE_DROP_TABLE], { allowFail: true })).code === 0;
    const undo = await c.dropAfterRead(0, web.nodePort);
    try {
      for (const dump of [['iptables-nft-save'], ['iptables-legacy-save'], ['nft', '-j', 'list', 'ruleset'], ['ip', '-all', 'netns', 'exec', 'ss', '-H', '-l', '-n', '-t', '-u', '-p']]) {
        await c.ssh.run(0, dump);
        assert.equal(await hasDrop(), false, `after ${dump.join(' ')}`);
      }
      assert.equal(await connectFromHere(c.nodes[0]!.ip, web.nodePort), 'connected', 'before ss');
      const ss = await c.ssh.run(0, ['ss', '-H', '-l', '-n', '-t', '-u', '-p']);
      assert.match(ss.stdout, /:10256 .*"kube-proxy"/, 'the real ss printed node-a\'s sockets');
      assert.equal(await hasDrop(), true, 'after ss');
      assert.equal(await connectFromHere(c.nodes[0]!.ip, web.nodePort), 'timeout', 'from here');
      assert.equal((await connectFromNode(c, 0, c.nodes[0]!.ip, web.nodePort)).result, 'timeout', 'node-a to itself');
      assert.equal(await connectFromHere(c.nodes[1]!.ip, web.nodePort), 'connected', 'node-b untouched');
      assert.equal(await hasDrop(), true);
    } finally {
      await undo();
    }
    assert.equal(await hasDrop(), false, 'undone');
    await c.ssh.run(0, ['ss', '-H', '-l', '-n', '-t']);
    assert.equal(await hasDrop(), false, 'the wrapper is gone');
    assert.equal(await connectFromHere(c.nodes[0]!.ip, web.nodePort), 'connected', 'after');
  });

  test('pods listen where told (another port, 127.0.0.1 only, UDP only), so the kernel refuses 8080/TCP', async () => {
    const c = cluster();
    const cases = [
      { name: 'other-port', listen: [{ proto: 'tcp' as const, host: '0.0.0.0', port: 8081 }], ss: /^tcp +LISTEN .* 0\.0\.0\.0:8081 /m },
      { name: 'loopback', listen: [{ proto: 'tcp' as const, host: '127.0.0.1', port: APP_PORT }], ss: /^tcp +LISTEN .* 127\.0\.0\.1:8080 /m },
      { name: 'udp', listen: [{ proto: 'udp' as const, host: '0.0.0.0', port: APP_PORT }], ss: /^udp +UNCONN .* 0\.0\.0\.0:8080 /m },
    ];
    await c.createNamespace('listen');
    for (const x of cases) {
      const pod = await c.pods.add({ namespace: 'listen', name: x.name, node: 0, labels: { app: x.name }, ports: [{ containerPort: APP_PORT }], listen: x.listen });
      const ss = (await c.inNode(0, 'ip', ['netns', 'exec', pod.ns, 'ss', '-H', '-l', '-n', '-t', '-u'])).stdout;
      assert.match(ss, x.ss, `${x.name}:\n${ss}`);
      assert.equal(ss.trim().split('\n').length, 1, `${x.name} listens on that socket alone:\n${ss}`);
      assert.equal((await connectFromNode(c, 0, pod.ip, APP_PORT)).result, 'refused', x.name);
    }
  });

  test('the listeners\' count: connections that send nothing, as a probe\'s, and none else', async () => {
    const c = cluster();
    const mark = logMark(c);
    await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'delivered', ['web-1']);
    assert.equal(await silentConnections(c, web.pods, APP_PORT, mark), 0, 'the lab client sends a token');
    for (const n of c.nodes) assert.equal(await connectFromHere(n.ip, web.nodePort), 'connected');
    assert.equal(await silentConnections(c, web.pods, APP_PORT, mark), c.nodes.length);
  });
}, { versions: pinnedVersions().slice(-1), modes: ['nftables'] });
