/**
 * The Service (or the port asked about) has no nodePort: type ClusterIP or ExternalName, or a
 * LoadBalancer created with allocateLoadBalancerNodePorts=false. Nothing on the nodes' addresses
 * answers for it, so a client outside the cluster cannot reach it through a node.
 */
import { defineCheck, hostPort, sh } from '../src/check-kit/index.js';

export default defineCheck({
  id: 'service-not-nodeport',
  title: 'Service has no nodePort',
  description: 'The Service is ClusterIP/ExternalName, or its port has no nodePort, so no node answers for it.',
  severity: 'error',
  stage: 'service',
  requires: ['service'],
  messages: {
    clusterIp: 'Service {{service}} is type {{type}}: it has no nodePort, so nothing on the nodes\' addresses answers for it; its ClusterIP {{target}} is reachable only from inside the cluster.',
    externalName: 'Service {{service}} is type ExternalName (a DNS alias for {{externalName}}): it has no ports on the nodes and no ClusterIP, so clients outside the cluster cannot reach anything through it.',
    lbNoNodePorts: 'Service {{service}} is a LoadBalancer with allocateLoadBalancerNodePorts=false: port {{port}} has no nodePort, so the nodes do not answer for it; only a load balancer that sends traffic straight to the pods can reach it.',
    portNoNodePort: 'Port {{port}} of Service {{service}} (type {{type}}) has no nodePort, so the nodes do not answer for it.',
    noPorts: 'Service {{service}} (type {{type}}) declares no ports, so there is no nodePort to connect to.',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    if (port !== null && port.nodePort !== null) return [];
    const name = `${svc.namespace}/${svc.name}`;
    const ref = `Service ${name}`;
    const spec = (svc.object.spec ?? {}) as Record<string, unknown>;
    const index = port === null ? -1 : svc.ports.indexOf(port);
    const portText = port === null ? '' : `${port.name ? `${port.name} ` : ''}${port.port}/${port.protocol}`;
    const show = sh`kubectl get service ${svc.name} -n ${svc.namespace} -o wide`;
    if (svc.type === 'ExternalName') {
      const target = typeof spec.externalName === 'string' ? spec.externalName : '(unset)';
      return [{
        messageId: 'externalName',
        data: { service: name, externalName: target },
        evidence: [{ kind: 'object', ref, field: 'spec.type', value: 'ExternalName' }, { kind: 'object', ref, field: 'spec.externalName', value: target }],
        remediation: {
          summary: `An ExternalName Service only answers DNS. Expose the workload behind ${target} with its own NodePort Service, or connect to ${target} directly.`,
          commands: [show, sh`kubectl get service -n ${svc.namespace} -o wide`],
        },
      }];
    }
    if (port === null) {
      return [{
        messageId: 'noPorts',
        data: { service: name, type: svc.type },
        evidence: [{ kind: 'object', ref, field: 'spec.ports', value: [] }],
        remediation: { summary: 'Declare the port the workload listens on and make the Service a NodePort.', commands: [show, sh`kubectl edit service ${svc.name} -n ${svc.namespace}`] },
      }];
    }
    const fieldPath = `spec.ports[${index}].nodePort`;
    if (svc.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === false) {
      return [{
        messageId: 'lbNoNodePorts',
        data: { service: name, port: portText },
        evidence: [
          { kind: 'object', ref, field: 'spec.allocateLoadBalancerNodePorts', value: false },
          { kind: 'object', ref, field: fieldPath, value: null },
        ],
        remediation: {
          summary: 'Let the API server allocate nodePorts (allocateLoadBalancerNodePorts: true) if clients or the load balancer reach the Service through the nodes.',
          commands: [sh`kubectl patch service ${svc.name} -n ${svc.namespace} -p ${JSON.stringify({ spec: { allocateLoadBalancerNodePorts: true } })}`, show],
        },
      }];
    }
    if (svc.type === 'NodePort' || svc.type === 'LoadBalancer') {
      return [{
        messageId: 'portNoNodePort',
        data: { service: name, port: portText, type: svc.type },
        evidence: [{ kind: 'object', ref, field: fieldPath, value: null }],
        remediation: {
          summary: 'Give the port a nodePort (the API server allocates one when the field is set or the Service is re-applied as NodePort).',
          commands: [show, sh`kubectl edit service ${svc.name} -n ${svc.namespace}`],
        },
      }];
    }
    return [{
      messageId: 'clusterIp',
      data: { service: name, type: svc.type, target: hostPort(svc.clusterIPs[0] ?? 'None (headless)', port.port) },
      evidence: [{ kind: 'object', ref, field: 'spec.type', value: svc.type }, { kind: 'object', ref, field: fieldPath, value: null }],
      remediation: {
        summary: `Make the Service a NodePort (the API server allocates a nodePort in the node-port range), then connect to <node address>:<nodePort>.${svc.clusterIPs.length === 0 ? ' A headless Service (clusterIP: None) must be recreated: its clusterIP cannot be changed.' : ''}`,
        commands: [
          sh`kubectl patch service ${svc.name} -n ${svc.namespace} -p ${JSON.stringify({ spec: { type: 'NodePort' } })}`,
          sh`kubectl get service ${svc.name} -n ${svc.namespace} -o jsonpath=${`{.spec.ports[${index}].nodePort}`}`,
        ],
      },
    }];
  },
});
