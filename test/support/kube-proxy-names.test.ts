/**
 * The scenario kit's kube-proxy names and numbers against kube-proxy's own: chain hashes as
 * pkg/proxy/iptables/proxier_test.go and pkg/proxy/nftables/proxier.go spell them, and the
 * `--probability` kube-proxy writes and iptables-save prints back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endpointHash, hashAndTruncate, portProtoHash } from './scenario-kit/kube-proxy-names.js';
import { kubeProxyProbability, savedProbability, toFixedHalfEven } from './scenario-kit/statistic-probability.js';

describe('kube-proxy chain names', () => {
  const cases: [string, () => string, string][] = [
    ['KUBE-SVC- of ns1/svc1:p80 tcp (proxier_test.go)', () => `KUBE-SVC-${portProtoHash('ns1/svc1:p80', 'tcp')}`, 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['KUBE-SEP- of its endpoint 10.180.0.1:80 (proxier_test.go)', () => `KUBE-SEP-${endpointHash('ns1/svc1:p80', 'tcp', '10.180.0.1:80')}`, 'KUBE-SEP-SXIVWICOYRO3J4NJ'],
    ['the protocol is part of the hash', () => portProtoHash('ns1/svc1:p80', 'udp') === portProtoHash('ns1/svc1:p80', 'tcp') ? 'same' : 'differs', 'differs'],
    ['nftables: 8 characters, a dash, the name (proxier.go)', () => hashAndTruncate('ns1/svc1/tcp/p80'), 'ULMVA6XW-ns1/svc1/tcp/p80'],
    ['a name that fits 240 characters is kept whole', () => hashAndTruncate('x'.repeat(231)).slice(-4), 'xxxx'],
    ['a longer one is cut to 240, ending in ...', () => { const n = hashAndTruncate('x'.repeat(232)); return `${n.length} ${n.slice(-4)}`; }, '240 x...'],
  ];
  for (const [name, got, want] of cases) test(name, () => assert.equal(got(), want));
});

describe('--probability', () => {
  const cases: [string, string, string][] = [
    ['1/2', kubeProxyProbability(2), '0.5000000000'],
    ['1/3: Go rounds %0.10f', kubeProxyProbability(3), '0.3333333333'],
    ['1/3 as iptables-save prints it back (lround(p·2³¹) / 2³¹, %.11f)', savedProbability(kubeProxyProbability(3)), '0.33333333349'],
    ['1/2 comes back exactly', savedProbability(kubeProxyProbability(2)), '0.50000000000'],
    ['ties round to even, as printf does (toFixed would give 0.13)', toFixedHalfEven(0.125, 2), '0.12'],
    ['and up to the even digit', toFixedHalfEven(0.375, 2), '0.38'],
  ];
  for (const [name, got, want] of cases) test(name, () => assert.equal(got, want));
});
