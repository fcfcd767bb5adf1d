/**
 * The question's address family is not one of the Service's: an IPv6 client (or an IPv6 node
 * address) for a SingleStack IPv4 Service, or the reverse. kube-proxy runs one proxier per family,
 * and each uses only the ClusterIP of its own family and skips a Service that has none, so the
 * other family's rules hold no nodePort for it on any node.
 */
import { defineCheck, ipFamiliesOf, sh } from '../src/check-kit/index.js';

const name = (f: 4 | 6) => `IPv${f}`;

export default defineCheck({
  id: 'service-family-not-served',
  title: 'The Service has no address of the family the client uses',
  description: 'The client or node address is IPv6 (or IPv4) but the Service has only the other family, so kube-proxy programs no nodePort for it in that family.',
  severity: 'error',
  stage: 'service',
  // Not nodePort: a family the Service lacks is exactly when that requirement is not met.
  requires: ['service'],
  messages: {
    notServed: 'Service {{service}} has {{families}} only (ipFamilyPolicy {{policy}}): kube-proxy programs nodePort {{nodePort}} in its {{families}} rules alone, so an {{family}} connection from {{client}} reaches no Service on any node. Each of kube-proxy\'s per-family proxiers skips a Service without a ClusterIP of its family.',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    const has = ipFamiliesOf(svc);
    const family = ctx.question.family;
    // The question says so (::1 aside: it is never served whatever the Service, and localhost-nodeport-unsupported says why).
    if (ctx.question.unserved !== true || port?.nodePort == null) return [];
    const spec = (svc.object.spec ?? {}) as { ipFamilies?: unknown; ipFamilyPolicy?: unknown };
    const policy = typeof spec.ipFamilyPolicy === 'string' ? spec.ipFamilyPolicy : 'SingleStack';
    const ref = `Service ${svc.namespace}/${svc.name}`;
    return [{
      messageId: 'notServed',
      data: { service: `${svc.namespace}/${svc.name}`, families: has.map(name).join(' and '), policy, nodePort: port.nodePort, family: name(family), client: ctx.question.client.ip },
      evidence: [
        { kind: 'object', ref, field: 'spec.ipFamilies', value: spec.ipFamilies ?? has.map(name) },
        { kind: 'object', ref, field: 'spec.ipFamilyPolicy', value: policy },
        { kind: 'object', ref, field: 'spec.clusterIPs', value: svc.clusterIPs },
      ],
      remediation: {
        summary: `Dial a node's ${has.map(name).join(' or ')} address, or make the Service dual-stack (PreferDualStack: the API server then adds a ClusterIP of the other family, when the cluster's service CIDRs have both).`,
        commands: [
          sh`kubectl -n ${svc.namespace} patch service ${svc.name} --type merge -p ${'{"spec":{"ipFamilyPolicy":"PreferDualStack"}}'}`,
          sh`kubectl -n ${svc.namespace} get service ${svc.name} -o jsonpath=${'{.spec.ipFamilies} {.spec.clusterIPs}'}`,
        ],
      },
    }];
  },
});
