/**
 * Identifiers `--redact` replaces wherever they appear, found by their shape: UIDs (object and pod
 * UIDs, ownerReferences, targetRefs, the pod UID in a CrashLoopBackOff message), 64-hex-digit IDs
 * (container IDs, image digests, CNI rule comments that name a container), link-layer (MAC)
 * addresses (`ip -j addr` `address`/`broadcast`/`permaddr`, `--mac-source` rules), and the
 * process names and pids `ss -p` prints (`users:(("nginx",pid=812,fd=6))`).
 *
 * Each distinct original gets a pseudonym of the same shape, numbered in sorted order, so the same
 * cluster state redacts to the same document and equal IDs stay equal. No check reads any of them.
 */

// `cni-` is containerd's prefix for a pod's network namespace (`cni-<uuid>`, pod-netns-* output).
const UUID = /(?<=^|[^0-9A-Za-z-]|cni-)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z-])/g;
const HEX64 = /(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])/g;
/** Ethernet (6 bytes) and InfiniBand (20 bytes) addresses as ip prints them. */
const MAC = /(?<![0-9A-Za-z:.])[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?:(?::[0-9a-fA-F]{2}){14})?(?![0-9A-Za-z:])/g;
/** One process of an ss -p `users:(…)` list. */
const SS_PROCESS = /\("((?:[^"\\]|\\.)*)",pid=(\d+),/g;

/** All-zero and broadcast addresses say nothing about a machine. */
const NEUTRAL_MAC = /^(?:00(?::00)*|ff(?::ff)*)$/i;

function numbered(found: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  [...new Set(found)].sort().forEach((x, i) => m.set(x, i + 1));
  return m;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** A locally administered unicast MAC (02:…) of the original's length, holding `n`. */
function pseudoMac(original: string, n: number): string {
  const bytes = original.split(':').map(() => 0);
  bytes[0] = 0x02;
  for (let i = bytes.length - 1, v = n; i > 0 && v > 0; i--, v = Math.floor(v / 256)) bytes[i] = v % 256;
  return bytes.map((b) => hex(b, 2)).join(':');
}

export interface IdRewrite {
  /** For any string of the document. */
  text: (t: string) => string;
  /** The MAC pseudonym of a MAC (lower case, as ip prints it), for the EUI-64 addresses derived from it. */
  mac: (m: string) => string;
}

/** A long text in pieces, made afresh on each call (a function, so a string is never taken for its characters). */
export type Pieces = () => Iterable<string>;

/** Every match of `re` in the pieces. */
const matchesIn = (pieces: Pieces, re: RegExp): RegExpExecArray[] => [...pieces()].flatMap((t) => [...t.matchAll(re)]);

/**
 * Builds the rewrite for every identifier found in `document` (the whole document as JSON, in
 * pieces cut between JSON values, so no identifier spans two); `moreMacs` are MACs known only from
 * the IPv6 interface IDs derived from them; `outputs` is the raw command output, where ss's quoted
 * process names are not JSON-escaped. Each is read once.
 */
export function idPseudonyms(document: Pieces, moreMacs: readonly string[] = [], outputs: Pieces = () => []): IdRewrite {
  const uuids = new Set<string>();
  const hex64 = new Set<string>();
  const found: string[] = [...moreMacs];
  for (const text of document()) {
    for (const m of text.matchAll(UUID)) uuids.add(m[0].toLowerCase());
    for (const m of text.matchAll(HEX64)) hex64.add(m[0].toLowerCase());
    for (const m of text.matchAll(MAC)) found.push(m[0]);
  }
  const macs = numbered(found.map((m) => m.toLowerCase()).filter((m) => !NEUTRAL_MAC.test(m)));
  const ss = matchesIn(outputs, SS_PROCESS);
  const processes = numbered(ss.map((m) => m[1]!));
  const pids = numbered(ss.map((m) => m[2]!));

  // A MAC not seen when the table was built (a rename cut through it) still never survives.
  const mac = (m: string): string => (NEUTRAL_MAC.test(m) ? m : pseudoMac(m, macs.get(m.toLowerCase()) ?? 0));
  const uuid = numbered(uuids);
  const hex64s = numbered(hex64);
  return {
    mac,
    text: (t) =>
      t
        .replace(UUID, (m) => `00000000-0000-4000-8000-${hex(uuid.get(m.toLowerCase()) ?? 0, 12)}`)
        .replace(HEX64, (m) => hex(hex64s.get(m.toLowerCase()) ?? 0, 64))
        .replace(MAC, mac)
        .replace(SS_PROCESS, (_m, name: string, pid: string) => `("process-${processes.get(name) ?? 0}",pid=${pids.get(pid) ?? 0},`),
  };
}
