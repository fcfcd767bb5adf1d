/**
 * The client dials a Service's ClusterIP (with the nodePort) instead of a node address. A
 * ClusterIP is virtual: kube-proxy answers it only for packets that pass through a cluster node's
 * rules (pods, nodes), and only on the Service `port`, never on the nodePort.
 */
import { defineCheck, familyOf, hostPort, sh, type Evidence } from '../src/check-kit/index.js';

export default defineCheck({
  id: 'client-wrong-target',
  title: 'Client dials a ClusterIP',
  description: 'The address the client dials is a Service ClusterIP, which answers only inside the cluster and only on the Service port.',
  severity: 'error',
  stage: 'service',
  requires: ['services', 'nodes'],
  messages: {
    clusterIp: '{{address}} is the ClusterIP of Service {{owner}}, not a node address: a ClusterIP answers only inside the cluster (from pods and nodes) and only on the Service port {{servicePort}}, never on the nodePort. From outside, connect to a node address on the nodePort: {{use}}.',
    otherService: '{{address}} is the ClusterIP of Service {{owner}}, not a node of the cluster, and not even the Service asked about ({{service}}): a ClusterIP answers only inside the cluster. From outside, connect to a node address on the nodePort: {{use}}.',
  },
  run(ctx) {
    const wrong = ctx.question.wrongTarget;
    if (wrong === undefined) return [];
    const { question: q, service: target, port } = ctx;
    const [ns, name] = wrong.clusterIpOf.split('/') as [string, string];
    const owner = ctx.services.get(ns, name);
    const nodePort = port?.nodePort ?? null;
    const ready = ctx.nodes.all.filter((n) => n.ready !== false);
    const nodes = (ready.length > 0 ? ready : ctx.nodes.all);
    const addresses = nodes.flatMap((n) => {
      const ext = n.addresses.filter((a) => a.type === 'ExternalIP').map((a) => a.address);
      // A node address of the family the client used (it dialled an IPv6 ClusterIP: an IPv6 node address).
      return [...ext, ...n.internalIPs].filter((a) => familyOf(a) === q.family).slice(0, 1);
    });
    const shown = addresses.slice(0, 3).map((a) => (nodePort !== null ? hostPort(a, nodePort) : a));
    const use = shown.length > 0
      ? `${shown.join(', ')}${nodePort === null ? ` (port ${port?.port ?? '?'} has no nodePort yet)` : ''}`
      : 'see kubectl get nodes -o wide';
    const isTarget = target !== null && owner !== undefined && owner.namespace === target.namespace && owner.name === target.name;
    const evidence: Evidence[] = [
      { kind: 'object', ref: `Service ${wrong.clusterIpOf}`, field: 'spec.clusterIP', value: wrong.address },
      ...nodes.slice(0, 3).map((n): Evidence => ({ kind: 'object', ref: `Node ${n.name}`, field: 'status.addresses', value: n.addresses.filter((a) => a.type !== 'Hostname') })),
    ];
    const first = addresses[0];
    const commands = [
      sh`kubectl get nodes -o wide`,
      ...(first !== undefined && nodePort !== null ? [port?.protocol === 'UDP' ? sh`nc -vzu ${first} ${nodePort}` : sh`nc -vz ${first} ${nodePort}`] : []),
      sh`kubectl get service ${q.service} -n ${q.namespace} -o ${'jsonpath={.spec.ports[*].nodePort}'}`,
    ];
    return [{
      messageId: isTarget || target === null ? 'clusterIp' : 'otherService',
      data: {
        address: wrong.address, owner: wrong.clusterIpOf, service: `${q.namespace}/${q.service}`, use,
        servicePort: (owner?.ports ?? []).map((p) => `${p.port}/${p.protocol}`).join(', ') || '(none)',
      },
      evidence,
      remediation: {
        summary: `Point the client at a node address and the nodePort${nodePort !== null ? ` (${nodePort})` : ''}; use ${wrong.address} only from inside the cluster, on the Service port.`,
        commands,
      },
    }];
  },
});
