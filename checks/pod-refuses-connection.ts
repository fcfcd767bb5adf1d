/**
 * The replay delivers the connection to a pod, and a connect from the ingress node to the pod is
 * refused: the kernel in the pod's network namespace answers the SYN with a reset because nothing
 * listens on that port there (or only on loopback). The pod's sockets were not read, so the wire
 * is the proof; where they were read, backend-not-listening reports it with the sockets.
 */
import { defineCheck, hostPort, probeEvidence, sh, type Evidence } from '../src/check-kit/index.js';
import { listText } from './lib/text.js';
import { readProbes, replayEvidence, type ProbeReading } from './lib/wire.js';

export default defineCheck({
  id: 'pod-refuses-connection',
  title: 'The pod refuses the connection',
  description: 'With --probe: the replay delivers to the pod, but a connect to the pod\'s IP and targetPort is refused: the app does not listen there (or only on 127.0.0.1), and the pod\'s sockets were not read.',
  severity: 'error',
  stage: 'backend',
  requires: ['paths'],
  messages: {
    refused: '{{pod}} on {{node}} refuses connections on {{port}}/{{protocol}}: the replay delivers NodePort {{nodePort}} connections to it at {{target}}, but a connect from {{from}} to {{target}} was refused, which is the pod\'s own kernel saying nothing listens there. The app listens on another port, only on 127.0.0.1, or is not up. Its sockets could not be read to say which.',
  },
  run(ctx) {
    const byPod = new Map<string, ProbeReading[]>();
    for (const r of readProbes(ctx)) {
      if (r.class !== 'pod-refuses' || r.probe.kind !== 'node-to-pod') continue;
      const key = `${r.probe.ip}\0${r.probe.port}`;
      byPod.set(key, [...(byPod.get(key) ?? []), r]);
    }
    return [...byPod.values()].flatMap((list) => {
      const [first] = list;
      if (first === undefined) return [];
      const { ip, port, protocol } = first.probe;
      const backend = first.expected.backend;
      const node = backend?.node ?? null;
      const sockets = node === null ? null : ctx.nodeState(node).podSockets([ip]);
      // A pod name from the cluster's objects (validated at load), never the probe's own text, goes into commands.
      const [namespace, name] = backend?.pod?.split('/') ?? [];
      const inPod = namespace !== undefined && name !== undefined;
      const evidence: Evidence[] = [
        ...list.map((r) => probeEvidence(r.probe)),
        ...list.flatMap((r) => replayEvidence(r) ?? []),
        // Why the sockets are not known, so the reader can make them known next time.
        ...(node !== null && sockets?.state === 'unknown' ? [{ kind: 'output', node, command: ctx.nodeState(node).command('pod-netns-sockets')?.argv.join(' ') ?? 'pod-netns-sockets', excerpt: sockets.why } as const] : []),
      ];
      return [{
        messageId: 'refused' as const,
        ...(node === null ? {} : { node }),
        data: {
          pod: backend?.pod ? `pod ${backend.pod}` : `the pod at ${ip}`,
          node: node ?? 'its node',
          port, protocol, target: hostPort(ip, port),
          nodePort: first.expected.path?.port ?? port,
          from: listText([...new Set(list.map((r) => r.probe.from))]),
        },
        evidence,
        remediation: {
          summary: `Make the app listen on 0.0.0.0:${port} (its listen address or port setting), or point the Service's targetPort at the port it does listen on; its log says why it is not up.`,
          commands: inPod
            ? [
              sh`kubectl exec -n ${namespace} ${name} -- sh -c ${'ss -ltnu 2>/dev/null || netstat -ltnu'}`,
              sh`kubectl logs -n ${namespace} ${name}`,
              sh`kubectl get pod -n ${namespace} ${name} -o jsonpath=${'{range .spec.containers[*]}{.name}{": "}{.ports}{"\\n"}{end}'}`,
            ]
            // An endpoint without a pod (a Service without a selector): run it where the address lives.
            : [sh`ss -ltnu`],
        },
      }];
    });
  },
});
