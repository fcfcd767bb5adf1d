/**
 * Host firewalls as their managers leave the filter table, for NodeSpec.hostFirewall: ufw
 * (Ubuntu's defaults: incoming and routed denied), firewalld with its iptables backend (RHEL 7
 * style zones, REJECT icmp-host-prohibited), and a single range DROP. All rules are in
 * iptables-save form. Both managers load at boot, so their rules follow kubelet's and
 * kube-proxy's jumps (which are prepended) and precede the CNI's (appended later).
 */
import type { HostFirewallSpec } from './spec.js';

/** `22/tcp` → [22, 'tcp']; a bare port means both protocols, as ufw reads it. */
function ports(list: string[]): { port: string; proto: 'tcp' | 'udp' }[] {
  return list.flatMap((p) => {
    const [port = '', proto] = p.split('/');
    return proto === 'tcp' || proto === 'udp' ? [{ port, proto }] : [{ port, proto: 'tcp' as const }, { port, proto: 'udp' as const }];
  });
}

const UFW_CHAINS = ['after', 'before', 'reject', 'track', 'user', 'after-logging', 'before-logging', 'skip-to-policy', 'user-logging']
  .flatMap((kind) => ['input', 'forward', 'output'].map((dir) => `ufw-${kind}-${dir}`))
  .concat(['ufw-logging-allow', 'ufw-logging-deny', 'ufw-not-local', 'ufw-user-limit', 'ufw-user-limit-accept']);

/**
 * ufw enabled with `ufw default deny incoming`, `default deny routed` and the given `ufw allow`
 * rules (`22/tcp`, `6443/tcp`, `10250`…). INPUT and FORWARD policies are DROP. `allowRouted`:
 * `ufw route allow` destinations (CIDRs) accepted in ufw-user-forward.
 */
export function ufw(o: { allow?: string[]; allowRouted?: string[] } = {}): HostFirewallSpec {
  const icmp = (chain: string): string[] => [3, 11, 12, 8].map((t) => `-A ${chain} -p icmp -m icmp --icmp-type ${t} -j ACCEPT`);
  const limit = '-m limit --limit 3/min --limit-burst 10';
  const hooks = (dir: string, chain: string): string[] =>
    ['before-logging', 'before', 'after', 'after-logging', 'reject', 'track'].map((k) => `-A ${chain} -j ufw-${k}-${dir}`);
  return {
    filter: {
      policies: { INPUT: 'DROP', FORWARD: 'DROP' },
      chains: UFW_CHAINS,
      append: [
        ...hooks('input', 'INPUT'),
        ...hooks('forward', 'FORWARD'),
        ...hooks('output', 'OUTPUT'),
        ...[['udp', 137], ['udp', 138], ['tcp', 139], ['tcp', 445], ['udp', 67], ['udp', 68]].map(([p, port]) => `-A ufw-after-input -p ${p} -m ${p} --dport ${port} -j ufw-skip-to-policy-input`),
        '-A ufw-after-input -m addrtype --dst-type BROADCAST -j ufw-skip-to-policy-input',
        `-A ufw-after-logging-forward ${limit} -j LOG --log-prefix "[UFW BLOCK] "`,
        `-A ufw-after-logging-input ${limit} -j LOG --log-prefix "[UFW BLOCK] "`,
        '-A ufw-before-forward -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        ...icmp('ufw-before-forward'),
        '-A ufw-before-forward -j ufw-user-forward',
        '-A ufw-before-input -i lo -j ACCEPT',
        '-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A ufw-before-input -m conntrack --ctstate INVALID -j ufw-logging-deny',
        '-A ufw-before-input -m conntrack --ctstate INVALID -j DROP',
        ...icmp('ufw-before-input'),
        '-A ufw-before-input -p udp -m udp --sport 67 --dport 68 -j ACCEPT',
        '-A ufw-before-input -j ufw-not-local',
        '-A ufw-before-input -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT',
        '-A ufw-before-input -d 239.255.255.250/32 -p udp -m udp --dport 1900 -j ACCEPT',
        '-A ufw-before-input -j ufw-user-input',
        '-A ufw-before-output -o lo -j ACCEPT',
        '-A ufw-before-output -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A ufw-before-output -j ufw-user-output',
        `-A ufw-logging-allow ${limit} -j LOG --log-prefix "[UFW ALLOW] "`,
        `-A ufw-logging-deny -m conntrack --ctstate INVALID ${limit} -j RETURN`,
        `-A ufw-logging-deny ${limit} -j LOG --log-prefix "[UFW BLOCK] "`,
        '-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN',
        '-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN',
        '-A ufw-not-local -m addrtype --dst-type BROADCAST -j RETURN',
        `-A ufw-not-local ${limit} -j ufw-logging-deny`,
        '-A ufw-not-local -j DROP',
        '-A ufw-skip-to-policy-forward -j DROP',
        '-A ufw-skip-to-policy-input -j DROP',
        '-A ufw-skip-to-policy-output -j ACCEPT',
        '-A ufw-track-output -p tcp -m conntrack --ctstate NEW -j ACCEPT',
        '-A ufw-track-output -p udp -m conntrack --ctstate NEW -j ACCEPT',
        ...(o.allowRouted ?? []).map((cidr) => `-A ufw-user-forward -d ${cidr} -j ACCEPT`),
        ...ports(o.allow ?? ['22/tcp']).map((p) => `-A ufw-user-input -p ${p.proto} -m ${p.proto} --dport ${p.port} -j ACCEPT`),
        '-A ufw-user-limit -m limit --limit 3/min -j LOG --log-prefix "[UFW LIMIT BLOCK] "',
        '-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable',
        '-A ufw-user-limit-accept -j ACCEPT',
      ],
    },
  };
}

/**
 * firewalld with the iptables backend and eth0 in zone `public`, allowing ssh plus `ports`
 * (`6443/tcp`, `10250/tcp`…): everything else new that reaches INPUT or FORWARD is rejected with
 * icmp-host-prohibited.
 */
export function firewalld(o: { ports?: string[] } = {}): HostFirewallSpec {
  const zone = (prefix: string): string[] => [`-A ${prefix} -j ${prefix}_log`, `-A ${prefix} -j ${prefix}_deny`, `-A ${prefix} -j ${prefix}_allow`];
  const hook = (chain: string): string[] => [
    `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${chain} -i lo -j ACCEPT`,
    `-A ${chain} -j ${chain}_direct`,
    ...(chain === 'INPUT'
      ? ['-A INPUT -j INPUT_ZONES_SOURCE', '-A INPUT -j INPUT_ZONES']
      : ['-A FORWARD -j FORWARD_IN_ZONES_SOURCE', '-A FORWARD -j FORWARD_IN_ZONES', '-A FORWARD -j FORWARD_OUT_ZONES_SOURCE', '-A FORWARD -j FORWARD_OUT_ZONES']),
    `-A ${chain} -m conntrack --ctstate INVALID -j DROP`,
    `-A ${chain} -j REJECT --reject-with icmp-host-prohibited`,
  ];
  return {
    filter: {
      chains: [
        'FORWARD_IN_ZONES', 'FORWARD_IN_ZONES_SOURCE', 'FORWARD_OUT_ZONES', 'FORWARD_OUT_ZONES_SOURCE', 'FORWARD_direct',
        ...['FWDI_public', 'FWDO_public', 'IN_public'].flatMap((z) => [z, `${z}_allow`, `${z}_deny`, `${z}_log`]),
        'INPUT_ZONES', 'INPUT_ZONES_SOURCE', 'INPUT_direct', 'OUTPUT_direct',
      ],
      append: [
        ...hook('INPUT'),
        ...hook('FORWARD'),
        '-A OUTPUT -o lo -j ACCEPT',
        '-A OUTPUT -j OUTPUT_direct',
        '-A FORWARD_IN_ZONES -i eth0 -g FWDI_public',
        '-A FORWARD_IN_ZONES -g FWDI_public',
        '-A FORWARD_OUT_ZONES -o eth0 -g FWDO_public',
        '-A FORWARD_OUT_ZONES -g FWDO_public',
        ...zone('FWDI_public'),
        '-A FWDI_public -p icmp -j ACCEPT',
        ...zone('FWDO_public'),
        '-A INPUT_ZONES -i eth0 -g IN_public',
        '-A INPUT_ZONES -g IN_public',
        ...zone('IN_public'),
        '-A IN_public -p icmp -j ACCEPT',
        ...ports(['22/tcp', ...(o.ports ?? [])]).map((p) => `-A IN_public_allow -p ${p.proto} -m ${p.proto} --dport ${p.port} -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT`),
      ],
    },
  };
}

/** One hand-written rule dropping the whole NodePort range on INPUT (an over-eager hardening script). */
export function dropNodePortRange(range = '30000:32767'): HostFirewallSpec {
  return { filter: { append: [`-A INPUT -p tcp -m tcp --dport ${range} -j DROP`] } };
}
