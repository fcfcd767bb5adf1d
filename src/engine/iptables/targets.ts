import { parseAddr } from '../address.js';
import { markMask } from './matches.js';
import { RuleSyntaxError } from './rule.js';
import type { RuleOption, TargetSpec } from './ruleset.js';

/**
 * What a target does, decided once per rule. Chain jumps are resolved by the walker (it knows the
 * table's chains); everything here is an extension target.
 */
export type TargetEffect =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' }
  | { kind: 'reject'; with: string }
  | { kind: 'return' }
  | { kind: 'queue' }
  | { kind: 'dnat'; ip: string | null; port: number | null; range: boolean }
  | { kind: 'snat'; ip: string; port: number | null; range: boolean }
  | { kind: 'masquerade'; port: number | null }
  | { kind: 'redirect'; port: number | null }
  | { kind: 'mark'; apply: (mark: number) => number }
  | { kind: 'connmark'; apply: (mark: number, ctmark: number) => { mark: number; ctmark: number } }
  | { kind: 'notrack' }
  | { kind: 'continue' }
  | { kind: 'unknown'; why: string };

/** Targets that only log, count, trace or change fields a first-packet walk does not model. */
const CONTINUING = new Set([
  'LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TCPMSS', 'CHECKSUM',
  'SECMARK', 'CONNSECMARK', 'SET', 'IDLETIMER', 'LED', 'TEE', 'ECN', 'TCPOPTSTRIP', 'HMARK', 'RATEEST',
]);

const opt = (spec: TargetSpec, ...names: string[]): RuleOption | undefined => spec.options.find((o) => names.includes(o.name));

const value = (o: RuleOption): string => {
  if (o.values.length !== 1) throw new RuleSyntaxError(`${o.name} needs exactly one value`);
  return o.values[0] as string;
};

export function compileTarget(spec: TargetSpec, family: 4 | 6): TargetEffect {
  if (spec.unsupportedRevision) {
    return { kind: 'unknown', why: `-j ${spec.name} is printed as "[unsupported revision]", so the dump does not say what it does` };
  }
  switch (spec.name) {
    case 'ACCEPT':
    case 'DROP':
      return { kind: 'verdict', verdict: spec.name };
    case 'REJECT': {
      const w = opt(spec, '--reject-with');
      return { kind: 'reject', with: w ? value(w) : family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable' };
    }
    case 'RETURN':
      return { kind: 'return' };
    case 'QUEUE':
    case 'NFQUEUE':
      return { kind: 'queue' };
    case 'DNAT': {
      const to = opt(spec, '--to-destination', '--to');
      if (!to) throw new RuleSyntaxError('DNAT needs --to-destination');
      return { kind: 'dnat', ...natTarget(value(to), family) };
    }
    case 'SNAT': {
      const to = opt(spec, '--to-source', '--to');
      if (!to) throw new RuleSyntaxError('SNAT needs --to-source');
      const t = natTarget(value(to), family);
      if (t.ip === null) throw new RuleSyntaxError('SNAT --to-source needs an address');
      return { kind: 'snat', ip: t.ip, port: t.port, range: t.range };
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      const p = opt(spec, '--to-ports');
      const port = p ? firstPort(value(p)) : null;
      return spec.name === 'MASQUERADE' ? { kind: 'masquerade', port } : { kind: 'redirect', port };
    }
    case 'MARK':
      return { kind: 'mark', apply: markOp(spec) };
    case 'CONNMARK':
      return { kind: 'connmark', apply: connmarkOp(spec) };
    case 'NOTRACK':
      return { kind: 'notrack' };
    case 'CT':
      return opt(spec, '--notrack') ? { kind: 'notrack' } : { kind: 'continue' };
    default:
      if (CONTINUING.has(spec.name)) return { kind: 'continue' };
      return { kind: 'unknown', why: `target ${spec.name} is not modelled by np-doctor, and the dump declares no chain of that name` };
  }
}

/** `10.244.1.2:8080`, `10.0.0.1-10.0.0.9:80-90`, `[fd00::2]:8080`, `fd00::2`. A range keeps its first address. */
function natTarget(text: string, family: 4 | 6): { ip: string | null; port: number | null; range: boolean } {
  let host = text;
  let portPart: string | undefined;
  if (family === 6) {
    const m = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
    if (m) {
      host = m[1] as string;
      portPart = m[2];
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portPart = text.slice(colon + 1);
    }
  }
  let range = false;
  let ip: string | null = null;
  if (host !== '') {
    const [first, last] = host.split('-');
    const a = parseAddr(first ?? '');
    if (!a || a.family !== family) throw new RuleSyntaxError(`${text}: not an IPv${family} address[:port]`);
    ip = a.text;
    range = last !== undefined && last !== first;
  }
  let port: number | null = null;
  if (portPart !== undefined) {
    const [p1, p2] = portPart.split('-');
    port = firstPort(p1 ?? '');
    range ||= p2 !== undefined && p2 !== p1;
  }
  return { ip, port, range };
}

function firstPort(text: string): number {
  const n = Number(text.split('-')[0]);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RuleSyntaxError(`${text}: not a port`);
  return n;
}

const mask32 = (x: number) => x >>> 0;

/** MARK, in the kernel's terms: mark = (mark & ~mask) ^ value (xt_MARK revision 2). */
function markOp(spec: TargetSpec): (mark: number) => number {
  const [v, m] = xmark(spec, 'MARK');
  return (mark) => mask32((mark & ~m) ^ v);
}

/** Translates every MARK/CONNMARK spelling into set-xmark's (value, mask), as libxt_MARK does. */
function xmark(spec: TargetSpec, name: string): [number, number] {
  const o = spec.options.find((x) => ['--set-xmark', '--set-mark', '--and-mark', '--or-mark', '--xor-mark'].includes(x.name));
  if (!o) throw new RuleSyntaxError(`${name} needs --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark`);
  const [v, m] = markMask(value(o), o.name);
  switch (o.name) {
    case '--set-xmark':
      return [v, m];
    case '--set-mark':
      return [v, mask32(v | m)];
    case '--and-mark':
      return [0, mask32(~v)];
    case '--or-mark':
      return [v, v];
    default:
      return [v, 0];
  }
}

function connmarkOp(spec: TargetSpec): (mark: number, ctmark: number) => { mark: number; ctmark: number } {
  const masks = (): [number, number] => {
    const both = opt(spec, '--mask');
    const nf = opt(spec, '--nfmask');
    const ct = opt(spec, '--ctmask');
    const all = both ? markMask(value(both), '--mask')[0] : 0xffffffff;
    return [nf ? markMask(value(nf), '--nfmask')[0] : all, ct ? markMask(value(ct), '--ctmask')[0] : all];
  };
  if (opt(spec, '--save-mark')) {
    const [nfmask, ctmask] = masks();
    return (mark, ctmark) => ({ mark, ctmark: mask32((ctmark & ~ctmask) ^ (mark & nfmask)) });
  }
  if (opt(spec, '--restore-mark')) {
    const [nfmask, ctmask] = masks();
    return (mark, ctmark) => ({ mark: mask32((mark & ~nfmask) ^ (ctmark & ctmask)), ctmark });
  }
  const [v, m] = xmark(spec, 'CONNMARK');
  return (mark, ctmark) => ({ mark, ctmark: mask32((ctmark & ~m) ^ v) });
}

/** How a hop names what the target did: `MARK --set-xmark 0x4000/0x4000`, `LOG`, `TRACE`. */
export function describeTarget(spec: TargetSpec): string {
  const opts = spec.options.map((o) => [o.negated ? '!' : '', o.name, ...o.values].filter(Boolean).join(' '));
  return [spec.name, ...opts].join(' ');
}
