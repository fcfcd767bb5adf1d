/**
 * The Service's targetPort does not fit the pods. A named targetPort that no selected pod's
 * container declares cannot be resolved: the EndpointSlice controller lists the pod without the
 * port, so kube-proxy has no endpoint for it. A numeric targetPort the pods do not declare is only
 * suspicious (containerPort is informational, kubernetes#73049), so it is a warning, until the
 * pods' sockets prove it: nothing listens on the targetPort while a declared port does. Then it is
 * an error, and this check's alone: backend-not-listening stays silent for those pods
 * (checks/lib/backend-sockets.ts), and reports every other refusal the sockets show. When every
 * pod's sockets were read and none proves it, the sockets have answered and the warning is not given.
 */
import { defineCheck, sh, type ContainerPort, type Evidence, type PodInfo } from '../src/check-kit/index.js';
import {
  backendSockets, declaredListening, listensText, misdirected, podProbeEvidence, socketEvidence, socketProtocol, undeclaredNumericTargetPort,
} from './lib/backend-sockets.js';

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
    numericProven: 'Service {{service}} port {{port}} sends to targetPort {{targetPort}}, but nothing in {{pods}} listens on it: the container listens on {{listens}} (declared containerPort {{declared}}), so the kernel refuses every connection.',
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

    // Numeric: a hint when the pods declare other ports, an error when their sockets prove it.
    const declaring = pods.filter((p) => sameProto(p).length > 0);
    const [firstDeclaring] = declaring;
    const protocol = socketProtocol(port);
    if (firstDeclaring === undefined || undeclaredNumericTargetPort(port, pods) === null || protocol === null) return [];
    const read = pods.map((p) => {
      const [ip] = p.ips;
      const node = p.nodeName;
      if (ip === undefined || node === null) return null;
      const r = backendSockets(ctx, p, node, ip);
      return 'unknown' in r ? null : { pod: p, ip, node, read: r };
    });
    const proven = read.flatMap((r) => (r !== null && misdirected(pods, port, r.pod, r.read.sockets, r.ip) ? [r] : []));
    const [first] = proven;
    if (first !== undefined) {
      const listening = declaredListening(first.pod, first.read.sockets, first.ip, protocol);
      const [target] = listening;
      return [{
        messageId: 'numericProven',
        node: proven.every((r) => r.node === first.node) ? first.node : undefined,
        data: {
          service: name, port: portLabel, targetPort: tp,
          pods: `${proven.length === 1 ? 'pod' : 'pods'} ${proven.slice(0, 3).map((r) => r.pod.name).join(', ')}${proven.length > 3 ? ` and ${proven.length - 3} more` : ''}`,
          listens: listensText(first.read.sockets.filter((x) => x.protocol === protocol), first.ip),
          declared: listening.map((c) => `${c.port}/${c.protocol}`).join(', '),
        },
        evidence: [
          svcEvidence, ...podEvidence(proven.map((r) => r.pod)),
          ...proven.slice(0, 3).map((r) => socketEvidence(r.node, r.read, r.read.sockets)),
          ...proven.slice(0, 3).flatMap((r) => podProbeEvidence(ctx, r.ip, tp)),
        ],
        remediation: {
          summary: `Point targetPort at ${target?.port ?? 'the port the app listens on'}, where the app listens; if the app should listen on ${tp}, fix its configuration and declare containerPort ${tp}.`,
          commands: [...(target !== undefined ? [patch(String(target.port))] : []), showPorts],
        },
      }];
    }
    // Every pod's sockets were read and none proves it: the sockets answered (backend-not-listening reports other refusals).
    if (read.every((r) => r !== null)) return [];
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
