/**
 * The nodePort lies outside the API server's --service-node-port-range. The API server never
 * allocates such a port, so the Service kept it from before the range was changed (or the range
 * read is not the one the cluster uses). kube-proxy still programs it, but firewalls and cloud
 * security groups opened for the node-port range do not let it in.
 */
import { defineCheck, sh, type Evidence } from '../src/check-kit/index.js';

const DEFAULT_RANGE = { lo: 30000, hi: 32767 };

/** `30000-32767`, `30000+2767` (base+offset) or a single port, as utilnet.ParsePortRange reads it. */
function parseRange(text: string): { lo: number; hi: number } | null {
  const t = text.trim();
  let m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)\+(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) + Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  return m ? { lo: Number(m[1]), hi: Number(m[1]) } : null;
}

export default defineCheck({
  id: 'nodeport-out-of-range',
  title: 'nodePort outside the node-port range',
  description: 'The nodePort is outside kube-apiserver --service-node-port-range (range changed after creation, or a wrong port).',
  severity: 'error',
  stage: 'service',
  requires: ['service', 'nodePort', 'apiServer', 'services'],
  messages: {
    outside: 'nodePort {{nodePort}} of Service {{service}} is outside the API server\'s --service-node-port-range {{range}}. The API server never hands out such a port, so the range was changed after the Service was created (or the port was set by hand against another API server): kube-proxy still programs it, but firewalls and security groups opened for {{range}} block it, and clients following the range use another port.',
    outsideDefault: 'nodePort {{nodePort}} of Service {{service}} is outside the default node-port range 30000-32767 (the API server\'s --service-node-port-range could not be read, so the default is assumed): firewalls and security groups opened for the usual range block it.',
  },
  run(ctx) {
    const { service: svc, port } = ctx;
    const np = port.nodePort;
    const configured = ctx.apiServer.serviceNodePortRange;
    const parsed = configured === null ? null : parseRange(configured);
    const range = parsed ?? DEFAULT_RANGE;
    if (np >= range.lo && np <= range.hi) return [];
    const name = `${svc.namespace}/${svc.name}`;
    const index = svc.ports.indexOf(port);
    const rangeText = `${range.lo}-${range.hi}`;
    // A port inside the range that no Service in the snapshot uses, as the new value to suggest.
    const used = new Set(ctx.services.all.flatMap((s) => s.ports.map((p) => p.nodePort)));
    let free = range.lo;
    while (used.has(free) && free < range.hi) free++;
    const evidence: Evidence[] = [
      { kind: 'object', ref: `Service ${name}`, field: `spec.ports[${index}].nodePort`, value: np },
      { kind: 'object', ref: 'kube-apiserver', field: '--service-node-port-range', value: configured },
    ];
    const commands = [
      sh`kubectl patch service ${svc.name} -n ${svc.namespace} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/spec/ports/${index}/nodePort`, value: free }])}`,
      sh`kubectl -n kube-system get pods -l component=kube-apiserver -o yaml | grep -- --service-node-port-range`,
    ];
    return [{
      messageId: parsed === null ? 'outsideDefault' : 'outside',
      ...(parsed === null ? { severity: 'warning' as const } : {}),
      data: { nodePort: np, service: name, range: rangeText },
      evidence,
      remediation: {
        summary: `Move the Service to a nodePort inside ${rangeText} (${free} is not used by any Service in the snapshot; the API server refuses it if it is taken) and point clients at it, or widen --service-node-port-range on every kube-apiserver (and the firewalls) to include ${np}.`,
        commands,
      },
    }];
  },
});
