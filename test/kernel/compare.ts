/**
 * The four comparisons between what the kernel did with a probe and what walk() says, plus the
 * check that the kernel did what the scenario INTENDED (so a broken lab cannot make both sides
 * "agree" by failing the same way). Each function returns failure messages (empty = pass) that
 * print both sides, like kube-proxy's tracer tests print the rules they matched.
 *
 * (a) verdict      per try: the client's result is explained by a walk outcome whose DNAT is the
 *                  one the kernel did: delivered ⇔ ACCEPT (delivered to a pod/endpoint), refused ⇔
 *                  REJECT, timeout ⇔ DROP. Two kernel facts outside netfilter are accounted for:
 *                  ACCEPT with local delivery to a port nobody listens on is refused by the node's
 *                  stack (RST / ICMP port unreachable); ACCEPT whose first packet the kernel did
 *                  pass (a conntrack entry exists) but whose reply never came back is a timeout
 *                  caused beyond this node (e.g. asymmetric return path). And a walk verdict class
 *                  with probability p that never showed up in K tries fails once (1-p)^K < 1e-4.
 * (b) endpoints    the DNAT destinations the kernel used (conntrack, or the trace's DNAT rule when
 *                  no entry exists) ⊆ the walk's DNAT destinations with probability > 0, and equal
 *                  once K ≥ ceil(ln(1e-4/n) / ln(1-pmin)) for the walk's n destinations whose
 *                  smallest probability is pmin (the chance to miss one is then < 1e-4). Skipped
 *                  for session affinity: `-m recent` makes later tries repeat the first.
 * (c) masquerade   the kernel did no SNAT ⇔ the walk outcome has snat null; it did ⇔ the walk has
 *                  MASQUERADE/SNAT, with the same address when the walk names one. "The kernel did
 *                  SNAT" comes from conntrack's reply tuple (address or port rewritten), else from
 *                  the source the endpoint saw (its reply line or server log) ≠ the client's. The
 *                  endpoint's view alone cannot tell a node process masqueraded to its own address.
 * (d) path         the kernel's ordered (table, chain, rule | policy) hops of the try's first packet
 *                  equal the hops of a walk outcome with the same DNAT. Normalisations: trace
 *                  `return` events are dropped (lab/trace.ts), legacy-backend walk hops are dropped
 *                  (the nf_tables trace cannot see x_tables rules), rule texts are compared in
 *                  `-A CHAIN …` form with whitespace collapsed. Native nftables hops (the walk's
 *                  hops with a `family`, the trace's events outside iptables-nft's tables) compare
 *                  by (family, table, chain, handle, verdict): the walk's action is reduced to the
 *                  kernel's verdict vocabulary (nftVerdictOf); policies as `POLICY ACCEPT|DROP`.
 *                  The lab's trace table is no hop on either side (the walk never sees it).
 */
import ipaddr from 'ipaddr.js';
import type { Hop, Outcome, WalkResult } from '../../src/engine/packet/contract.js';
import { MISS_RISK, triesFor, type ProbeRun, type TryObservation } from './lab/run.js';
import { canonicalRule, type KernelHop } from './lab/trace.js';

export interface CompareContext {
  /** Normalised IP → pod or host-server name, for messages. */
  names: Map<string, string>;
  /** Ports something listens on (all addresses) in the probe's node namespace. */
  nodeListeners: Set<number>;
  /** Session affinity: skip the equality half of (b). */
  affinity: boolean;
}

export const normIp = (ip: string): string => {
  try {
    return ipaddr.process(ip.replace(/^\[|\]$/g, '')).toString();
  } catch {
    return ip;
  }
};

type Dest = { ip: string; port: number | null } | null;

const destKey = (d: Dest): string => (d === null ? 'no DNAT' : `${normIp(d.ip)}:${d.port ?? '*'}`);
const sameDest = (a: Dest, b: Dest): boolean =>
  a === null || b === null ? a === b : normIp(a.ip) === normIp(b.ip) && (a.port === null || b.port === null || a.port === b.port);

/** `--to-destination [fd00::5]:80` / `10.0.0.1:80` / `10.0.0.1` → Dest. */
function parseToDestination(rule: string): Dest {
  const m = /--to-destination (\S+)/.exec(rule);
  if (m === null) return null;
  const v = m[1]!;
  const v6 = /^\[([^\]]+)\](?::(\d+))?/.exec(v);
  if (v6 !== null) return { ip: v6[1]!, port: v6[2] !== undefined ? Number(v6[2]) : null };
  const [ip, port] = v.split(':');
  return { ip: ip!, port: port !== undefined ? Number(port.split('-')[0]) : null };
}

/** nft's `dnat to 10.0.0.1:80` / `dnat ip to 10.0.0.1:80` / `dnat ip6 to [fd00::5]:80` → Dest. */
function parseNftDnat(rule: string): Dest {
  const m = /\bdnat (?:ip6? )?to (\S+)/.exec(rule);
  return m === null ? null : parseToDestination(`--to-destination ${m[1]!}`);
}

/** The DNAT the kernel did for a try: conntrack's, else the last DNAT rule in the trace. */
export function kernelDest(t: TryObservation): Dest {
  if (t.nat !== null) return t.nat.dnat;
  for (const h of [...(t.hops ?? [])].reverse()) {
    if (h.rule === null) continue;
    if (h.family === undefined && / -j DNAT /.test(h.rule)) return parseToDestination(h.rule);
    if (h.family !== undefined && h.verdict === 'accept') {
      const d = parseNftDnat(h.rule);
      if (d !== null) return d;
    }
  }
  return null;
}

const live = (w: WalkResult): Outcome[] => w.outcomes.filter((o) => o.probability > 0);

type ClientClass = 'delivered' | 'refused' | 'timeout' | 'unknown';

/** What a client should see for a walk outcome (see (a) above for the local-delivery case). */
export function expectedClient(o: Outcome, run: ProbeRun, ctx: CompareContext): ClientClass {
  if (o.verdict === 'DROP') return 'timeout';
  if (o.verdict === 'REJECT') return 'refused';
  if (o.verdict !== 'ACCEPT') return 'unknown';
  if (o.delivery === 'local') {
    const port = o.dnat?.port ?? run.packet.dport;
    return ctx.nodeListeners.has(port) ? 'delivered' : 'refused';
  }
  return 'delivered';
}

const name = (ctx: CompareContext, d: Dest): string => {
  if (d === null) return 'no DNAT';
  const n = ctx.names.get(normIp(d.ip));
  return n !== undefined ? `${destKey(d)} (${n})` : destKey(d);
};

export function describeOutcome(o: Outcome, i: number): string {
  const dnat = o.dnat === null ? 'no DNAT' : `DNAT ${o.dnat.ip}:${o.dnat.port ?? '*'}`;
  const snat = o.snat === null ? 'no SNAT' : `${o.snat.type}${o.snat.ip !== undefined ? ` ${o.snat.ip}` : ''}`;
  return `#${i} ${o.verdict} delivery=${o.delivery ?? '-'} ${dnat} ${snat} p=${o.probability}${o.indeterminate !== null ? ` indeterminate: ${o.indeterminate}` : ''}`;
}

function tryLabel(t: TryObservation, i: number): string {
  const seen = t.pod !== undefined ? ` pod=${t.pod} peer=${t.peer ?? '?'}` : '';
  return `try ${i} (sport ${t.sport}): client ${t.result}${t.errno !== undefined ? ` ${t.errno}` : ''}${seen}`;
}

function outcomesBlock(w: WalkResult): string {
  return w.outcomes.map((o, i) => `    ${describeOutcome(o, i)}`).join('\n');
}

/** (a) */
export function compareVerdict(run: ProbeRun, w: WalkResult, ctx: CompareContext): string[] {
  const failures: string[] = [];
  const outs = live(w);
  run.tries.forEach((t, i) => {
    const d = kernelDest(t);
    const cands = outs.filter((o) => sameDest(o.dnat, d));
    const ok = cands.some((o) => {
      const want = expectedClient(o, run, ctx);
      if (want === t.result) return true;
      // The node passed the first packet on (conntrack confirmed it) and the answer got lost later.
      return want === 'delivered' && t.result === 'timeout' && t.nat !== null;
    });
    if (!ok)
      failures.push(
        `(a) verdict: ${tryLabel(t, i)}; kernel DNAT ${name(ctx, d)}\n` +
          `  no walk outcome with that DNAT explains it. Walk outcomes:\n${outcomesBlock(w)}`,
      );
  });
  // Walk verdict classes the kernel never produced although K tries should have shown them.
  const k = run.tries.length;
  const byClass = new Map<ClientClass, number>();
  for (const o of outs) {
    const c = expectedClient(o, run, ctx);
    byClass.set(c, (byClass.get(c) ?? 0) + o.probability);
  }
  const seen = new Set(run.tries.map((t) => t.result));
  for (const [c, p] of byClass) {
    if (c === 'unknown' || seen.has(c)) continue;
    if (c === 'delivered' && seen.has('timeout') && run.tries.some((t) => t.nat !== null)) continue;
    if (Math.pow(1 - Math.min(p, 1), k) < MISS_RISK)
      failures.push(
        `(a) verdict: the walk gives "${c}" probability ${p}, but none of ${k} tries saw it ` +
          `(kernel: ${[...seen].join(', ')}). Walk outcomes:\n${outcomesBlock(w)}`,
      );
  }
  return failures;
}

/** (b) */
export function compareEndpoints(run: ProbeRun, w: WalkResult, ctx: CompareContext): string[] {
  const walkProb = new Map<string, number>();
  for (const o of live(w)) walkProb.set(destKey(o.dnat), (walkProb.get(destKey(o.dnat)) ?? 0) + o.probability);
  const kernel = new Map<string, string>();
  for (const t of run.tries) {
    const d = kernelDest(t);
    kernel.set(destKey(d), name(ctx, d));
  }
  // A walk DNAT without a port matches the kernel's ip:port.
  const inWalk = (key: string): boolean => walkProb.has(key) || walkProb.has(key.replace(/:\d+$/, ':*'));
  const failures: string[] = [];
  const extra = [...kernel.keys()].filter((k) => !inWalk(k));
  if (extra.length > 0)
    failures.push(
      `(b) endpoints: the kernel reached ${extra.map((k) => kernel.get(k)).join(', ')}, which no walk outcome DNATs to.\n` +
        `  kernel: ${[...kernel.values()].join(', ')}\n  walk:   ${[...walkProb].map(([k, p]) => `${k} p=${p}`).join(', ')}`,
    );
  if (!ctx.affinity) {
    const n = walkProb.size;
    const pmin = Math.min(...walkProb.values());
    const need = triesFor(n, pmin);
    const missing = [...walkProb.keys()].filter((key) => ![...kernel.keys()].some((kk) => kk === key || kk.replace(/:\d+$/, ':*') === key));
    if (missing.length > 0 && run.tries.length >= need)
      failures.push(
        `(b) endpoints: after ${run.tries.length} tries (≥ ${need} needed for ${n} destinations, pmin ${pmin}) ` +
          `the kernel never reached ${missing.join(', ')}, which the walk gives probability > 0.\n` +
          `  kernel: ${[...kernel.values()].join(', ')}\n  walk:   ${[...walkProb].map(([key, p]) => `${key} p=${p}`).join(', ')}`,
      );
  }
  return failures;
}

/** The address the endpoint saw as its peer for a try, and where that came from. */
function sawOf(t: TryObservation): { ip: string; from: string } | null {
  const strip = (peer: string) => peer.slice(0, peer.lastIndexOf(':'));
  if (t.peer !== undefined) return { ip: strip(t.peer), from: 'the reply' };
  const log = t.serverSaw[0];
  if (log !== undefined) return { ip: strip(log.peer), from: `${log.pod}'s server log` };
  return null;
}

/**
 * Whether the kernel SNATed a try, and to what. conntrack's reply tuple comes first: it also shows
 * a masquerade that kept the address and only rewrote the port (a node process whose source
 * already is the address MASQUERADE picks), which the endpoint's view cannot tell from no SNAT.
 * Without an entry, the endpoint's view decides (the source it saw is the client's or not).
 */
function kernelSnat(t: TryObservation, client: string): { masq: boolean; ip: string | null; from: string } | null {
  if (t.nat !== null) return { masq: t.nat.snat !== null, ip: t.nat.snat === null ? null : normIp(t.nat.snat), from: 'conntrack' };
  const saw = sawOf(t);
  if (saw === null) return null; // dropped on the node: nobody saw a source address
  const ip = normIp(saw.ip);
  return { masq: ip !== client, ip, from: saw.from };
}

/** (c) */
export function compareMasquerade(run: ProbeRun, w: WalkResult, ctx: CompareContext): string[] {
  const failures: string[] = [];
  const client = normIp(run.packet.src);
  run.tries.forEach((t, i) => {
    const k = kernelSnat(t, client);
    if (k === null) return;
    const d = kernelDest(t);
    const cands = live(w).filter((o) => sameDest(o.dnat, d) && o.verdict === 'ACCEPT');
    if (cands.length === 0) return; // (a) reports this
    const ok = cands.some((o) =>
      k.masq ? o.snat !== null && (o.snat.ip === undefined || k.ip === null || normIp(o.snat.ip) === k.ip) : o.snat === null,
    );
    const saw = sawOf(t);
    if (!ok)
      failures.push(
        `(c) masquerade: ${tryLabel(t, i)}; kernel (${k.from}): ${k.masq ? `SNAT to ${k.ip ?? '?'}` : 'no SNAT'}` +
          `${saw !== null ? `; the endpoint saw ${saw.ip} (${saw.from})` : ''}.\n  Walk outcomes with DNAT ${name(ctx, d)}:\n` +
          cands.map((o) => `    ${describeOutcome(o, w.outcomes.indexOf(o))}`).join('\n'),
      );
  });
  return failures;
}

interface PathHop {
  table: string;
  chain: string;
  /** Native nftables hops only. */
  family?: string;
  /** What is compared: the iptables rule text, `#<handle> <verdict>` for a native rule, or the policy. */
  what: string;
  /** Shown, not compared: the native rule's text. */
  text?: string;
}

const kernelPath = (hops: KernelHop[]): PathHop[] =>
  hops.map((h) => {
    if (h.family === undefined) return { table: h.table, chain: h.chain, what: h.rule ?? h.verdict };
    if (h.rule === null) return { table: h.table, chain: h.chain, family: h.family, what: h.verdict };
    return { table: h.table, chain: h.chain, family: h.family, what: `#${h.handle ?? '?'} ${h.verdict}`, text: h.rule };
  });

/** Hops of x_tables rules are invisible to the nf_tables trace. The lab names each dump's source
 *  `<ns>:<backend>` (walk-input.ts), which also covers a legacy dump whose header does not say so. */
const isLegacyHop = (h: Hop): boolean => h.backend === 'legacy' || (h.source?.endsWith(':legacy') ?? false);

/**
 * A walk hop's action in the kernel trace's verdict vocabulary: `goto X` / `jump X` keep their
 * target; NAT statements end the chain with accept (the trace says `accept` for `dnat to`,
 * `masquerade`); `reject` is a drop with an answer (the trace says `drop`); anything else that
 * matched and went on (mark set, counter, log, …) is `continue`.
 */
export function nftVerdictOf(action: string): string {
  const [word = '', target] = action.trim().split(/\s+/);
  switch (word.toUpperCase()) {
    case 'GOTO':
    case 'JUMP':
      return target !== undefined ? `${word.toLowerCase()} ${target}` : word.toLowerCase();
    case 'ACCEPT':
    case 'DNAT':
    case 'SNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
      return 'accept';
    case 'DROP':
    case 'REJECT':
      return 'drop';
    case 'RETURN':
      return 'return';
    case 'QUEUE':
      return 'queue';
    default:
      return 'continue';
  }
}

export const walkPath = (hops: Hop[]): PathHop[] =>
  hops
    .filter((h) => !isLegacyHop(h))
    .map((h): PathHop => {
      if (h.family === undefined) return { table: h.table, chain: h.chain, what: h.rule !== null ? canonicalRule(h.rule) : h.action };
      if (h.rule === null) return { table: h.table, chain: h.chain, family: h.family, what: h.action };
      return { table: h.table, chain: h.chain, family: h.family, what: `#${h.handle ?? h.line} ${nftVerdictOf(h.action)}`, text: `${h.rule}  [${h.action}]` };
    });

const hopEq = (a: PathHop | undefined, b: PathHop | undefined): boolean =>
  a !== undefined && b !== undefined && a.family === b.family && a.table === b.table && a.chain === b.chain && a.what === b.what;

function firstDiff(a: PathHop[], b: PathHop[]): number {
  let i = 0;
  while (i < a.length && i < b.length && hopEq(a[i], b[i])) i++;
  return i === a.length && i === b.length ? -1 : i;
}

function pathBlock(p: PathHop[], diff: number): string {
  return (
    p
      .map((h, i) => {
        const where = h.family !== undefined ? `${h.family} ${h.table}/${h.chain}` : `${h.table}/${h.chain}`;
        return `  ${i === diff ? '>' : ' '}${String(i + 1).padStart(3)}  ${where}  ${h.what}${h.text !== undefined ? `    (${h.text})` : ''}`;
      })
      .join('\n') || '    (none)'
  );
}

/** (d) */
export function comparePath(run: ProbeRun, w: WalkResult, ctx: CompareContext): string[] {
  const failures: string[] = [];
  run.tries.forEach((t, i) => {
    if (t.hops === null) {
      failures.push(`(d) path: ${tryLabel(t, i)}: the trace has no PACKET line for this try (monitor missed it?)`);
      return;
    }
    const kp = kernelPath(t.hops);
    const d = kernelDest(t);
    const cands = live(w).filter((o) => sameDest(o.dnat, d));
    let best: { o: Outcome; p: PathHop[]; diff: number } | null = null;
    for (const o of cands) {
      const p = walkPath(o.hops);
      const diff = firstDiff(kp, p);
      if (diff === -1) return;
      if (best === null || diff > best.diff) best = { o, p, diff };
    }
    if (best === null) {
      failures.push(`(d) path: ${tryLabel(t, i)}: no walk outcome has DNAT ${name(ctx, d)}.\nkernel hops:\n${pathBlock(kp, -1)}\nWalk outcomes:\n${outcomesBlock(w)}`);
      return;
    }
    failures.push(
      `(d) path: ${tryLabel(t, i)}; DNAT ${name(ctx, d)}. First difference at hop ${best.diff + 1}.\n` +
        `kernel hops (trace of the first packet):\n${pathBlock(kp, best.diff)}\n` +
        `walk hops (${describeOutcome(best.o, w.outcomes.indexOf(best.o))}):\n${pathBlock(best.p, best.diff)}`,
    );
  });
  return failures;
}

/** The scenario's intent, checked against the kernel alone. */
export function checkIntended(run: ProbeRun): string[] {
  const want = run.probe.intended;
  const failures: string[] = [];
  const lines = run.tries.map((t, i) => `    ${tryLabel(t, i)}`).join('\n');
  const bad = run.tries.filter((t) => t.result !== want.result);
  if (bad.length > 0) failures.push(`intended ${want.result} on every try, kernel gave:\n${lines}`);
  if (want.pods !== undefined) {
    const got = [...new Set(run.tries.map((t) => t.pod).filter((p) => p !== undefined))].sort();
    if (JSON.stringify(got) !== JSON.stringify([...want.pods].sort()))
      failures.push(`intended pods ${want.pods.join(', ')}, kernel reached ${got.join(', ') || 'none'}:\n${lines}`);
  }
  if (want.peerIp !== undefined) {
    const wrong = run.tries.filter((t) => t.peer !== undefined && normIp(t.peer.slice(0, t.peer.lastIndexOf(':'))) !== normIp(want.peerIp!));
    if (wrong.length > 0) failures.push(`intended the endpoint to see ${want.peerIp}:\n${lines}`);
  }
  if (want.sticky === true && new Set(run.tries.map((t) => t.pod)).size !== 1)
    failures.push(`intended every try to reach the same pod:\n${lines}`);
  if (want.podSaw !== undefined) {
    const ps = want.podSaw;
    const missing = run.tries.filter(
      (t) => !t.serverSaw.some((l) => l.pod === ps.pod && normIp(l.peer.slice(0, l.peer.lastIndexOf(':'))) === normIp(ps.peerIp)),
    );
    if (missing.length > 0)
      failures.push(`intended ${ps.pod} to log a packet from ${ps.peerIp} for every try:\n${lines}\n  server logs: ${JSON.stringify(run.tries.map((t) => t.serverSaw))}`);
  }
  return failures;
}
