/**
 * The node is programmed by kube-proxy (KUBE-SERVICES holds other Services, the tail rule sends the
 * packet to KUBE-NODEPORTS) yet KUBE-NODEPORTS has no rule for this nodePort, although the API has
 * the Service with ready endpoints. Nothing translates the connection: it reaches the host itself,
 * which refuses it (or hands it to whatever listens on the port).
 *
 * Not this check: no kube-proxy rules at all (kube-proxy-missing), a tail rule that skips the
 * dialled address (nodeport-addresses-excluded), kube-proxy knowing the Service but not its
 * endpoints ("has no endpoints": kube-proxy-out-of-sync; no endpoints at all: the endpoint checks).
 */
import {
  chainEvidence, defineCheck, hostCidr, hostPort, ingressOutcomes, ipFamiliesOf, readableRules, ruleEvidence, sh, type Evidence, type FindingInput, type Hop,
} from '../src/check-kit/index.js';
import { chainOf, commentOf, dportOf, optionOf, protocolOf, targetOf } from './lib/iptables-rule.js';
import { noEndpointsRejectRules, noLocalEndpointRules, servicePortName } from './lib/kube-proxy-rules.js';

/** The hop of the KUBE-SERVICES tail rule that sends a packet on to KUBE-NODEPORTS. */
const isNodePortsTail = (h: Hop) => h.table === 'nat' && h.chain === 'KUBE-SERVICES' && h.action === 'JUMP KUBE-NODEPORTS';

const MESSAGES = {
  missing: 'kube-proxy on {{node}} has no rule for nodePort {{nodePort}}/{{protocol}} of {{service}}: nat KUBE-NODEPORTS there {{others}}{{known}}. Connections to {{target}} are not translated and reach {{node}} itself: {{outcome}}.',
} as const;

export default defineCheck({
  id: 'nodeport-rule-missing',
  title: 'kube-proxy has no rule for the nodePort',
  description: "KUBE-NODEPORTS on the node has no rule for the Service's nodePort although kube-proxy programs other Services, so the connection reaches the host and is refused.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'paths', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    const proto = port.protocol.toLowerCase();
    const name = servicePortName(svc, port);
    if (ctx.endpointSlices.used(svc, port).length === 0) return [];
    // A family the Service does not have is never programmed (service-family-not-served says so).
    if (!ipFamiliesOf(svc).includes(ctx.question.family)) return [];
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const p of ctx.paths) {
      if (p.unavailable !== null) continue;
      // The walk reached KUBE-NODEPORTS through the tail rule and came out without a DNAT.
      const o = ingressOutcomes(p).find((x) => x.dnat === null && x.hops.some(isNodePortsTail));
      const tail = o?.hops.find(isNodePortsTail);
      if (o === undefined || tail === undefined) continue;
      const gathered = ctx.nodeState(p.node);
      const rss = gathered.rulesets ?? [];
      const rs = rss.find((r) => chainOf(r, 'nat', 'KUBE-NODEPORTS') !== undefined);
      const chain = rs && chainOf(rs, 'nat', 'KUBE-NODEPORTS');
      if (rs === undefined || chain === undefined) continue;
      const nodePorts = readableRules(rs, 'nat', 'KUBE-NODEPORTS');
      if (nodePorts.some((r) => dportOf(r) === nodePort && (protocolOf(r) === null || protocolOf(r) === proto))) continue;
      // kube-proxy knows the Service but thinks it has no (local) endpoints: not a missing rule.
      if (rss.some((r) => noEndpointsRejectRules(r, name).length > 0 || noLocalEndpointRules(r, name, nodePort).length > 0)) continue;
      const programmed = readableRules(rs, 'nat', 'KUBE-SERVICES').filter((r) => targetOf(r) !== 'KUBE-NODEPORTS');
      if (programmed.length === 0) continue;

      const clusterRule = programmed.find((r) => commentOf(r) === `${name} cluster IP`
        || (dportOf(r) === port.port && svc.clusterIPs.some((ip) => optionOf(r, '-d', '')?.values[0] === hostCidr(ip))));
      const otherPorts = [...new Set(nodePorts.map((r) => dportOf(r)).filter((x): x is number => x !== null))].sort((a, b) => a - b);
      const evidence: Evidence[] = [
        ctx.hopEvidence(p.node, tail),
        chainEvidence(p.node, rs, chain, `no rule with --dport ${nodePort} (${nodePorts.length} rule${nodePorts.length === 1 ? '' : 's'}${otherPorts.length > 0 ? `: --dport ${otherPorts.slice(0, 8).join(', ')}${otherPorts.length > 8 ? ', …' : ''}` : ''})`),
        ...(clusterRule !== undefined ? [ruleEvidence(p.node, rs, clusterRule)] : []),
        { kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: `spec.ports[${port.name || port.port}].nodePort`, value: nodePort },
      ];
      const listens = gathered.listening?.has(`${proto}/${nodePort}`) ?? null;
      if (listens === true) evidence.push({ kind: 'output', node: p.node, command: 'ss -H -l -n -t -u -p', excerpt: `a process listens on ${proto}/${nodePort}` });
      const outcome = o.verdict === 'ACCEPT'
        ? listens === true ? `a process on ${p.node} listens on ${nodePort} and answers instead of a pod (kube-proxy skips a nodePort it cannot reserve: "address already in use")` : 'the kernel refuses them (connection refused)'
        : `${o.verdict === 'DROP' ? 'they are dropped' : 'they are rejected'} there`;
      const pod = ctx.kubeProxy.podsOn(p.node)[0];
      findings.push({
        messageId: 'missing',
        node: p.node,
        data: {
          node: p.node, nodePort, protocol: port.protocol, service: `${svc.namespace}/${svc.name}`, target: hostPort(p.address, nodePort), outcome,
          others: nodePorts.length === 0 ? 'is empty' : `holds rules for ${otherPorts.length} other nodePort${otherPorts.length === 1 ? '' : 's'} but none for ${nodePort}`,
          known: clusterRule !== undefined ? ` (it does have the Service's cluster IP rule, line ${clusterRule.line}: the nodePort changed after its last sync, or it skipped the port)` : ' (it has no rule for the Service at all: it has not synced since the Service was created)',
        },
        evidence,
        remediation: {
          summary: `Restart kube-proxy on ${p.node} so it writes the rule${listens === true ? `, after stopping the process on ${p.node} that holds port ${nodePort}` : ''}; its log says why it skipped the port (for example "can't open port … address already in use") or stopped syncing.`,
          commands: [
            ...(listens === true ? [sh`ss -lntup ${`sport = :${nodePort}`}`] : []),
            // Fixed strings: a name is not a regular expression.
            pod !== undefined ? sh`kubectl -n kube-system logs ${pod.name} | grep -F -e ${nodePort} -e ${`${svc.namespace}/${svc.name}`} -e rror` : sh`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${p.node}`,
            pod !== undefined ? sh`kubectl -n kube-system delete pod ${pod.name}` : sh`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${p.node}`,
          ],
        },
      });
    }
    return findings;
  },
});
