/**
 * The node answers its own nodePort, the replay of its rules lets the client in, and yet the
 * connect from where np-doctor runs gets no answer: the packets are lost before the node's rules
 * see them. Clouds filter before the instance (an AWS security group, a GCP VPC firewall rule, an
 * Azure network security group), and they drop silently; a corporate firewall does the same, or
 * answers with an ICMP error.
 */
import { defineCheck, hostCidr, isIp, probeEvidence, sh, type Evidence } from '../src/check-kit/index.js';
import { listText } from './lib/text.js';
import { readProbes, replayEvidence } from './lib/wire.js';

/** kube-apiserver's --service-node-port-range when the flag is not given. */
const DEFAULT_RANGE = '30000-32767';

export default defineCheck({
  id: 'nodeport-blocked-before-node',
  title: 'Blocked between the client and the node',
  description: 'With --probe: the node answers its own nodePort and its rules let the client in, but the connect from here times out: a cloud firewall (security group, VPC firewall rule, NSG) or a corporate firewall blocks the nodePort.',
  severity: 'error',
  stage: 'network',
  requires: ['paths', 'apiServer'],
  messages: {
    blocked: 'Connections from {{client}} to NodePort {{port}}/{{protocol}} {{seen}} on {{nodes}}, yet {{each}} answers on its own nodePort (the probe on the node), and the replay says its rules answer a client too: the packets are lost on the way, before any rule of the node sees them. A cloud firewall that does not open the node-port range {{range}} ({{rangeFrom}}) is the usual cause: an AWS security group, a GCP VPC firewall rule or an Azure network security group. Otherwise a corporate firewall between this machine and the nodes blocks it.',
  },
  run(ctx) {
    const blocked = readProbes(ctx).filter((r) => r.class === 'blocked-before-node');
    const [first] = blocked;
    if (first === undefined) return [];
    const { port, protocol } = first.probe;
    const nodes = [...new Set(blocked.map((r) => r.probe.node))];
    const targets = [...new Map(blocked.map((r) => [r.probe.ip, r.probe])).values()];
    const timedOut = blocked.every((r) => r.probe.result === 'timed-out');
    const from = first.probe.fromAddress ?? null;
    const client = from !== null && isIp(from) ? from : null;
    const cidr = client === null ? 'CLIENT_CIDR' : hostCidr(client);
    const configured = ctx.apiServer.serviceNodePortRange;
    const proto = protocol.toLowerCase();
    const selves = (ctx.probes ?? []).filter((p) => p.kind === 'node-to-self' && nodes.includes(p.node));
    const evidence: Evidence[] = [
      ...blocked.map((r) => probeEvidence(r.probe)),
      ...selves.map(probeEvidence),
      ...blocked.flatMap((r) => replayEvidence(r) ?? []),
      ...(configured === null ? [] : [{ kind: 'object', ref: 'kube-apiserver', field: '--service-node-port-range', value: configured } as const]),
    ];
    return [{
      messageId: 'blocked',
      ...(nodes.length === 1 ? { node: first.probe.node } : {}),
      data: {
        client: client ?? 'this machine',
        port,
        protocol,
        seen: timedOut ? 'time out' : 'are answered with an ICMP error (unreachable)',
        nodes: listText(targets.map((p) => `${p.node} (${p.ip})`)),
        each: nodes.length === 1 ? 'the node' : 'each node',
        range: configured ?? DEFAULT_RANGE,
        rangeFrom: configured === null ? 'the default: the API server\'s --service-node-port-range could not be read' : 'the API server\'s --service-node-port-range',
      },
      evidence,
      remediation: {
        summary: `Allow ${protocol} port ${port} (or the whole range ${configured ?? DEFAULT_RANGE}) from ${client ?? 'this machine'} to the nodes in the cloud's firewall: the commands below show and open it on AWS, GCP and Azure (fill in the upper-case words; behind NAT the cloud sees your NAT's public address). If the cloud already allows it, ask whoever runs the firewall between this machine and the nodes; traceroute shows the last hop that answers.`,
        commands: [
          sh`aws ec2 describe-instances --filters Name=private-ip-address,Values=${targets.map((p) => p.ip).join(',')} --query ${'Reservations[].Instances[].[InstanceId,SecurityGroups[].GroupId]'} --output text`,
          sh`aws ec2 authorize-security-group-ingress --group-id SECURITY_GROUP_ID --protocol ${proto} --port ${port} --cidr ${cidr}`,
          sh`gcloud compute firewall-rules list --filter=direction=INGRESS`,
          sh`gcloud compute firewall-rules create allow-nodeport-${port} --network NETWORK --direction INGRESS --allow ${proto}:${port} --source-ranges ${cidr}`,
          sh`az network nsg list --output table`,
          sh`az network nsg rule create --resource-group RESOURCE_GROUP --nsg-name NSG_NAME --name allow-nodeport-${port} --priority 1000 --direction Inbound --access Allow --protocol ${protocol === 'UDP' ? 'Udp' : 'Tcp'} --destination-port-ranges ${port} --source-address-prefixes ${cidr}`,
          sh`traceroute -T -p ${port} ${first.probe.ip}`,
        ],
      },
    }];
  },
});
