/**
 * The replay forwards the NodePort connection to a pod on another node, and nothing in either
 * node's rules stops it, yet a connect from the ingress node to that pod gets no answer: pod
 * traffic between the nodes is lost outside every node's rules, in the CNI's overlay (its tunnel
 * blocked by a security group or a firewall between the nodes, or pod addresses not routed).
 */
import { defineCheck, hostPort, probeEvidence, sh, type Command, type Evidence } from '../src/check-kit/index.js';
import { cniOf, needText, type Need } from './lib/cni.js';
import { listText } from './lib/text.js';
import { readProbes, replayEvidence, type ProbeReading } from './lib/wire.js';

const LEAD = '{{pairs}}: the replay delivers NodePort {{port}} connections to {{them}} and nothing in the nodes\' rules stops them, but the connect from the ingress node {{seen}}. Pod traffic between the nodes is lost outside their rules, in the CNI\'s overlay.';

const MESSAGES = {
  tunnel: `${LEAD} The CNI is {{cni}} ({{devices}}), which tunnels it over {{mode}}: the network between the nodes must let {{needs}} through, both ways (a security group, a cloud or host firewall, or a router between the nodes drops it).`,
  routed: `${LEAD} The CNI is {{cni}} ({{devices}}) without a tunnel: {{routed}}; on AWS the instances' source/destination check must be off.`,
  unknown: `${LEAD} np-doctor does not recognise the CNI from the nodes' devices or iptables chains: check that the nodes exchange its tunnel traffic (VXLAN UDP 8472 or 4789, Geneve UDP 6081, WireGuard UDP 51820 or 51871, IPIP protocol 4, Weave TCP 6783 and UDP 6783-6784), or route the pod CIDRs between them.`,
} as const;

export default defineCheck({
  id: 'overlay-blocked',
  title: 'Pod traffic between nodes is lost (the overlay)',
  description: 'With --probe: the replay reaches a pod on another node, but the connect from the ingress node to that pod times out: the CNI\'s tunnel (VXLAN, Geneve, WireGuard, IPIP) or the routing of pod addresses between the nodes is blocked.',
  severity: 'error',
  stage: 'network',
  requires: ['paths'],
  messages: MESSAGES,
  run(ctx) {
    const readings = readProbes(ctx).filter((r) => r.class === 'overlay');
    const toPods = readings.filter((r) => r.probe.kind === 'node-to-pod');
    const [first] = toPods;
    if (first === undefined) return [];
    const pairs = toPods.map((r) => ({ from: r.probe.from, to: r.expected.backend?.node ?? r.probe.node, r }));
    const remotes = [...new Set(pairs.map((p) => p.to))];
    const nodes = [...new Set(pairs.flatMap((p) => [p.from, p.to]))];
    const cni = cniOf(ctx, nodes);
    const paths = [...new Map(readings.flatMap((r) => { const e = replayEvidence(r); return e === null ? [] : [[`${e.node}\0${e.summary}`, e] as const]; })).values()];
    const evidence: Evidence[] = [
      ...readings.map((r) => probeEvidence(r.probe)),
      ...paths,
      ...[...new Set(cni.seen.map((s) => `${s.node}\0${s.source}`))].map((key): Evidence => {
        const [node = '', source = ''] = key.split('\0');
        return { kind: 'output', node, command: source, excerpt: cni.seen.filter((s) => s.node === node && s.source === source).map((s) => s.what).join(', ') };
      }),
    ];
    const common = {
      pairs: listText(groupByFrom(pairs)),
      port: first.expected.path?.port ?? first.probe.port,
      them: remotes.length === 1 ? `the pods on ${remotes[0] ?? ''}` : 'pods on other nodes',
      seen: toPods.every((r) => r.probe.result === 'timed-out') ? 'to those pods times out' : 'to those pods gets no answer (timed out or unreachable)',
    };
    const node = remotes.length === 1 ? { node: remotes[0] ?? '' } : {};
    const where = new Map<string, string[]>();
    for (const s of cni.seen) {
      const label = s.kind === 'chain' ? `iptables chain ${s.what}` : s.what;
      where.set(label, [...(where.get(label) ?? []), s.node]);
    }
    const devices = [...where].map(([what, on]) => `${what} on ${listText(on)}`).join('; ');
    const needs = cni.tunnels.flatMap((t) => t.needs);
    if (cni.cni === null) {
      return [{
        messageId: 'unknown', ...node, data: common, evidence,
        remediation: { summary: 'Find the CNI\'s tunnel or routing between the nodes and let it through: watch on the pod\'s node whether the tunnel packets arrive while a connect runs.', commands: [sh`ip -d link show`, sh`ip route`, sh`tcpdump -ni any not port 22`] },
      }];
    }
    if (cni.routed !== null) {
      return [{
        messageId: 'routed', ...node, data: { ...common, cni: cni.cni, devices, routed: cni.routed }, evidence,
        remediation: {
          summary: 'Let the network between the nodes carry pod addresses: on AWS turn off each node instance\'s source/destination check and route the pod CIDRs to the nodes (or switch the CNI to a tunnel); on premises check the routes and the firewalls between the nodes.',
          commands: [sh`ip route`, sh`aws ec2 modify-instance-attribute --instance-id INSTANCE_ID --no-source-dest-check`, sh`tcpdump -ni any host ${first.probe.ip}`],
        },
      }];
    }
    return [{
      messageId: 'tunnel', ...node,
      data: {
        ...common, cni: cni.cni, devices,
        mode: cni.modeUnknown ? `${listText(cni.tunnels.map((t) => t.mode))} (its devices were not read, so which one is not known)` : listText(cni.tunnels.map((t) => t.mode)),
        needs: listText(needs.map(needText)),
      },
      evidence,
      remediation: {
        summary: `Allow ${listText(needs.map((n) => `${n.proto === 'IP' ? 'IP protocol' : n.proto} ${n.port}`))} between the nodes, both ways: in the nodes' security group (AWS: a rule whose source is the group itself), the VPC firewall (GCP) or the network security group (Azure; it cannot carry IP protocol 4, so Calico there needs VXLAN), and in any firewall between them. tcpdump on the pod's node shows whether the tunnel packets arrive.`,
        commands: [...needs.slice(0, 1).map(capture), ...needs.flatMap(openCommands)],
      },
    }];
  },
});

/** `from node-1 to node-2 (10.244.1.2:8080) and node-3 (…)`, one entry per ingress node. */
function groupByFrom(pairs: { from: string; to: string; r: ProbeReading }[]): string[] {
  const by = new Map<string, string[]>();
  for (const p of pairs) by.set(p.from, [...(by.get(p.from) ?? []), `${p.r.expected.backend?.pod ?? p.to} on ${p.to} (${hostPort(p.r.probe.ip, p.r.probe.port)} ${p.r.probe.result})`]);
  return [...by].map(([from, to]) => `from ${from} to ${listText(to)}`);
}

/** tcpdump's filter for one need: `udp port 8472`, `udp portrange 6783-6784`, `ip proto 4`. */
function capture(n: Need): Command {
  if (n.proto === 'IP') return sh`tcpdump -ni any ip proto ${n.port}`;
  const proto = n.proto.toLowerCase();
  return n.port.includes('-') ? sh`tcpdump -ni any ${proto} portrange ${n.port}` : sh`tcpdump -ni any ${proto} port ${n.port}`;
}

/** The commands that open one need between the nodes on AWS, GCP and Azure (Azure's NSGs carry only TCP, UDP, ICMP, ESP and AH). */
function openCommands(n: Need): Command[] {
  const proto = n.proto === 'IP' ? n.port : n.proto.toLowerCase();
  const name = `allow-cni-${proto}-${n.port}`;
  const aws = n.proto === 'IP'
    ? sh`aws ec2 authorize-security-group-ingress --group-id NODE_SECURITY_GROUP_ID --ip-permissions ${`IpProtocol=${n.port},UserIdGroupPairs=[{GroupId=NODE_SECURITY_GROUP_ID}]`}`
    : sh`aws ec2 authorize-security-group-ingress --group-id NODE_SECURITY_GROUP_ID --protocol ${proto} --port ${n.port} --source-group NODE_SECURITY_GROUP_ID`;
  const gcp = sh`gcloud compute firewall-rules create ${name} --network NETWORK --direction INGRESS --allow ${n.proto === 'IP' ? n.port : `${proto}:${n.port}`} --source-tags NODE_TAG --target-tags NODE_TAG`;
  if (n.proto === 'IP') return [aws, gcp];
  return [aws, gcp, sh`az network nsg rule create --resource-group RESOURCE_GROUP --nsg-name NSG_NAME --name ${name} --priority 1010 --direction Inbound --access Allow --protocol ${n.proto === 'UDP' ? 'Udp' : 'Tcp'} --destination-port-ranges ${n.port} --source-address-prefixes VirtualNetwork`];
}
