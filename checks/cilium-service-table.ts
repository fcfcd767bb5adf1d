/**
 * Cilium replaces kube-proxy on an ingress node, and its agent's own service table (read with
 * --exec-agent: `cilium-dbg service list -o json`) disagrees with the Service: the nodePort has no
 * NodePort frontend there (Cilium lists 0.0.0.0:NP and one frontend per node address), or its
 * frontends have no active backend among the endpoints the EndpointSlices list. Either way the
 * eBPF load balancer has nothing to send the connection to. With externalTrafficPolicy Local the
 * NodePort frontends hold only the node's own endpoints.
 *
 * Not this check: a Service without ready endpoints (the endpoint checks say so first).
 */
import { defineCheck, familyOf, hostPort, sh, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { frontendText, nodePortFrontends, tableExcerpt } from './lib/cilium-table.js';
import { listText } from './lib/text.js';

const MESSAGES = {
  absent: "Cilium's service table on {{node}} (agent {{pod}}) has no NodePort frontend for nodePort {{nodePort}}/{{protocol}} of {{service}}: {{seen}}. Cilium has not programmed the nodePort there (the agent has not synced the Service, or its NodePort support is off), so connections to {{node}}:{{nodePort}} are not load-balanced to a pod.",
  noActiveBackends: "Cilium's service table on {{node}} (agent {{pod}}) has the NodePort frontend{{plural}} {{frontends}} for {{service}}, but {{backends}}, while the EndpointSlices list {{endpoints}}. Connections to {{node}}:{{nodePort}} find no pod: the agent has not caught up with the endpoints.",
} as const;

/** How many items a message lists before it says "…". */
const SHOWN = 4;
const shown = (items: string[]) => items.length <= SHOWN ? items : [...items.slice(0, SHOWN), `${items.length - SHOWN} more`];

export default defineCheck({
  id: 'cilium-service-table',
  title: "Cilium's service table lacks the nodePort or its backends",
  description: "Cilium's own service table (cilium-dbg service list, read with --exec-agent) has no NodePort frontend for the Service, or no active backend among its endpoints.",
  severity: 'error',
  stage: 'kube-proxy',
  // Not nodeState: the agents' tables are read through the API (--exec-agent works with --collect none).
  requires: ['service', 'nodePort', 'endpointSlices'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    const name = `${svc.namespace}/${svc.name}`;
    const endpoints = ctx.endpointSlices.used(svc, port);
    // No endpoints at all: no-ready-endpoints and its kin explain it before any table does.
    if (endpoints.length === 0) return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      const data = ctx.nodeState(node);
      if (data.proxyReplacement?.name !== 'Cilium') continue;
      const table = data.ciliumServices;
      if (table.state !== 'read') continue;
      // The table holds the frontends of both families; the question replays one of them.
      const ofFamily = table.services.filter((s) => familyOf(s.frontend.ip) === ctx.question.family);
      const nodePorts = ofFamily.filter((s) => s.type === 'NodePort');
      const mine = nodePortFrontends(ofFamily, nodePort, port.protocol, svc);
      const evidence: Evidence[] = [{ kind: 'object', ref: `Service ${name}`, field: `spec.ports[${port.name || port.port}].nodePort`, value: nodePort }];
      const remediation = {
        summary: `Look at the Cilium agent on ${node}: its log for the Service and its status (kube-proxy replacement, NodePort devices); restarting the agent makes it sync every Service again.`,
        commands: [
          sh`kubectl -n kube-system exec ${table.pod} -c cilium-agent -- cilium-dbg status --verbose`,
          sh`kubectl -n kube-system logs ${table.pod} -c cilium-agent | grep -F -e ${name} -e ${String(nodePort)}`,
          sh`kubectl -n kube-system delete pod ${table.pod}`,
        ],
      };

      if (mine.length === 0) {
        const others = [...new Set(nodePorts.map((s) => s.frontend.port))].sort((a, b) => a - b);
        const forService = table.services.filter((s) => s.service?.namespace === svc.namespace && s.service.name === svc.name);
        evidence.push({ kind: 'output', node, command: table.command, excerpt: `${table.services.length} frontend${table.services.length === 1 ? '' : 's'}; NodePort ports: ${others.slice(0, 8).join(', ') || 'none'}` });
        findings.push({
          messageId: 'absent', node,
          data: {
            node, pod: table.pod, nodePort, protocol: port.protocol, service: name,
            seen: `${others.length === 0 ? 'it has no NodePort frontend at all' : `its NodePort frontends are on ${listText(shown(others.map(String)))}`}${forService.length > 0 ? `; it does have ${listText(shown(forService.map(frontendText)))} for the Service` : '; it has no frontend for the Service at all'}`,
          },
          evidence,
          remediation,
        });
        continue;
      }

      // externalTrafficPolicy Local: a NodePort frontend has only the node's own endpoints as
      // backends, and none on a node without one (Cilium drops there, by design).
      const expected = svc.externalTrafficPolicy === 'Local' ? ctx.endpointSlices.local(svc, port, node) : endpoints;
      if (expected.length === 0) continue;
      const wanted = new Set(expected.map((e) => hostPort(e.address, e.port)));
      const backends = mine.flatMap((s) => s.backends);
      const active = backends.filter((b) => b.state === 'active' && wanted.has(hostPort(b.ip, b.port)));
      if (active.length > 0) continue;
      const states = [...new Set(backends.map((b) => b.state))].sort();
      const stray = backends.map((b) => hostPort(b.ip, b.port)).filter((b) => !wanted.has(b));
      evidence.push({ kind: 'output', node, command: table.command, excerpt: tableExcerpt(mine) });
      findings.push({
        messageId: 'noActiveBackends', node,
        data: {
          node, pod: table.pod, service: name, nodePort,
          plural: mine.length === 1 ? '' : 's',
          frontends: listText(shown(mine.map(frontendText))),
          backends: backends.length === 0 ? 'they have no backends'
            : stray.length === backends.length ? `their backends (${listText(shown([...new Set(stray)]))}) are none of the Service's endpoints`
              : `none of their backends is active (${states.join(', ')})`,
          endpoints: `${expected.length} ready endpoint${expected.length === 1 ? '' : 's'}${expected === endpoints ? '' : ` on ${node} (externalTrafficPolicy Local)`} (${listText(shown(expected.map((e) => hostPort(e.address, e.port))))})`,
        },
        evidence,
        remediation,
      });
    }
    return findings;
  },
});
