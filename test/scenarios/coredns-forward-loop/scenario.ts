import { baseCluster, corefile } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The Corefile forwards to systemd-resolved's stub 127.0.0.53, which inside the pod is CoreDNS itself. */
const spec = baseCluster();
spec.coreDns.corefile = corefile({ forward: '127.0.0.53' });

export default {
  about: 'CoreDNS forwards to 127.0.0.53 (a loop); the NodePort itself works, so it is context only',
  spec,
  expect: { top: 'coredns-unhealthy', findings: ['coredns-unhealthy'] },
} satisfies Scenario;
