/**
 * Pods' network namespaces on one node, as `ip -all netns exec CMD` prints them: for every name
 * under /var/run/netns (containerd and CRI-O create one per pod sandbox there) a blank line,
 * `netns: NAME`, then CMD's output. `pod-netns-addresses` (`ip -j addr`) says which namespace holds
 * which addresses, `pod-netns-sockets` (`ss -H -l -n -t -u -p`) what listens in it; a pod is the
 * namespace that holds its IP.
 *
 * Facts of iproute2 6.1 (measured, see test/model/pod-netns-real.test.ts): a namespace ip cannot
 * enter is reported on stderr (`setting the network namespace "NAME" failed: REASON`) and the exit
 * status stays 0; after such a failure the forked child goes on walking the directory too, so the
 * namespaces after it are printed twice. The names come from the node's filesystem and are printed
 * raw (a newline included), so a header counts only after a blank line, a name seen twice with
 * different output is not trusted, and everything read is bounded.
 */
import { parseIpLinks } from './ip-links.js';
import { parseAddr } from '../engine/address.js';
import type { CommandOutput } from '../snapshot/schema.js';
import { parseListeningSockets, type PodSockets } from './sockets.js';

/** More namespaces than any node runs pods (kubelet's maxPods defaults to 110). */
export const MAX_NAMESPACES = 2048;
/** NAME_MAX: a longer "name" is not a file name under /var/run/netns. */
const MAX_NAME = 255;
/** One namespace's `ip -j addr` is a few KiB; a larger one is not read. */
const MAX_ADDRESS_JSON = 1 << 20;
const MAX_STDERR_LINES = 4096;

const HEADER = 'netns: ';

interface Section {
  lines: string[];
  /** ip printed two sections of this name whose output differs: neither is trusted. */
  conflict: boolean;
}

export interface NetnsSections {
  sections: Map<string, Section>;
  /** More than MAX_NAMESPACES namespaces were printed; the rest were not read. */
  cut: boolean;
}

/** Splits `ip -all netns exec` output into its namespaces. */
export function parseNetnsSections(stdout: string): NetnsSections {
  const sections = new Map<string, Section>();
  let cut = false;
  let current: { name: string; lines: string[] } | null = null;
  const close = () => {
    if (current === null) return;
    // The blank line before the next header is ip's, not the command's.
    while (current.lines.at(-1) === '') current.lines.pop();
    const seen = sections.get(current.name);
    if (seen === undefined) sections.set(current.name, { lines: current.lines, conflict: false });
    else if (seen.lines.join('\n') !== current.lines.join('\n')) seen.conflict = true;
  };
  let previous: string | null = '';
  for (const line of stdout.split('\n')) {
    const header = previous === '' && line.startsWith(HEADER) && line.length - HEADER.length <= MAX_NAME;
    previous = line;
    if (header) {
      close();
      const name = line.slice(HEADER.length);
      if (!sections.has(name) && sections.size >= MAX_NAMESPACES) {
        cut = true;
        current = null;
        break;
      }
      current = { name, lines: [] };
    } else if (current !== null) {
      current.lines.push(line);
    }
  }
  close();
  return { sections, cut };
}

/** `setting the network namespace "NAME" failed: REASON` lines: NAME → REASON. */
export function netnsFailures(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stderr.split('\n').slice(0, MAX_STDERR_LINES)) {
    const m = /^setting the network namespace "(.*)" failed: (.*)$/.exec(line);
    if (m?.[1] !== undefined && m[1].length <= MAX_NAME) out.set(m[1], (m[2] ?? '').slice(0, 200));
  }
  return out;
}

/** The addresses a namespace holds (host-scope ones, loopback, left out); null when unreadable. */
function addressesOf(lines: string[]): string[] | null {
  // `ip -j addr` prints one line of JSON; a name with newlines adds lines before it, never after.
  const json = [...lines].reverse().find((l) => l.startsWith('['));
  if (json === undefined || json.length > MAX_ADDRESS_JSON) return null;
  return parseIpLinks(json)?.flatMap((link) => link.addresses.flatMap((a) => {
    const addr = parseAddr(a.local);
    return addr !== null && a.scope !== 'host' ? [addr.text] : [];
  })) ?? null;
}

export interface PodNetnsInput {
  node: string;
  addresses: CommandOutput;
  sockets: CommandOutput;
  /** Read through a debug pod (whose default capabilities cannot enter a namespace). */
  debugPod: boolean;
}

/** One node's pod namespaces, parsed once; `find` answers for one pod. */
export class PodNetns {
  private readonly addresses: NetnsSections;
  private readonly sockets: NetnsSections;
  /** Namespaces ip could not enter, per command: a failed one still gets its (empty) section. */
  private readonly addressFailures: Map<string, string>;
  private readonly socketFailures: Map<string, string>;
  private readonly holders = new Map<string, string[]>();

  constructor(private readonly input: PodNetnsInput) {
    this.addresses = parseNetnsSections(input.addresses.stdout);
    this.sockets = parseNetnsSections(input.sockets.stdout);
    this.addressFailures = netnsFailures(input.addresses.stderr);
    this.socketFailures = netnsFailures(input.sockets.stderr);
    for (const [name, section] of this.addresses.sections) {
      if (section.conflict || this.addressFailures.has(name)) continue;
      for (const ip of addressesOf(section.lines) ?? []) {
        this.holders.set(ip, [...(this.holders.get(ip) ?? []), name]);
      }
    }
  }

  /** The listening sockets of the one namespace that holds one of `podIps`, or why not. */
  find(podIps: readonly string[]): PodSockets {
    const { node } = this.input;
    const ips = podIps.map((ip) => parseAddr(ip)?.text).filter((ip) => ip !== undefined);
    const names = [...new Set(ips.flatMap((ip) => this.holders.get(ip) ?? []))].sort();
    const ipText = ips.join(', ') || podIps.join(', ');
    const [name, second] = names;
    if (name === undefined) return { state: 'unknown', why: this.notFound(ipText) };
    if (second !== undefined) {
      return { state: 'unknown', why: `network namespaces ${names.slice(0, 4).map(quoted).join(', ')} on ${node} all hold ${ipText} (a namespace the runtime leaked?): np-doctor does not guess which one is the pod's` };
    }
    const section = this.sockets.sections.get(name);
    const failure = this.socketFailures.get(name);
    if (failure !== undefined || section === undefined || section.conflict) {
      const why = failure !== undefined ? `ip could not enter it: ${failure}`
        : section?.conflict === true ? 'ip printed two different socket tables under its name'
          : 'ss did not list it (the pod was created or deleted between the two commands?)';
      return { state: 'unknown', why: `the sockets of network namespace ${quoted(name)} on ${node}, which holds ${ipText}, were not read: ${why}` };
    }
    return { state: 'read', netns: name, sockets: parseListeningSockets(section.lines.join('\n')), command: this.input.sockets.argv.join(' ') };
  }

  private notFound(ipText: string): string {
    const { node, debugPod } = this.input;
    const failed = this.addressFailures;
    const read = [...this.addresses.sections].filter(([name, s]) => !s.conflict && !failed.has(name)).length;
    if (failed.size > 0) {
      const [reason] = failed.values();
      const denied = [...failed.values()].some((r) => /Operation not permitted/.test(r));
      const hint = denied
        ? debugPod
          ? ': entering a network namespace needs CAP_SYS_ADMIN, which the default debug pod does not have; gather with --debug-privileged, or over SSH'
          : ': entering a network namespace needs CAP_SYS_ADMIN (root)'
        : '';
      return `np-doctor could not enter ${failed.size} of the ${this.addresses.sections.size} network namespaces on ${node} (${reason ?? ''})${hint}; the one holding ${ipText} may be among them`;
    }
    if (this.addresses.cut) return `${node} has more than ${MAX_NAMESPACES} network namespaces; np-doctor read the first ${MAX_NAMESPACES}, and none holds ${ipText}`;
    return `no network namespace under /var/run/netns on ${node} holds ${ipText} (${read} read): the container runtime keeps the pod's elsewhere (Docker through cri-dockerd: /var/run/docker/netns) or inside a sandbox VM (Kata Containers, gVisor), which np-doctor does not read`;
  }
}

const quoted = (name: string): string => JSON.stringify(name);
