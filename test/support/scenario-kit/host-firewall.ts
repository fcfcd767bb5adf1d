/**
 * Host firewalls as their managers leave the netfilter tables, for NodeSpec.hostFirewall: ufw
 * (Ubuntu's defaults: incoming and routed denied), firewalld with its iptables backend (RHEL 7
 * style zones, REJECT icmp-host-prohibited), a single range DROP (all three in iptables-save
 * form: they load at boot, so their rules follow kubelet's and kube-proxy's jumps, which are
 * prepended, and precede the CNI's, appended later), and firewalld ≥1.0 with its nftables backend
 * (`table inet firewalld`, created at boot before any iptables table); for ip6tables (NodeSpec.hostFirewall6),
 * iptables-services' default IPv6 ruleset.
 */
import { nft, NftTransaction, type NftBaseChain, type NftStmt } from './nft-model.js';
import type { HostFirewallSpec, NodeSpec } from './spec.js';

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

/**
 * RHEL's iptables-services default /etc/sysconfig/ip6tables, for NodeSpec.hostFirewall6: ssh,
 * ICMPv6 and DHCPv6 replies in, everything else new rejected with icmp6-adm-prohibited, FORWARD
 * included (an IPv4 ruleset opened for Kubernetes while the IPv6 one kept its defaults).
 */
export function iptablesServices6(): NonNullable<NodeSpec['hostFirewall6']> {
  return {
    filter: {
      append: [
        '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
        '-A INPUT -p ipv6-icmp -j ACCEPT',
        '-A INPUT -i lo -j ACCEPT',
        '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
        '-A INPUT -d fe80::/64 -p udp -m state --state NEW -m udp --dport 546 -j ACCEPT',
        '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited',
        '-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited',
      ],
    },
  };
}

/** One hand-written rule dropping the whole NodePort range on INPUT (an over-eager hardening script). */
export function dropNodePortRange(range = '30000:32767'): HostFirewallSpec {
  return { filter: { append: [`-A INPUT -p tcp -m tcp --dport ${range} -j DROP`] } };
}

// ---------------------------------------------------------------------------------------------
// firewalld ≥ 1.0, nftables backend

const hook = (type: NftBaseChain['type'], h: NftBaseChain['hook'], prio: number, prioText: string): NftBaseChain => ({ type, hook: h, prio, prioText, policy: 'accept' });

/** The IPv6 destinations firewalld never routes (IPv4-compatible, 6to4 of private ranges). */
const IPV6_UNROUTABLE = ['::/96', '::ffff:0.0.0.0/96', '2002::/24', '2002:a00::/24', '2002:7f00::/24', '2002:a9fe::/32', '2002:ac10::/28', '2002:c0a8::/32', '2002:e000::/19'];

/** `22/tcp`, `6443/tcp`, `30000-32767/tcp` (or `30000:32767/tcp`) → protocol and port or range. */
function portSpec(p: string): { proto: string; port: number | [number, number] } {
  const [ports = '', proto = 'tcp'] = p.split('/');
  const [lo = 0, hi] = ports.split(/[-:]/).map(Number);
  return { proto, port: hi === undefined ? lo : [lo, hi] };
}

/**
 * firewalld ≥ 1.0 with FirewallBackend=nftables, the layout of 1.0 (before `ct state invalid drop`
 * moved ahead of the zone dispatch): `table inet firewalld`, base chains at their iptables
 * priorities + 10, zone `public` bound to `interfaces` (default eth0) and the default zone,
 * allowing its services ssh and dhcpv6-client and `ports` (`6443/tcp`, `30000-32767/tcp`…),
 * intra-zone forwarding on (`forward`, default true, firewalld 1.0's default), and the built-in
 * policy allow-host-ipv6. filter_INPUT accepts established/related and DNATed connections and
 * loopback, dispatches to the zone, drops invalid and rejects the rest with icmpx
 * admin-prohibited; filter_FORWARD does the same for forwarded traffic (a zone accepts only what
 * leaves through one of its own interfaces). Handles follow the kit's load order (base chains,
 * then the zone's and the policy's chains, then the rules), not firewalld's incremental start-up.
 */
export function firewalldNft(o: { ports?: string[]; interfaces?: string[]; forward?: boolean } = {}): HostFirewallSpec {
  const ifaces = o.interfaces ?? ['eth0'];
  const tx = new NftTransaction('inet', 'firewalld');
  // firewalld's start: delete whatever table an earlier instance left (add + delete), then create it.
  tx.addTable().deleteTable().addTable();
  const rules: [string, (NftStmt | NftStmt[])[]][] = [];
  const chain = (name: string, base?: NftBaseChain): void => void tx.addChain(name, base === undefined ? {} : { base });
  const rule = (c: string, ...stmts: (NftStmt | NftStmt[])[]): void => void rules.push([c, stmts]);
  const established = nft.ctState('established', 'related');
  const newConn = nft.ctState('new', 'untracked');

  // Base chains and their dispatch chains (mangle, nat, filter; as firewalld's IPTABLES_TO_NFT_HOOK).
  const dispatched: [string, NftBaseChain, string, 'iifname' | 'oifname' | null][] = [
    ['mangle_PREROUTING', hook('filter', 'prerouting', -140, 'mangle + 10'), 'mangle_PRE', 'iifname'],
    ['nat_PREROUTING', hook('nat', 'prerouting', -90, 'dstnat + 10'), 'nat_PRE', 'iifname'],
    ['nat_POSTROUTING', hook('nat', 'postrouting', 110, 'srcnat + 10'), 'nat_POST', 'oifname'],
    ['nat_OUTPUT', hook('nat', 'output', -90, '-90'), 'nat_OUT', null],
  ];
  for (const [name, base] of dispatched) {
    chain(name, base);
    chain(`${name}_POLICIES_pre`);
    if (name !== 'nat_OUTPUT') chain(`${name}_ZONES`);
    chain(`${name}_POLICIES_post`);
  }
  chain('filter_PREROUTING', hook('filter', 'prerouting', 10, 'filter + 10'));
  chain('filter_INPUT', hook('filter', 'input', 10, 'filter + 10'));
  chain('filter_FORWARD', hook('filter', 'forward', 10, 'filter + 10'));
  chain('filter_OUTPUT', hook('filter', 'output', 10, 'filter + 10'));
  for (const c of ['filter_INPUT_POLICIES_pre', 'filter_INPUT_ZONES', 'filter_INPUT_POLICIES_post', 'filter_FORWARD_POLICIES_pre', 'filter_FORWARD_ZONES', 'filter_FORWARD_POLICIES_post', 'filter_OUTPUT_POLICIES_pre', 'filter_OUTPUT_POLICIES_post']) chain(c);

  for (const [name, , zonePrefix, dir] of dispatched) {
    if (dir === null) {
      rule(name, nft.jump(`${name}_POLICIES_pre`));
      rule(name, nft.jump(`${name}_POLICIES_post`));
      continue;
    }
    rule(name, nft.jump(`${name}_POLICIES_pre`));
    rule(name, nft.jump(`${name}_ZONES`));
    rule(name, nft.jump(`${name}_POLICIES_post`));
    for (const i of ifaces) rule(`${name}_ZONES`, nft.ifname(dir, i), nft.goto(`${zonePrefix}_public`));
    rule(`${name}_ZONES`, nft.goto(`${zonePrefix}_public`));
  }
  rule('filter_PREROUTING', nft.icmpv6Type('nd-router-advert', 'nd-neighbor-solicit'), nft.accept());
  rule('filter_PREROUTING', nft.nfproto('ipv6'), nft.fibRpfilterMissing(), nft.drop());
  const unroutable = nft.ip6('daddr', IPV6_UNROUTABLE);
  for (const [base, sub] of [['filter_INPUT', 'INPUT'], ['filter_FORWARD', 'FORWARD']] as const) {
    rule(base, established, nft.accept());
    rule(base, nft.ctStatus('dnat'), nft.accept());
    rule(base, nft.ifname('iifname', 'lo'), nft.accept());
    if (sub === 'FORWARD') rule(base, unroutable, nft.rejectWith('icmpv6', 'addr-unreachable'));
    rule(base, nft.jump(`filter_${sub}_ZONES`));
    rule(base, nft.ctStateSet('invalid'), nft.drop());
    rule(base, nft.rejectWith('icmpx', 'admin-prohibited'));
  }
  rule('filter_OUTPUT', established, nft.accept());
  rule('filter_OUTPUT', nft.ifname('oifname', 'lo'), nft.accept());
  rule('filter_OUTPUT', unroutable, nft.rejectWith('icmpv6', 'addr-unreachable'));
  rule('filter_OUTPUT', nft.jump('filter_OUTPUT_POLICIES_pre'));
  rule('filter_OUTPUT', nft.jump('filter_OUTPUT_POLICIES_post'));
  for (const i of ifaces) {
    rule('filter_INPUT_ZONES', nft.ifname('iifname', i), nft.goto('filter_IN_public'));
    rule('filter_FORWARD_ZONES', nft.ifname('iifname', i), nft.goto('filter_FWD_public'));
  }
  rule('filter_INPUT_ZONES', nft.goto('filter_IN_public'));
  rule('filter_FORWARD_ZONES', nft.goto('filter_FWD_public'));

  // Zone public: one chain per table and direction, with its pre/log/deny/allow/post chains and the
  // policy dispatch around them (policies with negative priority before the zone, positive after).
  const zone = (name: string, policies: string, last: NftStmt[][]): void => {
    const subs = ['pre', 'log', 'deny', 'allow', 'post'].map((k) => `${name}_${k}`);
    chain(name);
    for (const s of subs) chain(s);
    rule(name, nft.jump(`${policies}_POLICIES_pre`));
    for (const s of subs) rule(name, nft.jump(s));
    rule(name, nft.jump(`${policies}_POLICIES_post`));
    for (const stmts of last) rule(name, ...stmts);
  };
  const reject = [nft.rejectWith('icmpx', 'admin-prohibited')];
  zone('filter_IN_public', 'filter_INPUT', [[nft.l4proto('icmp', 'ipv6-icmp'), nft.accept()], reject]);
  rule('filter_IN_public_allow', nft.dport('tcp', 22), newConn, nft.accept());
  rule('filter_IN_public_allow', nft.ip6('daddr', ['fe80::/64']), nft.dport('udp', 546), newConn, nft.accept());
  for (const p of (o.ports ?? []).map(portSpec)) rule('filter_IN_public_allow', nft.dport(p.proto, p.port), newConn, nft.accept());
  zone('filter_FWD_public', 'filter_FORWARD', [reject]);
  if (o.forward !== false) for (const i of ifaces) rule('filter_FWD_public_allow', nft.ifname('oifname', i), nft.accept());
  zone('nat_PRE_public', 'nat_PREROUTING', []);
  zone('nat_POST_public', 'nat_POSTROUTING', []);
  zone('mangle_PRE_public', 'mangle_PREROUTING', []);

  // The built-in policy allow-host-ipv6 (HOST ← ANY, priority -15000): neighbour discovery.
  const policy = (name: string, dispatch: string): void => {
    const subs = ['pre', 'log', 'deny', 'allow', 'post'].map((k) => `${name}_${k}`);
    chain(name);
    for (const s of subs) chain(s);
    for (const s of subs) rule(name, nft.jump(s));
    rule(dispatch, nft.jump(name));
  };
  policy('filter_IN_policy_allow-host-ipv6', 'filter_INPUT_POLICIES_pre');
  for (const t of ['nd-neighbor-advert', 'nd-neighbor-solicit', 'nd-router-advert', 'nd-redirect']) rule('filter_IN_policy_allow-host-ipv6_allow', nft.icmpv6Type(t), nft.accept());
  policy('nat_PRE_policy_allow-host-ipv6', 'nat_PREROUTING_POLICIES_pre');
  policy('mangle_PRE_policy_allow-host-ipv6', 'mangle_PREROUTING_POLICIES_pre');

  for (const [c, stmts] of rules) tx.addRule(c, stmts);
  return { nftables: [tx.spec] };
}
