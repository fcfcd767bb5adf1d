/**
 * The kernel's own account of a packet's path: `xtables-monitor --trace` prints one event per rule
 * a TRACE-marked packet matched (and per chain policy it hit), for nf_tables-backed iptables rules.
 *
 * Format (iptables 1.8.9, verified in this lab):
 *   PACKET: 2 5c66aa0c IN=eth0 ... SRC=203.0.113.7 DST=192.168.49.2 ... ID=56814 DF SPORT=20001 DPORT=30080 SYN
 *    TRACE: 2 5c66aa0c nat:KUBE-NODEPORTS:rule:0x12:JUMP:KUBE-EXT-X  -4 -t nat -A KUBE-NODEPORTS -p tcp ... -j KUBE-EXT-X
 *    TRACE: 2 5c66aa0c nat:KUBE-POSTROUTING:rule:0x1c:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING ... -j RETURN
 *    TRACE: 2 5c66aa0c raw:PREROUTING:policy:ACCEPT
 * A PACKET line precedes each hook's events; the hex word is a trace id (a hash of the skb, so a
 * later packet of the same flow may reuse it). Legacy (x_tables) rules are NOT traced here.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { run, sleep, start, stop } from './exec.js';
import { iptablesView, listPositions, parseNftMonitor } from './nft-trace.js';
import { TRACE_TABLE } from './rules.js';

export interface PacketLine {
  kind: 'packet';
  id: string;
  fields: Record<string, string>;
  flags: string[];
}

export interface TraceEvent {
  kind: 'trace';
  id: string;
  table: string;
  chain: string;
  type: 'rule' | 'policy' | 'return';
  /** ACCEPT, DROP, CONTINUE, JUMP, GOTO, RETURN (nft's 0xfffffffb), or what the monitor printed. */
  verdict: string;
  /** JUMP/GOTO target chain. */
  target?: string;
  /** `-A CHAIN …` exactly as the monitor printed it, minus its `-4 -t table ` prefix; null for policies.
   *  For a native nftables rule: the rule as `nft` prints it, without `# handle`. */
  rule: string | null;
  /** Native nftables tables only (nft-trace.ts): the table's family; absent for iptables' tables. */
  family?: string;
  /** nft monitor only: the rule's handle. */
  handle?: number;
  /** An event of the lab's own trace table: marks where a traversal starts; never a hop. */
  tracer?: boolean;
}

export type MonitorLine = PacketLine | TraceEvent;

/** nft verdict codes the monitor prints as numbers (include/uapi/linux/netfilter/nf_tables.h). */
const NUMERIC_VERDICTS: Record<string, string> = {
  '0xffffffff': 'CONTINUE',
  '0xfffffffe': 'BREAK',
  '0xfffffffd': 'JUMP',
  '0xfffffffc': 'GOTO',
  '0xfffffffb': 'RETURN',
};

const PACKET_RE = /^PACKET: (\d+) ([0-9a-f]+) (.*)$/;
const TRACE_RE = /^\s*TRACE: (\d+) ([0-9a-f]+) ([^:\s]+):([^:\s]+):(rule|policy|return):(\S*)\s*(.*)$/;

export function parseMonitor(text: string): MonitorLine[] {
  const out: MonitorLine[] = [];
  for (const line of text.split('\n')) {
    const p = PACKET_RE.exec(line);
    if (p !== null) {
      const fields: Record<string, string> = {};
      const flags: string[] = [];
      for (const tok of p[3]!.trim().split(/\s+/)) {
        const eq = tok.indexOf('=');
        if (eq > 0) fields[tok.slice(0, eq)] = tok.slice(eq + 1);
        else if (tok !== '') flags.push(tok);
      }
      out.push({ kind: 'packet', id: p[2]!, fields, flags });
      continue;
    }
    const t = TRACE_RE.exec(line);
    if (t === null) continue;
    const [, , id, table, chain, type, rest, ruleText] = t as unknown as string[];
    const ev: TraceEvent = { kind: 'trace', id: id!, table: table!, chain: chain!, type: type as TraceEvent['type'], verdict: '', rule: null };
    if (type === 'rule') {
      // rest = <handle>:<VERDICT>[:<target>]
      const parts = rest!.split(':');
      const v = parts[1] ?? '';
      ev.verdict = NUMERIC_VERDICTS[v] ?? v;
      if (parts.length > 2) ev.target = parts.slice(2).join(':');
      ev.rule = canonicalRule(ruleText!);
    } else {
      ev.verdict = rest!;
    }
    out.push(ev);
  }
  return out;
}

/** `-4 -t nat -A X …` → `-A X …`, whitespace collapsed; the form `iptables-save` prints. */
export function canonicalRule(text: string): string {
  return text
    .trim()
    .replace(/^-[46]\s+/, '')
    .replace(/^-t\s+\S+\s+/, '')
    .replace(/\s+/g, ' ');
}

export interface FirstPacketQuery {
  src: string;
  sport: number;
  /** The destination port before any DNAT (the NodePort). */
  dport: number;
}

/**
 * The events of the FIRST packet of one connection. The first PACKET line whose SRC/SPORT/DPORT
 * match gives the trace id; events with that id belong to this packet until a new packet reuses
 * the id, which shows as a different IPv4 `ID=` or as the tracing rule firing again after later
 * hooks (every traversal starts there: iptables' raw table, or the nft trace table at -500). A
 * retransmitted SYN therefore never mixes in.
 */
export function firstPacketEvents(lines: MonitorLine[], q: FirstPacketQuery): TraceEvent[] | null {
  const startIdx = lines.findIndex(
    (l) =>
      l.kind === 'packet' &&
      l.fields.SRC === q.src &&
      l.fields.SPORT === String(q.sport) &&
      l.fields.DPORT === String(q.dport),
  );
  if (startIdx < 0) return null;
  const first = lines[startIdx] as PacketLine;
  const events: TraceEvent[] = [];
  let pastRaw = false;
  for (const l of lines.slice(startIdx)) {
    if (l.id !== first.id) continue;
    if (l.kind === 'packet') {
      if (first.fields.ID !== undefined && l.fields.ID !== first.fields.ID) break;
      continue;
    }
    const start = l.tracer === true || (l.family === undefined && l.table === 'raw');
    if (start && pastRaw) break;
    if (!start) pastRaw = true;
    events.push(l);
  }
  return events;
}

/** The kernel side of comparison (d): one entry per matched rule or applied policy. */
export interface KernelHop {
  table: string;
  chain: string;
  /** Canonical `-A CHAIN …` text (native nftables: the rule as nft prints it), or null for a chain policy. */
  rule: string | null;
  /**
   * For a policy: `POLICY ACCEPT`/`POLICY DROP`. For an iptables rule: the monitor's verdict
   * (info only). For a native nftables rule: the kernel's verdict (`goto X`, `jump X`, `accept`,
   * `drop`, `continue`, `return`), which (d) compares.
   */
  verdict: string;
  /** Native nftables rules and policies only: the table's family. */
  family?: string;
  /** Native nftables rules only: the rule's handle, which (d) compares. */
  handle?: number;
}

/**
 * Normalisation: `return` events (the packet fell off the end of a user chain, or a base chain
 * returned to the hook) are not hops: the walk's Hop is "one matched rule or one applied chain
 * policy", and falling off a chain matches nothing. Events of the lab's trace table are not hops
 * either (the walk never sees that table). Everything else maps one to one.
 */
export function toKernelHops(events: TraceEvent[]): KernelHop[] {
  return events
    .filter((e) => e.type !== 'return' && e.tracer !== true)
    .map((e) => {
      const native = e.family !== undefined ? { family: e.family, ...(e.handle !== undefined && e.type === 'rule' ? { handle: e.handle } : {}) } : {};
      if (e.type === 'policy') return { table: e.table, chain: e.chain, rule: null, verdict: `POLICY ${e.verdict}`, ...native };
      const verdict = e.family === undefined && e.target !== undefined ? `${e.verdict} ${e.target}` : e.verdict;
      return { table: e.table, chain: e.chain, rule: e.rule, verdict, ...native };
    });
}

/**
 * How a node is traced:
 *   - `xtables`: `xtables-monitor --trace` (IPv4 iptables-nft rules; the raw-table TRACE rules);
 *   - `nft`: `nft -a monitor trace` (IPv6 iptables-nft rules, and every node with native
 *     nftables tables, where the trace table marks packets; see nft-trace.ts).
 */
export type TraceMode = 'xtables' | 'nft';

/** The iptables-nft dumps an nft-mode trace maps rule handles back to. */
export interface TraceDumps {
  nft?: string;
  nft6?: string;
}

/** A running trace monitor in one namespace, writing to a file. */
export class TraceMonitor {
  private constructor(
    private readonly child: ChildProcess,
    private readonly fd: number,
    readonly file: string,
    private readonly ns: string,
    private readonly mode: TraceMode,
    private readonly traceTable: boolean,
    private readonly family: 4 | 6,
  ) {}

  /**
   * `traceTable`: the namespace carries the lab's nft trace table (lab/rules.ts); its events are
   * flagged as tracer events. `family` picks the loopback address of the readiness marker.
   */
  static async start(ns: string, file: string, mode: TraceMode, family: 4 | 6 = 4, traceTable = false): Promise<TraceMonitor> {
    // A file, not a pipe: a full pipe blocks the monitor and netlink then drops trace events.
    const fd = openSync(file, 'w');
    const child =
      mode === 'xtables' ? start('xtables-monitor', ['--trace'], { ns, stdoutFd: fd }) : start('nft', ['-a', 'monitor', 'trace'], { ns, stdoutFd: fd });
    // The monitor prints nothing when it is ready. Instead of guessing a delay, send a marker
    // datagram from the node to its own loopback on port 32767 (the TRACE rules and the trace
    // table match it) until the monitor reports it. The marker never matches a probe's first
    // packet (source 127.0.0.1/::1, destination port 32767), so selection ignores it.
    const monitor = new TraceMonitor(child, fd, file, ns, mode, traceTable, family);
    await monitor.markerSeen(0);
    return monitor;
  }

  /** Marker events in the file so far. */
  private markers(): number {
    return readFileSync(this.file, 'utf8').split(this.mode === 'xtables' ? 'DPORT=32767' : 'dport 32767').length - 1;
  }

  /**
   * Sends marker datagrams until the file holds more than `before` marker events (bounded: 3 s).
   * The kernel queues trace events on the monitor's netlink socket in the order packets hit the
   * rules, so once a marker sent now is in the file, every earlier packet's events are too.
   */
  private async markerSeen(before: number): Promise<void> {
    const target = this.family === 4 ? '/dev/udp/127.0.0.1/32767' : '/dev/udp/::1/32767';
    for (let waited = 0; ; waited += 50) {
      if (this.child.exitCode !== null) throw new Error(`trace monitor exited early (${this.child.exitCode})`);
      await run('bash', ['-c', `echo marker > ${target}`], { ns: this.ns, allowFail: true });
      await sleep(50); // polling interval, not a wait for something: the loop checks the file
      if (this.markers() > before) return;
      if (waited > 3000) throw new Error(`trace monitor in ${this.ns} reported no marker within 3 s`);
    }
  }

  /**
   * Stops the monitor (once a fresh marker shows every earlier event has arrived) and returns its parsed output.
   * `dumps` are the node's iptables-nft dumps, needed to turn nft events back into `-A` rules.
   */
  async stop(dumps: TraceDumps = {}): Promise<MonitorLine[]> {
    await this.markerSeen(this.markers());
    await stop(this.child);
    closeSync(this.fd);
    const text = readFileSync(this.file, 'utf8');
    if (this.mode === 'xtables') return parseMonitor(text);
    return parseNftMonitor(text, {
      positions: await listPositions(this.ns),
      iptables: {
        ...(dumps.nft !== undefined ? { ip: iptablesView(dumps.nft) } : {}),
        ...(dumps.nft6 !== undefined ? { ip6: iptablesView(dumps.nft6) } : {}),
      },
      ...(this.traceTable ? { traceTable: TRACE_TABLE } : {}),
    });
  }
}
