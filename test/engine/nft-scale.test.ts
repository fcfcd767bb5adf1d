import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { parseNftJson } from '../../src/engine/nft/index.js';
import { hopsOf } from '../../src/engine/packet/branch.js';
import { branch, runHook } from './fixtures/nft/harness.js';

/**
 * A kube-proxy table the size of a 10k-Service cluster, in the shape `nft -j list ruleset` prints
 * (compare kube-proxy-v133.json): per Service a ClusterIP element in service-ips, a NodePort element
 * in service-nodeports, an external, a service and two endpoint chains. ≈20k map elements, 40k
 * chains, 80k rules.
 */
function bigKubeProxy(services: number): string {
  const items: unknown[] = [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }, { table: { family: 'ip', name: 'kube-proxy', handle: 1 } }];
  let handle = 2;
  const svcIps: unknown[] = [];
  const nodePorts: unknown[] = [];
  const chains: unknown[] = [];
  const rules: unknown[] = [];
  const T = { family: 'ip', table: 'kube-proxy' };
  const rule = (chain: string, expr: unknown[]) => rules.push({ rule: { ...T, chain, handle: handle++, expr } });
  const chain = (name: string, base?: object) => chains.push({ chain: { ...T, name, handle: handle++, ...base } });
  const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
  const ip = (field: string) => ({ payload: { protocol: 'ip', field } });
  const key3 = { concat: [ip('daddr'), { meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] };
  const key2 = { concat: [{ meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] };
  chain('nat-prerouting', { type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' });
  chain('services');
  chain('mark-for-masquerade');
  rule('nat-prerouting', [{ jump: { target: 'services' } }]);
  rule('services', [{ vmap: { key: key3, data: '@service-ips' } }]);
  rule('services', [match({ fib: { result: 'type', flags: ['daddr'] } }, 'local'), match(ip('daddr'), { prefix: { addr: '127.0.0.0', len: 8 } }, '!='), { vmap: { key: key2, data: '@service-nodeports' } }]);
  rule('mark-for-masquerade', [{ mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16384] } } }]);
  for (let i = 0; i < services; i++) {
    const id = `H${String(i).padStart(7, '0')}-ns${i % 50}/svc${i}/tcp/http`;
    const cip = `10.96.${(i >> 8) & 255}.${i & 255}`;
    const np = 30000 + (i % 2768);
    const svc = `service-${id}`;
    const ext = `external-${id}`;
    svcIps.push([{ concat: [cip, 'tcp', 80] }, { goto: { target: svc } }]);
    if (i < 2768) nodePorts.push([{ concat: ['tcp', np] }, { goto: { target: ext } }]);
    chain(ext);
    chain(svc);
    rule(ext, [{ jump: { target: 'mark-for-masquerade' } }]);
    rule(ext, [{ goto: { target: svc } }]);
    rule(svc, [match(ip('daddr'), cip), match({ payload: { protocol: 'tcp', field: 'dport' } }, 80), match(ip('saddr'), { prefix: { addr: '10.244.0.0', len: 16 } }, '!='), { jump: { target: 'mark-for-masquerade' } }]);
    const eps: unknown[] = [];
    for (let e = 0; e < 2; e++) {
      const epIp = `10.${244 + e}.${(i >> 8) & 255}.${i & 255}`;
      const ep = `endpoint-E${e}${String(i).padStart(6, '0')}-ns${i % 50}/svc${i}/tcp/http__${epIp}/8080`;
      chain(ep);
      rule(ep, [match(ip('saddr'), epIp), { jump: { target: 'mark-for-masquerade' } }]);
      rule(ep, [match({ meta: { key: 'l4proto' } }, 'tcp'), { dnat: { addr: epIp, port: 8080 } }]);
      eps.push([e, { goto: { target: ep } }]);
    }
    rule(svc, [{ vmap: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: { set: eps } } }]);
  }
  items.push(
    { map: { ...T, name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], handle: handle++, map: 'verdict', elem: svcIps } },
    { map: { ...T, name: 'service-nodeports', type: ['inet_proto', 'inet_service'], handle: handle++, map: 'verdict', elem: nodePorts } },
    ...chains, ...rules,
  );
  return JSON.stringify({ nftables: items });
}

describe('scale: a 10k-Service kube-proxy table', () => {
  const text = bigKubeProxy(10_000);

  test('parses and walks fast, with hashed map lookups', (t) => {
    let t0 = performance.now();
    const rs = parseNftJson(text, { source: 'big' });
    const parseMs = performance.now() - t0;
    const table = rs.tables[0]!;
    assert.equal(table.chains.size, 40_003);
    assert.equal(table.sets.get('service-ips')!.elements.length + table.sets.get('service-nodeports')!.elements.length, 12_768);

    t0 = performance.now();
    const first = runHook(rs, 'PREROUTING', [branch({ src: '203.0.113.9', dst: '10.96.39.15', dport: 80, inIface: 'eth0' })]);
    const firstMs = performance.now() - t0;
    // Service 9999 is the last element: a linear scan would show; the hash does not care.
    assert.deepEqual(first.passed.map((b) => `${b.probability} ${b.dnatTo?.ip}:${b.dnatTo?.port}`), ['0.5 10.244.39.15:8080', '0.5 10.245.39.15:8080']);
    assert.deepEqual(hopsOf(first.passed[0]!).find((h) => h.chain === 'services')!.element, { set: '@service-ips', key: '10.96.39.15 . tcp . 80' });

    t0 = performance.now();
    for (let i = 0; i < 500; i++) {
      const n = (i * 37) % 10_000;
      const r = runHook(rs, 'PREROUTING', [branch({ src: '203.0.113.9', dst: `10.96.${(n >> 8) & 255}.${n & 255}`, dport: 80, inIface: 'eth0' })]);
      assert.equal(r.passed.length, 2);
    }
    const walksMs = performance.now() - t0;
    const np = runHook(rs, 'PREROUTING', [branch({ src: '203.0.113.9', dst: '192.168.0.2', dport: 32767, inIface: 'eth0' })]);
    assert.equal(np.passed.length, 2);
    // Generous bounds (a loaded CI machine is slow); on a laptop: ~0.5 s, ~20 ms, ~40 ms.
    t.diagnostic(`${(text.length / 1e6).toFixed(1)} MB: parse ${parseMs.toFixed(0)} ms, first walk ${firstMs.toFixed(0)} ms, 500 walks ${walksMs.toFixed(0)} ms`);
    assert.ok(parseMs < 4000, `parse took ${parseMs.toFixed(0)} ms`);
    assert.ok(firstMs < 500, `first walk (set index build included) took ${firstMs.toFixed(0)} ms`);
    assert.ok(walksMs < 1500, `500 walks took ${walksMs.toFixed(0)} ms`);
  });
});
