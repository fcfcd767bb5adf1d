/**
 * The endpoint is reached, but nothing listens on its port there, or the app listens on loopback
 * only: the kernel answers the SYN with a reset ("connection refused"). Proven where socket data
 * exists: a hostNetwork backend's sockets are its node's `ss -l` output.
 */
import { defineCheck, sh, type Evidence, type FindingInput, type PodInfo } from '../src/check-kit/index.js';

interface Socket { proto: string; host: string; port: number; line: string }

/** `ss -H -l -n -t -u -p` lines: `tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("app",pid=1,fd=3))`. */
function sockets(stdout: string): Socket[] {
  const out: Socket[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    const local = f[4];
    if ((f[0] !== 'tcp' && f[0] !== 'udp') || local === undefined) continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port)) continue;
    out.push({ proto: f[0], host: local.slice(0, colon).replace(/%.*$/, '').replace(/^\[|\]$/g, ''), port, line: line.trim() });
  }
  return out;
}

const loopback = (host: string) => host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.');

const MESSAGES = {
  nothing: 'Nothing listens on {{proto}} port {{port}} on {{node}}, where the endpoint {{pod}} (hostNetwork) runs: connections translated to {{address}}:{{port}} are refused by the kernel.{{hint}}',
  loopback: '{{pod}} (hostNetwork, on {{node}}) listens on {{bound}} only: connections to {{address}}:{{port}} arrive on the node\'s own address and are refused. The app must bind 0.0.0.0 (or the node address).',
} as const;

export default defineCheck({
  id: 'backend-not-listening',
  title: 'Nothing listens on the endpoint port',
  description: 'The endpoint is reached but no socket listens on its port, or only on 127.0.0.1 (hostNetwork backends, from ss).',
  severity: 'error',
  stage: 'backend',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const proto = port.protocol === 'UDP' ? 'udp' : port.protocol === 'TCP' ? 'tcp' : null;
    if (proto === null) return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];
    const seen = new Set<string>();
    for (const e of ctx.endpointSlices.used(svc, port)) {
      const key = `${e.address}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pod: PodInfo | undefined = e.pod ? ctx.pods.get(e.pod.namespace ?? svc.namespace, e.pod.name) : undefined;
      if (pod === undefined || !pod.hostNetwork) continue;
      const node = e.nodeName ?? pod.nodeName;
      if (node === null) continue;
      const out = ctx.nodeState(node).command('listening-sockets');
      if (out === undefined || out.exitCode !== 0) continue;
      const bport = e.port;
      const onPort = sockets(out.stdout).filter((s) => s.proto === proto && s.port === bport);
      if (onPort.some((s) => !loopback(s.host))) continue;
      const podName = `pod ${pod.namespace}/${pod.name}`;
      const ss = 'ss -H -l -n -t -u -p';
      const paths = ctx.paths
        .filter((p) => p.branches.some((b) => b.failedAt === 'pod' && b.backend?.ip === e.address && b.backend.port === bport))
        .flatMap((p): Evidence[] => p.branches.filter((b) => b.failedAt === 'pod' && b.backend?.ip === e.address).slice(0, 1).map((b) => ({ kind: 'path', node: p.node, summary: b.why })));
      const evidence: Evidence[] = [
        { kind: 'object', ref: `Pod ${pod.namespace}/${pod.name}`, field: 'spec.hostNetwork', value: true },
        { kind: 'object', ref: `EndpointSlice ${svc.namespace}/${e.slice}`, field: `endpoints[${e.address}]`, value: { port: bport, ready: e.ready, nodeName: node } },
      ];
      const inspect = sh`kubectl exec -n ${pod.namespace} ${pod.name} -- sh -c ${'ss -ltnup 2>/dev/null || netstat -ltnup'}`;
      if (onPort.length > 0) {
        findings.push({
          messageId: 'loopback',
          node,
          data: { pod: podName, node, bound: onPort.map((s) => `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`).join(', '), address: e.address, port: bport },
          evidence: [...evidence, { kind: 'output', node, command: ss, excerpt: onPort.map((s) => s.line).join('\n') }, ...paths],
          remediation: {
            summary: `Configure the app in ${pod.name} to listen on 0.0.0.0:${bport} (its bind/host/listen-address setting) instead of loopback, then restart it.`,
            commands: [inspect, sh`kubectl logs -n ${pod.namespace} ${pod.name}`],
          },
        });
        continue;
      }
      // A port the pod declares that does listen points at a wrong targetPort.
      const all = sockets(out.stdout).filter((s) => s.proto === proto && !loopback(s.host));
      const declared = pod.ports.filter((c) => c.protocol === port.protocol && c.port !== bport && all.some((s) => s.port === c.port));
      const listening = declared[0];
      const hint = listening !== undefined
        ? ` The pod declares containerPort ${declared.map((c) => c.port).join(', ')}, which is listening: the Service's targetPort (${String(port.targetPort)}) is probably wrong.`
        : ' The app is not running, not ready to accept connections, or listens on another port.';
      findings.push({
        messageId: 'nothing',
        node,
        data: { proto: proto.toUpperCase(), port: bport, node, pod: podName, address: e.address, hint },
        evidence: [...evidence, { kind: 'output', node, command: ss, excerpt: `no ${proto} socket on port ${bport}${declared.length > 0 ? `; ${all.filter((s) => declared.some((c) => c.port === s.port)).map((s) => s.line).join('; ')}` : ''}` }, ...paths],
        remediation: {
          summary: listening !== undefined
            ? `Point the Service's targetPort at ${listening.port}, the port the app listens on.`
            : `Find out why the app in ${pod.name} does not listen on ${bport}: its log, its configured port.`,
          commands: [
            ...(listening !== undefined ? [sh`kubectl patch service ${svc.name} -n ${svc.namespace} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/spec/ports/${svc.ports.indexOf(port)}/targetPort`, value: listening.port }])}`] : []),
            sh`kubectl logs -n ${pod.namespace} ${pod.name}`,
            inspect,
          ],
        },
      });
    }
    return findings;
  },
});
