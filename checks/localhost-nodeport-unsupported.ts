/**
 * `curl 127.0.0.1:<nodePort>` on a node works only with kube-proxy in iptables mode, with
 * localhostNodePorts on (the default), a KUBE-SERVICES tail rule that does not exclude
 * 127.0.0.0/8, and route_localnet=1 (which lets the kernel route a 127.x source off lo to the
 * pod). IPVS mode never serves localhost NodePorts, nftables mode does not by default, and no mode
 * serves them on ::1, which `localhost` often resolves to.
 */
import { defineCheck, hostPort, isLoopbackIp, ruleEvidence, sh, type Command, type Evidence, type FindingInput, type FindingMessage } from '../src/check-kit/index.js';
import { chainOf, optionOf } from './lib/iptables-rule.js';
import { nodePortTailRules } from './lib/kube-proxy-rules.js';
import { nodeIp } from './lib/text.js';

const MESSAGES = {
  ipv6: '{{target}} on {{node}} is on the IPv6 loopback address, and kube-proxy never serves NodePorts on ::1 (its tail rule excludes ::1/128). `localhost` often resolves to ::1 first.{{advice}}',
  mode: 'kube-proxy runs in {{mode}} mode ({{source}}), which does not serve NodePorts on localhost: {{target}} on {{node}} is not translated.{{advice}}',
  excludedByRule: 'kube-proxy on {{node}} excludes 127.0.0.0/8 from NodePorts: its KUBE-SERVICES tail rule (line {{line}}) {{how}}, so {{target}} is not translated (localhostNodePorts is off{{config}}).{{advice}}',
  routeLocalnet: 'kube-proxy on {{node}} translates {{target}}, but net.ipv4.conf.all.route_localnet is 0 there, so the kernel refuses to route the 127.x-sourced packet off the loopback device to the pod and the connection fails. kube-proxy sets it to 1 itself when localhostNodePorts is on; something reset it.{{advice}}',
  configOff: 'kube-proxy\'s configuration ({{source}}) sets localhostNodePorts: false, so {{target}} on {{node}} is not served.{{advice}}',
} as const;

export default defineCheck({
  id: 'localhost-nodeport-unsupported',
  title: 'The NodePort is not served on localhost',
  description: 'The client dials 127.0.0.1 (or ::1) on the node, which kube-proxy does not serve: IPv6, IPVS or nftables mode, localhostNodePorts off, or route_localnet=0.',
  severity: 'error',
  stage: 'kube-proxy',
  requires: ['service', 'nodePort', 'nodeState', 'kubeProxy', 'nodes'],
  messages: MESSAGES,
  run(ctx) {
    const { nodePort } = ctx.port;
    const kp = ctx.kubeProxy.config;
    const findings: FindingInput<typeof MESSAGES>[] = [];

    for (const { node, address } of ctx.question.ingress) {
      if (!isLoopbackIp(address)) continue;
      const data = ctx.nodeState(node);
      // The node's own address of the family asked about (::1 → its IPv6 address), else its first.
      const ownIp = nodeIp(ctx.nodes, node, ctx.question.family);
      const base = { node, target: hostPort(address, nodePort), advice: ` Dial the node's own address instead${ownIp ? ` (${hostPort(ownIp, nodePort)})` : ''}; and note that \`localhost\` may resolve to ::1, which no kube-proxy mode serves.` };
      const dial = ownIp !== undefined ? [sh`nc -vz ${ownIp} ${nodePort}`] : [];
      const push = (message: FindingMessage<typeof MESSAGES>, evidence: Evidence[], summary: string, commands: Command[]) =>
        findings.push({ ...message, node, evidence, remediation: { summary, commands: [...dial, ...commands] } });

      if (address.includes(':')) {
        push({ messageId: 'ipv6', data: base }, [], 'Use the node\'s own address, or 127.0.0.1 explicitly instead of `localhost`.', []);
        continue;
      }
      const rss = data.rulesets;
      const nft = data.command('nft-ruleset');
      const mode = kp?.mode === 'ipvs' || kp?.mode === 'nftables' ? kp.mode
        : (rss ?? []).some((rs) => chainOf(rs, 'nat', 'KUBE-NODE-PORT') !== undefined) ? 'ipvs'
          : nft?.exitCode === 0 && /"name":\s*"kube-proxy"/.test(nft.stdout) && !(rss ?? []).some((rs) => chainOf(rs, 'nat', 'KUBE-NODEPORTS') !== undefined) ? 'nftables' : null;
      if (mode !== null) {
        const source = kp?.mode === mode ? `mode: ${mode} in ${kp.source}` : mode === 'ipvs' ? 'the node has IPVS\'s KUBE-NODE-PORT chain' : 'the node has the nftables table "kube-proxy"';
        push({ messageId: 'mode', data: { ...base, mode, source } }, kp?.mode === mode ? [{ kind: 'object', ref: kp.source, field: 'mode', value: mode }] : [],
          mode === 'ipvs'
            ? 'IPVS mode never serves NodePorts on 127.0.0.1 (kubernetes/kubernetes#67730): dial the node\'s address, or switch kube-proxy to iptables mode.'
            : 'nftables mode serves no localhost NodePorts by default: dial the node\'s address, or use iptables mode if localhost access is required.',
          []);
        continue;
      }

      const rs = (rss ?? []).find((r) => chainOf(r, 'nat', 'KUBE-SERVICES') !== undefined);
      const tails = rs === undefined ? [] : nodePortTailRules(rs);
      const excluding = tails.find((r) => {
        const d = optionOf(r, '-d', '');
        return d !== undefined && d.negated && d.values[0] === '127.0.0.0/8';
      });
      const restricted = tails.length > 0 && tails.every((r) => optionOf(r, '-d', '')?.negated === false) && !tails.some((r) => optionOf(r, '-d', '')?.values[0]?.startsWith('127.'));
      const enableCommands = [sh`kubectl -n kube-system edit configmap kube-proxy`, sh`kubectl -n kube-system rollout restart daemonset kube-proxy`];
      const rule = excluding ?? tails[0];
      if (rs !== undefined && rule !== undefined && (excluding !== undefined || restricted)) {
        push({
          messageId: 'excludedByRule',
          data: {
            ...base,
            line: rule.line,
            how: excluding !== undefined ? 'matches "! -d 127.0.0.0/8"' : `matches only ${tails.map((r) => optionOf(r, '-d', '')?.values[0]).join(', ')} (nodePortAddresses without 127.0.0.0/8)`,
            config: kp?.localhostNodePorts === false ? `: iptables.localhostNodePorts is false in ${kp.source}` : kp !== null ? ` on this node, although ${kp.source} does not say so` : '',
          },
        }, [...tails.map((r) => ruleEvidence(node, rs, r)), ...(kp?.localhostNodePorts != null ? [{ kind: 'object' as const, ref: kp.source, field: 'iptables.localhostNodePorts', value: kp.localhostNodePorts }] : [])],
        'Dial the node\'s address, or set iptables.localhostNodePorts: true (and, with nodePortAddresses, include 127.0.0.0/8) in the kube-proxy ConfigMap and restart kube-proxy.', enableCommands);
        continue;
      }
      if (rs !== undefined && tails.length > 0) {
        const all = data.sysctl('net.ipv4.conf.all.route_localnet');
        const perIface = [...data.sysctls.entries()].filter(([k, v]) => /^net\.ipv4\.conf\.[^.]+\.route_localnet$/.test(k) && k !== 'net.ipv4.conf.all.route_localnet' && v === '1');
        if (all === '0' && perIface.length === 0) {
          push({ messageId: 'routeLocalnet', data: base }, [{ kind: 'sysctl', node, name: 'net.ipv4.conf.all.route_localnet', value: all }, ...tails.map((r) => ruleEvidence(node, rs, r))],
            `Set route_localnet back to 1 on ${node} (and find what resets it: a sysctl.d file or a hardening profile), or dial the node's address.`,
            [sh`sysctl -w net.ipv4.conf.all.route_localnet=1`, sh`grep -rn route_localnet /etc/sysctl.conf /etc/sysctl.d/ /usr/lib/sysctl.d/`]);
          continue;
        }
      }
      if ((rs === undefined || tails.length === 0) && kp?.localhostNodePorts === false) {
        push({ messageId: 'configOff', data: { ...base, source: kp.source } }, [{ kind: 'object', ref: kp.source, field: 'iptables.localhostNodePorts', value: false }],
          'Dial the node\'s address, or set iptables.localhostNodePorts: true in the kube-proxy ConfigMap and restart kube-proxy.', enableCommands);
      }
    }
    return findings;
  },
});
