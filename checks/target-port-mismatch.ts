/**
 * The Service's targetPort does not fit the pods. A named targetPort that no selected pod's
 * container declares cannot be resolved: the EndpointSlice controller lists the pod without the
 * port, so kube-proxy has no endpoint for it. A numeric targetPort the pods do not declare is only
 * suspicious (containerPort is informational, kubernetes#73049), so it is a warning.
 */
import { defineCheck, sh, type ContainerPort, type Evidence, type PodInfo } from '../src/check-kit/index.js';

const portText = (c: ContainerPort) => `${c.container}: ${c.name ? `${c.name} ` : ''}${c.port}/${c.protocol}`;

export default defineCheck({
  id: 'target-port-mismatch',
  title: 'targetPort does not match the pods',
  description: 'A named targetPort no selected pod declares (no endpoint port), or a numeric one the pods do not declare.',
  severity: 'error',
  stage: 'backend',
  requires: ['service', 'pods', 'endpointSlices'],
  messages: {
    namedMissing: 'Service {{service}} port {{port}} has targetPort "{{targetPort}}", but no selected pod declares a {{protocol}} container port named "{{targetPort}}" ({{declared}}): the EndpointSlice controller lists the pods without that port, so kube-proxy has no endpoint for it and rejects the connection.',
    namedMissingSome: 'Service {{service}} port {{port}} has targetPort "{{targetPort}}", which {{missing}} of the {{count}} selected pods do not declare ({{pods}}): those pods are listed without the port and never receive traffic.',
    numericNotDeclared: 'Service {{service}} port {{port}} sends to targetPort {{targetPort}}, but the selected pods declare only {{declared}}: if the app listens there rather than on {{targetPort}}, connections are refused (containerPort is informational, so this is not proof).',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    if (port === null || svc.selector === null) return [];
    const pods = ctx.pods.selectedBy(svc).filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
    const [firstPod] = pods;
    if (firstPod === undefined) return [];
    const name = `${svc.namespace}/${svc.name}`;
    const ns = svc.namespace;
    const index = svc.ports.indexOf(port);
    const tp = port.targetPort;
    const sameProto = (p: PodInfo) => p.ports.filter((c) => c.protocol === port.protocol);
    const declaredText = (list: PodInfo[]) => {
      const all = [...new Set(list.flatMap((p) => sameProto(p).map(portText)))];
      return all.length === 0 ? `no ${port.protocol} ports` : all.slice(0, 6).join(', ');
    };
    const portLabel = `${port.name ? `${port.name} ` : ''}${port.port}/${port.protocol}`;
    const svcEvidence: Evidence = { kind: 'object', ref: `Service ${name}`, field: `spec.ports[${index}].targetPort`, value: tp };
    const podEvidence = (list: PodInfo[]) => list.slice(0, 3).map((p): Evidence => ({ kind: 'object', ref: `Pod ${ns}/${p.name}`, field: 'spec.containers[*].ports', value: p.ports.map((c) => ({ container: c.container, ...(c.name ? { name: c.name } : {}), containerPort: c.port, protocol: c.protocol })) }));
    // The one port the pods agree on, as the value to suggest.
    const candidates = [...new Set(pods.flatMap((p) => sameProto(p).map((c) => c.name ?? String(c.port))))];
    const numbers = [...new Set(pods.flatMap((p) => sameProto(p).map((c) => String(c.port))))];
    const named = candidates.length === 1 ? candidates[0] ?? null : null;
    const patch = (value: string) => sh`kubectl patch service ${svc.name} -n ${ns} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/spec/ports/${index}/targetPort`, value: /^\d+$/.test(value) ? Number(value) : value }])}`;
    const showPorts = sh`kubectl get pod ${firstPod.name} -n ${ns} -o jsonpath=${'{range .spec.containers[*]}{.name}{": "}{.ports}{"\\n"}{end}'}`;

    if (typeof tp === 'string') {
      const lacking = pods.filter((p) => !p.ports.some((c) => c.name === tp && c.protocol === port.protocol));
      if (lacking.length === 0) return [];
      const slices = [...new Set(ctx.endpointSlices.of(svc, port).filter((e) => e.port === null).map((e) => e.slice))];
      const sliceEvidence = slices.map((s): Evidence => ({ kind: 'object', ref: `EndpointSlice ${ns}/${s}`, field: 'ports', value: `no port named "${port.name}"` }));
      const commands = [
        ...(named !== null ? [patch(named)] : []),
        showPorts,
        sh`kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${svc.name} -o yaml`,
      ];
      if (lacking.length === pods.length) {
        return [{
          messageId: 'namedMissing',
          data: { service: name, port: portLabel, targetPort: tp, protocol: port.protocol, declared: declaredText(pods) },
          evidence: [svcEvidence, ...podEvidence(pods), ...sliceEvidence],
          remediation: {
            summary: named !== null
              ? `Point targetPort at the port the pods declare (${named}), or name the container port "${tp}" in the pod template.`
              : `Name the container port the app listens on "${tp}" in the pod template (ports: - name: ${tp}), or set targetPort to that port's number.`,
            commands,
          },
        }];
      }
      return [{
        messageId: 'namedMissingSome',
        severity: 'warning',
        data: { service: name, port: portLabel, targetPort: tp, missing: lacking.length, count: pods.length, pods: lacking.slice(0, 4).map((p) => p.name).join(', ') + (lacking.length > 4 ? ', …' : '') },
        evidence: [svcEvidence, ...podEvidence(lacking), ...sliceEvidence],
        remediation: { summary: `Declare the container port "${tp}" in every workload the selector picks (the pods without it run another template).`, commands: [showPorts] },
      }];
    }

    // Numeric: only a hint, and only when the pods declare ports at all.
    const declaring = pods.filter((p) => sameProto(p).length > 0);
    const [firstDeclaring] = declaring;
    if (firstDeclaring === undefined || declaring.some((p) => sameProto(p).some((c) => c.port === tp))) return [];
    // With socket data for hostNetwork backends, backend-not-listening proves (or disproves) it.
    if (pods.every((p) => p.hostNetwork && p.nodeName !== null && ctx.nodeState(p.nodeName).command('listening-sockets')?.exitCode === 0)) return [];
    const suggestion = numbers.length === 1 ? numbers[0] ?? null : null;
    return [{
      messageId: 'numericNotDeclared',
      severity: 'warning',
      data: { service: name, port: portLabel, targetPort: tp, declared: declaredText(declaring) },
      evidence: [svcEvidence, ...podEvidence(declaring)],
      remediation: {
        summary: suggestion !== null
          ? `If the app listens on ${suggestion}, point targetPort there; if it really listens on ${tp}, declare containerPort ${tp} so the two agree.`
          : `Check which port the app listens on and make targetPort and containerPort agree.`,
        commands: [...(suggestion !== null ? [patch(suggestion)] : []), showPorts, sh`kubectl exec -n ${ns} ${firstDeclaring.name} -- sh -c ${'ss -ltn 2>/dev/null || netstat -ltn'}`],
      },
    }];
  },
});
