import check from '../../checks/no-ready-endpoints.js';
import { findService, updatePods, updateService } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // Endpoints exist, none ready: endpoints-not-ready.
    { scenario: 'pods-crashlooping' },
  ],
  invalid: [
    {
      scenario: 'selector-typo',
      findings: [
        {
          messageId: 'selectorMismatch',
          data: {
            service: 'shop/frontend',
            selector: 'app=fronted',
            namespace: 'shop',
            port: 'nodePort 30080',
            nearest: 'pod frontend-xgf88pr6rs-5hr8x (and 1 more like it): selector app: fronted vs pod app: frontend',
          },
        },
      ],
    },
    {
      scenario: 'nftables-selector-typo',
      findings: [
        {
          messageId: 'selectorMismatch',
          data: {
            service: 'shop/frontend',
            selector: 'app=fronted',
            namespace: 'shop',
            port: 'nodePort 30080',
            nearest: 'pod frontend-xgf88pr6rs-5hr8x (and 1 more like it): selector app: fronted vs pod app: frontend',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'no pod carries any label of the selector',
      spec: (s) => { updateService(s, 'shop/frontend', { selector: { team: 'payments' } }); },
      findings: [
        {
          messageId: 'noPodLooksLike',
          data: {
            service: 'shop/frontend',
            selector: 'team=payments',
            count: 3,
            namespace: 'shop',
            examples: 'backend-gxclqbw659-k4h4m: app=backend,pod-template-hash=gxclqbw659; frontend-xgf88pr6rs-5hr8x: app=frontend,pod-template-hash=xgf88pr6rs; frontend-xgf88pr6rs-bvvl9: app=frontend,pod-template-hash=xgf88pr6rs',
            port: 'nodePort 30080',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the namespace has no pods',
      spec: (s) => { s.pods = s.pods.filter((p) => p.namespace !== 'shop'); },
      findings: [
        {
          messageId: 'noPods',
          data: { service: 'shop/frontend', selector: 'app=frontend', namespace: 'shop', port: 'nodePort 30080' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the selected pods are not scheduled',
      spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { node: null, ip: null, phase: 'Pending' }); },
      findings: [
        {
          messageId: 'podsNoIp',
          data: {
            service: 'shop/frontend',
            count: 2,
            pods: 'frontend-xgf88pr6rs-5hr8x Pending: Unschedulable (0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.); frontend-xgf88pr6rs-bvvl9 Pending: Unschedulable (0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.)',
            port: 'nodePort 30080',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'no EndpointSlice lists the running pods',
      spec: (s) => { s.endpointSlicesOverride['shop/frontend'] = []; },
      findings: [
        {
          messageId: 'notListed',
          data: {
            service: 'shop/frontend',
            count: 2,
            pods: 'frontend-xgf88pr6rs-5hr8x 10.244.1.2, frontend-xgf88pr6rs-bvvl9 10.244.2.2',
            port: 'nodePort 30080',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the Service has no selector',
      spec: (s) => { delete findService(s, 'shop/frontend').selector; },
      findings: [
        {
          messageId: 'noSelector',
          data: { service: 'shop/frontend', name: 'frontend', port: 'nodePort 30080' },
        },
      ],
    },
  ],
});
