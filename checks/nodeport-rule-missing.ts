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
import { defineCheck, type Evidence, type FindingInput } from '../src/run/check.js';
import { sh } from '../src/run/command.js';
import {
  chainEvidence, chainOf, commentOf, dportOf, hopEvidence, ingressOutcomes, kubeProxyPodsOn, noEndpointRules,
  noLocalEndpointRules, optionOf, protocolOf, ruleEvidence, rulesetsOf, rulesIn, servicePortName, targetOf, usedEndpoints,
} from './lib/kube-proxy.js';

export default defineCheck({
  id: 'nodeport-rule-missing',
  title: 'kube-proxy has no rule for the nodePort',
  description: "KUBE-NODEPORTS on the node has no rule for the Service's nodePort although kube-proxy programs other Services, so the connection reaches the host and is refused.",
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'paths'],
  messages: {
    missing: 'kube-proxy on {{node}} has no rule for nodePort {{nodePort}}/{{protocol}} of {{service}}: nat KUBE-NODEPORTS there {{others}}{{known}}. Connections to {{address}}:{{nodePort}} are not translated and reach {{node}} itself: {{outcome}}.',
  },
  run(ctx) {
    const svc = ctx.service!;
    const port = ctx.question.port!;
    const nodePort = port.nodePort!;
    const proto = port.protocol.toLowerCase();
    const name = servicePortName(svc, port);
    if (usedEndpoints(ctx, svc, port).length === 0) return [];
    const findings: FindingInput[] = [];

    for (const p of ctx.paths) {
      if (p.unavailable !== null) continue;
      // The walk reached KUBE-NODEPORTS through the tail rule and came out without a DNAT.
      const o = ingressOutcomes(p).find((x) => x.dnat === null && x.hops.some((h) => h.table === 'nat' && h.chain === 'KUBE-SERVICES' && h.action === 'JUMP KUBE-NODEPORTS'));
      if (o === undefined) continue;
      const rss = rulesetsOf(ctx, p.node) ?? [];
      const rs = rss.find((r) => chainOf(r, 'nat', 'KUBE-NODEPORTS') !== undefined);
      if (rs === undefined) continue;
      const nodePorts = rulesIn(rs, 'nat', 'KUBE-NODEPORTS');
      if (nodePorts.some((r) => dportOf(r) === nodePort && (protocolOf(r) === null || protocolOf(r) === proto))) continue;
      // kube-proxy knows the Service but thinks it has no (local) endpoints: not a missing rule.
      if (rss.some((r) => noEndpointRules(r, name).length > 0 || noLocalEndpointRules(r, name, nodePort).length > 0)) continue;
      const programmed = rulesIn(rs, 'nat', 'KUBE-SERVICES').filter((r) => targetOf(r) !== 'KUBE-NODEPORTS');
      if (programmed.length === 0) continue;

      const tail = o.hops.find((h) => h.table === 'nat' && h.chain === 'KUBE-SERVICES' && h.action === 'JUMP KUBE-NODEPORTS')!;
      const clusterRule = programmed.find((r) => commentOf(r) === `${name} cluster IP`
        || (dportOf(r) === port.port && svc.clusterIPs.some((ip) => optionOf(r, '-d', '')?.values[0] === `${ip}/32`)));
      const otherPorts = [...new Set(nodePorts.map((r) => dportOf(r)).filter((x): x is number => x !== null))].sort((a, b) => a - b);
      const chain = chainOf(rs, 'nat', 'KUBE-NODEPORTS')!;
      const evidence: Evidence[] = [
        hopEvidence(ctx, p.node, tail),
        chainEvidence(p.node, rs, chain, `no rule with --dport ${nodePort} (${nodePorts.length} rule${nodePorts.length === 1 ? '' : 's'}${otherPorts.length > 0 ? `: --dport ${otherPorts.slice(0, 8).join(', ')}${otherPorts.length > 8 ? ', …' : ''}` : ''})`),
        ...(clusterRule !== undefined ? [ruleEvidence(p.node, rs, clusterRule)] : []),
        { kind: 'object', ref: `Service ${svc.namespace}/${svc.name}`, field: `spec.ports[${port.name || port.port}].nodePort`, value: nodePort },
      ];
      const listens = ctx.cluster.nodeDataOf(p.node).listening?.has(`${proto}/${nodePort}`) ?? null;
      if (listens === true) evidence.push({ kind: 'output', node: p.node, command: 'ss -H -l -n -t -u -p', excerpt: `a process listens on ${proto}/${nodePort}` });
      const outcome = o.verdict === 'ACCEPT'
        ? listens === true ? `a process on ${p.node} listens on ${nodePort} and answers instead of a pod (kube-proxy skips a nodePort it cannot reserve: "address already in use")` : 'the kernel refuses them (connection refused)'
        : `${o.verdict === 'DROP' ? 'they are dropped' : 'they are rejected'} there`;
      const pod = kubeProxyPodsOn(ctx, p.node)[0];
      findings.push({
        messageId: 'missing',
        node: p.node,
        data: {
          node: p.node, nodePort, protocol: port.protocol, service: `${svc.namespace}/${svc.name}`, address: p.address, outcome,
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
