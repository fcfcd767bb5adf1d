import { hostPort as hostPortText, parseAddr, parseCidr } from '../address.js';
import { ParseError } from '../errors.js';
import type { IpvsReal, IpvsService, IpvsState } from './types.js';

/**
 * Parses `ipvsadm-save -n` (which runs `ipvsadm -S -n`). What ipvsadm 1.31 prints (ipvsadm.c,
 * print_service_entry with FMT_RULE; the format strings are in the Debian 1:1.31-1 binary):
 *
 *   -A -t 192.168.49.2:30080 -s rr                      (-u for UDP, --sctp-service for SCTP)
 *   -A -t 10.96.0.1:443 -s rr -p 10800 [-M 255.255.255.0] [--pe sip] [-b sh-fallback,sh-port] [ ops]
 *   -A -f 1 [-6] -s wrr                                  (fwmark service)
 *   -a -t 192.168.49.2:30080 -r 10.244.1.2:8080 -m -w 1  (-g direct routing, -i tunnel)
 *   -a -t … -r … -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
 *
 * IPv6 addresses are bracketed (`[fd00::1]:80`). One-packet scheduling is printed as a bare `ops`
 * (no dash) and older versions printed `pe NAME`; both are read. The long forms ipvsadm accepts
 * (`--tcp-service`, `--real-server`, `--masquerading`, `--weight`, …) and `-x`/`-y` thresholds,
 * which ipvsadm-save itself never prints, are read too. Empty input is a node without services.
 * Anything else is a ParseError naming the line.
 */
export function parseIpvsadmSave(text: string, opts: { source: string }): IpvsState {
  const services: IpvsService[] = [];
  const byKey = new Map<string, IpvsService>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const fail = (problem: string): never => {
      throw new ParseError(opts.source, line, problem, raw);
    };
    const cmd = parseLine(t, fail);
    const key = serviceKey(cmd.svc);
    if (cmd.command === 'add-service') {
      const dup = byKey.get(key);
      if (dup) fail(`virtual service ${describeSvc(cmd.svc)} is already defined on line ${dup.line}`);
      const s: IpvsService = {
        proto: cmd.svc.proto,
        address: cmd.svc.address,
        port: cmd.svc.port,
        fwmark: cmd.svc.fwmark,
        family: cmd.svc.family,
        scheduler: cmd.scheduler ?? 'wlc',
        schedFlags: cmd.schedFlags,
        persistent: cmd.persistent,
        persistenceMask: cmd.mask ?? (cmd.svc.family === 4 ? 32 : 128),
        pe: cmd.pe,
        onePacket: cmd.onePacket,
        line,
        text: t,
        reals: [],
      };
      byKey.set(key, s);
      services.push(s);
      return;
    }
    const s = byKey.get(key);
    if (!s) return fail(`real server for virtual service ${describeSvc(cmd.svc)}, which no earlier -A line defines`);
    const r = cmd.real as NonNullable<typeof cmd.real>;
    // ipvsadm: for direct routing and tunnelling the real server's port is the service's port.
    const port = s.fwmark === null && r.forward !== 'masq' ? (s.port ?? 0) : r.port ?? (s.port ?? 0);
    const dup = s.reals.find((x) => x.address === r.address && x.port === port);
    if (dup) fail(`real server ${hostPortText(r.address, port)} is already in this virtual service (line ${dup.line})`);
    const real: IpvsReal = {
      address: r.address,
      port,
      forward: r.forward,
      weight: r.weight,
      upperThreshold: r.upper,
      lowerThreshold: r.lower,
      tunnel: r.tunnel,
      line,
      text: t,
    };
    s.reals.push(real);
  });
  return { source: opts.source, services };
}

interface SvcSpec {
  proto: 'tcp' | 'udp' | 'sctp' | null;
  address: string | null;
  port: number | null;
  fwmark: number | null;
  family: 4 | 6;
}

interface Parsed {
  command: 'add-service' | 'add-server';
  svc: SvcSpec;
  scheduler: string | null;
  schedFlags: string[];
  persistent: number | null;
  mask: number | null;
  pe: string | null;
  onePacket: boolean;
  real: {
    address: string;
    port: number | null;
    forward: 'masq' | 'route' | 'tunnel';
    weight: number;
    upper: number;
    lower: number;
    tunnel: IpvsReal['tunnel'];
  } | null;
}

/** Short and long spellings → one name. Values: does the option take an argument. */
const OPTIONS: Record<string, [string, boolean]> = {
  '-A': ['add-service', false], '--add-service': ['add-service', false],
  '-a': ['add-server', false], '--add-server': ['add-server', false],
  '-t': ['tcp-service', true], '--tcp-service': ['tcp-service', true],
  '-u': ['udp-service', true], '--udp-service': ['udp-service', true],
  '--sctp-service': ['sctp-service', true],
  '-f': ['fwmark-service', true], '--fwmark-service': ['fwmark-service', true],
  '-6': ['ipv6', false], '--ipv6': ['ipv6', false],
  '-s': ['scheduler', true], '--scheduler': ['scheduler', true],
  '-p': ['persistent', false], '--persistent': ['persistent', false],
  '-M': ['netmask', true], '--netmask': ['netmask', true],
  '--pe': ['pe', true], pe: ['pe', true],
  '-b': ['sched-flags', true], '--sched-flags': ['sched-flags', true],
  '-o': ['ops', false], '--ops': ['ops', false], ops: ['ops', false],
  '-r': ['real-server', true], '--real-server': ['real-server', true],
  '-g': ['gatewaying', false], '--gatewaying': ['gatewaying', false],
  '-m': ['masquerading', false], '--masquerading': ['masquerading', false],
  '-i': ['ipip', false], '--ipip': ['ipip', false],
  '-w': ['weight', true], '--weight': ['weight', true],
  '-x': ['u-threshold', true], '--u-threshold': ['u-threshold', true],
  '-y': ['l-threshold', true], '--l-threshold': ['l-threshold', true],
  '--tun-type': ['tun-type', true], '--tun-port': ['tun-port', true],
  '--tun-nocsum': ['tun-nocsum', false], '--tun-csum': ['tun-csum', false], '--tun-remcsum': ['tun-remcsum', false],
};

/** Commands ipvsadm knows but ipvsadm-save never prints. */
const OTHER_COMMANDS = new Set(['-E', '--edit-service', '-D', '--delete-service', '-C', '--clear', '-R', '--restore',
  '-S', '--save', '-e', '--edit-server', '-d', '--delete-server', '-L', '-l', '--list', '-Z', '--zero', '--set',
  '--start-daemon', '--stop-daemon', '-h', '--help', '-v', '--version']);

const SERVICE_ONLY = new Set(['scheduler', 'persistent', 'netmask', 'pe', 'sched-flags', 'ops']);
const SERVER_ONLY = new Set(['real-server', 'gatewaying', 'masquerading', 'ipip', 'weight', 'u-threshold', 'l-threshold',
  'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum']);
const SCHED_FLAGS = new Set(['flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port']);

function parseLine(t: string, fail: (problem: string) => never): Parsed {
  const words: string[] = [];
  for (const w of t.split(/\s+/)) {
    // popt also takes `--weight=1`.
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    if (eq > 0) words.push(w.slice(0, eq), w.slice(eq + 1));
    else words.push(w);
  }
  let command: Parsed['command'] | null = null;
  let svcKind: { kind: string; value: string } | null = null;
  let ipv6 = false;
  const seen = new Set<string>();
  const p: Omit<Parsed, 'command' | 'svc' | 'real'> = { scheduler: null, schedFlags: [], persistent: null, mask: null, pe: null, onePacket: false };
  let realAddr: string | null = null;
  let forward: 'masq' | 'route' | 'tunnel' | null = null;
  let weight = 1;
  let upper = 0;
  let lower = 0;
  let tunType: string | null = null;
  let tunPort: number | null = null;
  let csum: string | null = null;
  let netmaskText: string | null = null;

  for (let k = 0; k < words.length; k++) {
    const w = words[k] as string;
    if (OTHER_COMMANDS.has(w)) fail(`${w}: ipvsadm-save prints only -A (virtual service) and -a (real server) lines`);
    const opt = OPTIONS[w];
    if (!opt) fail(w.startsWith('-') ? `unknown option ${w}` : `unexpected word ${JSON.stringify(w)}`);
    const [name, takesValue] = opt;
    if (seen.has(name)) fail(`${w} is given twice`);
    seen.add(name);
    let value = '';
    if (takesValue) {
      const v = words[k + 1];
      if (v === undefined) fail(`${w} needs a value`);
      value = v;
      k++;
    }
    switch (name) {
      case 'add-service':
      case 'add-server':
        if (command) fail('a line holds one command (-A or -a)');
        command = name;
        break;
      case 'tcp-service':
      case 'udp-service':
      case 'sctp-service':
      case 'fwmark-service':
        if (svcKind) fail('a line names one virtual service (-t, -u, --sctp-service or -f)');
        svcKind = { kind: name, value };
        break;
      case 'ipv6':
        ipv6 = true;
        break;
      case 'scheduler':
        if (!/^[a-z][a-z0-9_-]*$/i.test(value)) fail(`-s ${value}: not a scheduler name`);
        p.scheduler = value;
        break;
      case 'persistent': {
        // `-p [timeout]`: the timeout is optional; ipvsadm's default is 300 seconds.
        const next = words[k + 1];
        if (next !== undefined && /^\d+$/.test(next)) {
          p.persistent = Number(next);
          k++;
        } else p.persistent = 300;
        break;
      }
      case 'netmask':
        netmaskText = value;
        break;
      case 'pe':
        p.pe = value;
        break;
      case 'sched-flags':
        for (const f of value.split(',')) {
          if (!SCHED_FLAGS.has(f)) fail(`-b ${value}: unknown scheduler flag ${f}`);
          p.schedFlags.push(f);
        }
        break;
      case 'ops':
        p.onePacket = true;
        break;
      case 'real-server':
        realAddr = value;
        break;
      case 'gatewaying':
      case 'masquerading':
      case 'ipip':
        if (forward) fail('a real server has one forwarding method (-g, -m or -i)');
        forward = name === 'masquerading' ? 'masq' : name === 'ipip' ? 'tunnel' : 'route';
        break;
      case 'weight':
        weight = count(value, w, fail);
        break;
      case 'u-threshold':
        upper = count(value, w, fail);
        break;
      case 'l-threshold':
        lower = count(value, w, fail);
        break;
      case 'tun-type':
        if (value !== 'ipip' && value !== 'gue') fail(`--tun-type ${value}: ipip or gue`);
        tunType = value;
        break;
      case 'tun-port':
        tunPort = portNumber(value, w, fail);
        break;
      default:
        // --tun-nocsum / --tun-csum / --tun-remcsum
        if (csum) fail(`${w} conflicts with --${csum}`);
        csum = name;
    }
  }
  if (!command) return fail('no command: expected -A (virtual service) or -a (real server)');
  if (!svcKind) return fail('no virtual service: expected -t, -u, --sctp-service or -f');
  for (const name of seen) {
    if (command === 'add-service' && SERVER_ONLY.has(name)) fail(`--${name} belongs on a real server line (-a), not on -A`);
    if (command === 'add-server' && SERVICE_ONLY.has(name)) fail(`--${name} belongs on a virtual service line (-A), not on -a`);
  }
  const svc = serviceSpec(svcKind, ipv6, fail);
  if (netmaskText !== null) p.mask = netmask(netmaskText, svc.family, fail);
  if (p.mask !== null && p.persistent === null) fail(`-M ${netmaskText ?? ''} without -p: the netmask is the granularity of persistence`);
  if (command === 'add-service') return { command, svc, ...p, real: null };

  if (realAddr === null) return fail('a real server line (-a) needs -r ADDRESS[:PORT]');
  const { address, port } = hostPort(realAddr, fail, '-r');
  const fwd = forward ?? 'route';
  if (fwd !== 'tunnel' && (tunType !== null || tunPort !== null || csum !== null)) fail('tunnel options (--tun-*) need -i (ipip tunnelling)');
  if (fwd !== 'tunnel' && (address.includes(':') ? 6 : 4) !== svc.family) {
    fail(`real server ${address} is of another address family than the virtual service; only tunnelling allows that`);
  }
  if (tunType === 'gue' && tunPort === null) fail('--tun-type gue needs --tun-port');
  const tunnel = fwd === 'tunnel' ? { type: tunType ?? 'ipip', port: tunPort, csum } : null;
  return { command, svc, ...p, real: { address, port, forward: fwd, weight, upper, lower, tunnel } };
}

function serviceSpec(s: { kind: string; value: string }, ipv6: boolean, fail: (problem: string) => never): SvcSpec {
  if (s.kind === 'fwmark-service') {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(s.value) || Number(s.value) < 1 || Number(s.value) > 0xffffffff) fail(`-f ${s.value}: a fwmark is a number from 1 to 4294967295`);
    return { proto: null, address: null, port: null, fwmark: Number(s.value), family: ipv6 ? 6 : 4 };
  }
  if (ipv6) fail('-6 applies to fwmark services (-f) only; an address says its own family');
  const { address, port } = hostPort(s.value, fail, s.kind === 'tcp-service' ? '-t' : s.kind === 'udp-service' ? '-u' : '--sctp-service');
  const proto = s.kind === 'tcp-service' ? 'tcp' : s.kind === 'udp-service' ? 'udp' : 'sctp';
  return { proto, address, port: port ?? 0, fwmark: null, family: address.includes(':') ? 6 : 4 };
}

/** `10.0.0.1:80`, `10.0.0.1`, `[fd00::1]:80`, `[fd00::1]`. Names are refused: the dump must be `-n`. */
function hostPort(text: string, fail: (problem: string) => never, opt: string): { address: string; port: number | null } {
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) [host, port] = [v6[1] as string, v6[2]];
  else if (text.includes('[') || text.includes(']')) return fail(`${opt} ${text}: not ADDRESS[:PORT] (IPv6 goes in brackets)`);
  else {
    const parts = text.split(':');
    if (parts.length > 2) return fail(`${opt} ${text}: an IPv6 address must be bracketed, as in [fd00::1]:80`);
    [host, port] = [parts[0] as string, parts[1]];
  }
  const a = parseAddr(host);
  if (!a) return fail(`${opt} ${text}: ${host} is not a numeric IP address (the dump should come from ipvsadm-save -n)`);
  if (v6 && a.family !== 6) return fail(`${opt} ${text}: only IPv6 addresses are bracketed`);
  return { address: a.text, port: port === undefined ? null : portNumber(port, opt, fail) };
}

function portNumber(text: string, opt: string, fail: (problem: string) => never): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) fail(`${opt} ${text}: not a port number (a service name means the dump was not made with -n)`);
  return Number(text);
}

function count(text: string, opt: string, fail: (problem: string) => never): number {
  if (!/^\d+$/.test(text) || Number(text) > 0x7fffffff) fail(`${opt} ${text}: not a non-negative integer`);
  return Number(text);
}

/** `-M 255.255.255.0` (IPv4, dotted) or `-M 64` (IPv6, a prefix length) → prefix length. */
function netmask(text: string, family: 4 | 6, fail: (problem: string) => never): number {
  if (family === 6) {
    if (!/^\d+$/.test(text) || Number(text) > 128) fail(`-M ${text}: an IPv6 persistence netmask is a prefix length 0-128`);
    return Number(text);
  }
  const c = /^\d+\.\d+\.\d+\.\d+$/.test(text) ? parseCidr(`0.0.0.0/${text}`) : null;
  if (!c) return fail(`-M ${text}: not a contiguous IPv4 netmask`);
  return c.bits;
}

function serviceKey(s: SvcSpec): string {
  return s.fwmark !== null ? `fwm/${s.family}/${s.fwmark}` : `${s.proto ?? ''}/${s.address ?? ''}/${s.port ?? 0}`;
}

function describeSvc(s: SvcSpec): string {
  if (s.fwmark !== null) return `fwmark ${s.fwmark}${s.family === 6 ? ' (IPv6)' : ''}`;
  return `${(s.proto ?? '').toUpperCase()} ${hostPortText(s.address ?? '', s.port ?? 0)}`;
}
