import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** An IPv6 client of a SingleStack IPv4 Service: kube-proxy's IPv6 proxier skips the Service, so no node serves its nodePort over IPv6. */
export default {
  about: 'a client at 2001:db8::7 dials the nodePort of shop/frontend, which has IPv4 only (ipFamilyPolicy SingleStack)',
  spec: baseCluster(),
  ask: { from: '2001:db8::7' },
  expect: { top: 'service-family-not-served', findings: ['service-family-not-served'] },
} satisfies Scenario;
