/**
 * kube-proxy decides which endpoints are local by comparing each endpoint's nodeName with its own
 * node name (the hostname, or --hostname-override / hostnameOverride). When that name is not the
 * Node object's name, no endpoint is ever local: with externalTrafficPolicy Local every node,
 * including those running a pod, writes "<svc> has no local endpoints" and drops the NodePort.
 * The proof is that rule on a node for which the API lists a ready endpoint.
 */
import { defineCheck, ruleEvidence, sh, type Evidence, type FindingInput, type KubeProxy } from '../src/check-kit/index.js';
import { commentOf } from './lib/iptables-rule.js';
import { noLocalEndpointRules, servicePortName } from './lib/kube-proxy-rules.js';
import { listText } from './lib/text.js';

const MESSAGES = {
  mismatch: 'kube-proxy on {{node}} does not see its own endpoints: its rule "{{comment}}" in {{table}}/{{chain}} (line {{line}}) drops {{nodePort}}/{{protocol}}, although the API lists ready endpoint {{endpoints}} with nodeName {{node}}. kube-proxy counts an endpoint as local only when its nodeName equals kube-proxy\'s own node name (the hostname, or hostnameOverride / --hostname-override){{override}}; that name is not "{{node}}", so with externalTrafficPolicy: Local this node drops every connection.',
} as const;

export default defineCheck({
  id: 'kube-proxy-node-name-mismatch',
  title: "kube-proxy's node name is not the Node's name",
  description: 'kube-proxy writes "has no local endpoints" on a node that runs a ready endpoint: its hostname(-override) differs from the Node name.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const { nodePort } = port;
    const name = servicePortName(svc, port);
    const override = hostnameOverride(ctx.kubeProxy);
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const node of [...new Set(ctx.question.ingress.map((i) => i.node))]) {
      // A kube-proxy replacement handles NodePorts here: kube-proxy-replaced says so.
      if (ctx.nodeState(node).proxyReplacement !== null) continue;
      const rss = ctx.nodeState(node).rulesets;
      if (rss === null) continue;
      const hits = rss.flatMap((rs) => noLocalEndpointRules(rs, name, nodePort).map((rule) => ({ rs, rule })));
      const first = hits[0];
      if (first === undefined) continue;
      const local = ctx.endpointSlices.local(svc, port, node);
      if (local.length === 0) continue;

      const evidence: Evidence[] = hits.map((h) => ruleEvidence(node, h.rs, h.rule));
      for (const e of local) {
        evidence.push({
          kind: 'object', ref: `EndpointSlice ${svc.namespace}/${e.slice}`, field: `endpoints[${e.address}].nodeName`,
          value: `${node} (ready: ${e.ready}${e.pod ? `, pod ${e.pod.name}` : ''})`,
        });
      }
      if (override !== null) evidence.push({ kind: 'object', ref: override.ref, field: override.field, value: override.value });
      const pods = ctx.kubeProxy.podsOn(node);
      const pod = pods[0];
      findings.push({
        messageId: 'mismatch',
        node,
        data: {
          node, nodePort, protocol: port.protocol, comment: commentOf(first.rule) ?? name,
          table: first.rule.table, chain: first.rule.chain, line: first.rule.line,
          endpoints: listText(local.map((e) => `${e.address}${e.pod ? ` (${e.pod.name})` : ''}`)),
          override: override?.text ?? '',
        },
        evidence,
        remediation: {
          summary: 'Make kube-proxy\'s node name equal the Node object\'s name: remove hostnameOverride from the kube-proxy configuration, or set it from the pod\'s spec.nodeName (kubeadm passes --hostname-override=$(NODE_NAME) with NODE_NAME from the downward API), then restart kube-proxy. Its log says "Failed to retrieve node info" when the name is wrong.',
          commands: [
            ...(pod !== undefined ? [sh`kubectl -n kube-system logs ${pod.name} | grep -iE ${'node info|hostname|node name'}`] : []),
            sh`kubectl -n kube-system get configmap kube-proxy -o jsonpath=${'{.data.config\\.conf}'} | grep -n hostnameOverride`,
            sh`kubectl -n kube-system edit configmap kube-proxy`,
            sh`kubectl -n kube-system rollout restart daemonset kube-proxy`,
          ],
        },
      });
    }
    return findings;
  },
});

/**
 * Where kube-proxy's node name comes from: hostnameOverride in the ConfigMap, --hostname-override
 * on the DaemonSet, or (neither) the machine's hostname.
 */
function hostnameOverride({ configMap, daemonSet }: Pick<KubeProxy, 'configMap' | 'daemonSet'>):
  { ref: string; field: string; value: string; text: string } | null {
  const conf = (configMap?.data as Record<string, string> | undefined)?.['config.conf'];
  const m = conf === undefined ? null : /^\s*hostnameOverride:\s*["']?([^"'\s#]+)/m.exec(conf);
  if (configMap && m?.[1] !== undefined) {
    return { ref: `ConfigMap kube-system/${configMap.metadata.name}`, field: 'config.conf hostnameOverride', value: m[1], text: ` — here hostnameOverride is "${m[1]}"` };
  }
  if (daemonSet === null) return null;
  const spec = daemonSet.spec as { template?: { spec?: { containers?: { name?: string; command?: string[]; args?: string[] }[] } } } | undefined;
  const containers = spec?.template?.spec?.containers ?? [];
  for (const c of containers) {
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    for (const [i, a] of args.entries()) {
      const v = a.startsWith('--hostname-override=') ? a.slice('--hostname-override='.length) : a === '--hostname-override' ? args[i + 1] : undefined;
      if (v !== undefined) return { ref: `DaemonSet kube-system/${daemonSet.metadata.name}`, field: '--hostname-override', value: v, text: ` — here --hostname-override is "${v}"` };
    }
  }
  const c = containers.find((x) => x.name === 'kube-proxy') ?? containers[0];
  if (c === undefined) return null;
  return {
    ref: `DaemonSet kube-system/${daemonSet.metadata.name}`, field: 'spec.template.spec.containers[kube-proxy].command',
    value: `${[...(c.command ?? []), ...(c.args ?? [])].join(' ')} (no --hostname-override)`,
    text: ' — kube-proxy runs without --hostname-override, so it uses the machine\'s hostname',
  };
}
