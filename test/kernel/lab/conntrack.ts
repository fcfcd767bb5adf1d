/**
 * What NAT the kernel actually did for a connection, from `conntrack -L` in the node namespace:
 *   tcp 6 119 TIME_WAIT src=203.0.113.7 dst=192.168.49.2 sport=20001 dport=30080
 *                       src=10.244.0.6 dst=192.168.49.2 sport=8080 dport=56975 [ASSURED] mark=0 use=1
 * The first tuple is the original direction; the second is the reply. Reply src ≠ original dst
 * means DNAT (to the reply src); reply dst ≠ original src (or reply dport ≠ original sport) means
 * SNAT (to the reply dst).
 * A first packet dropped before conntrack confirmed it leaves no entry.
 */
import { run } from './exec.js';
import type { Proto } from './scenario.js';

export interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface ConntrackEntry {
  proto: string;
  orig: Tuple;
  reply: Tuple;
  state: string | null;
  flags: string[];
  mark: string | null;
}

export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const toks = line.trim().split(/\s+/);
    // Skip `-o extended`'s family columns if present; the protocol name comes first otherwise.
    if (toks[0] === 'ipv4' || toks[0] === 'ipv6') toks.splice(0, 2);
    const proto = toks[0];
    if (proto === undefined || !/^[a-z]+$/.test(proto) || proto === 'conntrack') continue;
    const kv: [string, string][] = [];
    const flags: string[] = [];
    let state: string | null = null;
    for (const t of toks.slice(3)) {
      const eq = t.indexOf('=');
      if (eq > 0) kv.push([t.slice(0, eq), t.slice(eq + 1)]);
      else if (t.startsWith('[')) flags.push(t.replace(/[[\]]/g, ''));
      else if (/^[A-Z_]+$/.test(t)) state = t;
    }
    const tuples: Partial<Tuple>[] = [];
    for (const [k, v] of kv) {
      if (k === 'src') tuples.push({ src: v });
      const cur = tuples[tuples.length - 1];
      if (cur === undefined) continue;
      if (k === 'dst') cur.dst = v;
      if (k === 'sport') cur.sport = Number(v);
      if (k === 'dport') cur.dport = Number(v);
    }
    const [o, r] = tuples;
    if (o?.dst === undefined || r?.dst === undefined) continue;
    out.push({
      proto,
      orig: o as Tuple,
      reply: r as Tuple,
      state,
      flags,
      mark: kv.find(([k]) => k === 'mark')?.[1] ?? null,
    });
  }
  return out;
}

export async function listConntrack(ns: string, proto: Proto, family: 4 | 6): Promise<ConntrackEntry[]> {
  const { stdout } = await run('conntrack', ['-L', '-f', family === 6 ? 'ipv6' : 'ipv4', '-p', proto], { ns, allowFail: true });
  return parseConntrack(stdout);
}

export interface NatSeen {
  /** Where the connection was DNATed to, or null if it was not. */
  dnat: { ip: string; port: number } | null;
  /** Address the connection was SNATed/masqueraded to, or null if it was not. */
  snat: string | null;
}

export function natOf(e: ConntrackEntry): NatSeen {
  const dnat = e.reply.src !== e.orig.dst || e.reply.sport !== e.orig.dport ? { ip: e.reply.src, port: e.reply.sport } : null;
  // MASQUERADE --random-fully may keep the address (node → own NodePort) but always picks a new
  // port, so a changed port counts as SNAT too.
  const snat = e.reply.dst !== e.orig.src || e.reply.dport !== e.orig.sport ? e.reply.dst : null;
  return { dnat, snat };
}

export function findEntry(entries: ConntrackEntry[], src: string, sport: number): ConntrackEntry | undefined {
  return entries.find((e) => e.orig.src === src && e.orig.sport === sport);
}
