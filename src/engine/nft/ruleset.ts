/**
 * The nftables ruleset model: what `nft -j list ruleset` (libnftables JSON, schema version 1)
 * describes, kept close to it. Rule expressions stay in their JSON form and are compiled on first
 * use, as the iptables engine does with rule text; a rule's `text` is printed on first read.
 */
import type { Hook } from '../packet/hooks.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftRuleset {
  /** Names the dump in hops and errors: `node1:nft-ruleset`. */
  source: string;
  /** Tables in dump order (`nft list ruleset` prints them in creation order). */
  tables: NftTable[];
}

export interface NftTable {
  family: NftFamily;
  name: string;
  handle: number;
  chains: Map<string, NftChain>;
  /** Named sets and maps (verdict maps included), by name. */
  sets: Map<string, NftSet>;
  /**
   * iptables-nft created it: family ip/ip6, one of iptables' table names (filter, nat, mangle, raw,
   * security), and `xt` expressions in its rules or iptables' built-in chain names. The iptables
   * dump covers it, so the nft walk skips it.
   */
  iptablesNft: boolean;
}

export interface NftBase {
  type: 'filter' | 'nat' | 'route';
  hook: Hook;
  /** Numeric priority (`dstnat` = -100, `filter` = 0, `srcnat` = 100, `filter - 10` = -10). */
  priority: number;
  policy: 'accept' | 'drop';
}

/**
 * A base chain at a hook the walk does not model: `ingress`/`egress` (netdev and inet families) and
 * every hook of the arp, bridge and netdev families. Kept so evidence can name it; never walked.
 */
export interface NftOtherHook {
  /** The hook as nft names it: `ingress`, `egress`, `forward` of a bridge table, … */
  hook: string;
  type: string;
  priority: number;
  policy: 'accept' | 'drop';
  /** The devices an ingress/egress chain is bound to, when the dump names them. */
  devices: string[];
}

export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  handle: number;
  /** Present for a base chain of family ip/ip6/inet at one of the five netfilter hooks the walk runs. */
  base: NftBase | null;
  /** Present for any other base chain (see NftOtherHook); `base` is then null. */
  otherHook: NftOtherHook | null;
  rules: NftRule[];
}

export interface NftRule {
  handle: number;
  /** The rule as `nft list ruleset` prints it (without `# handle`), for hops and evidence. */
  text: string;
  comment: string | null;
  /** libnftables JSON expressions and statements, left to right. */
  expr: unknown[];
  /** 1-based index of the rule's object in the dump's `nftables` array, for errors. */
  object: number;
}

export interface NftSetElement {
  /** The key as JSON (a value, prefix, range or concatenation), and its `nft` text. */
  key: unknown;
  keyText: string;
  /** Maps only: the value (a verdict for a vmap: `{ "goto": { "target": "x" } }`, `{ "drop": null }`). */
  value?: unknown;
  comment?: string;
  /** Seconds until a dynamic or timeout element expires, as the dump said (`expires`). */
  expires?: number;
}

export interface NftSet {
  name: string;
  /** `set` or `map` (a verdict map is a map whose `map` type is `verdict`). */
  kind: 'set' | 'map';
  /** Key type, e.g. `ipv4_addr` or `["ipv4_addr", "inet_proto", "inet_service"]`. */
  type: string | string[];
  /** Maps only: the value type (`verdict`, `ipv4_addr`, …). */
  map?: string | string[];
  flags: string[];
  elements: NftSetElement[];
  /**
   * The packet path may add or expire elements (flags `dynamic` or `timeout`, a set timeout, or
   * elements with an expiry): a lookup is only as true as the moment of the dump. nft 1.0 leaves
   * `dynamic` out of its JSON, hence the other signs.
   */
  dynamic: boolean;
  /** 1-based index of the set's object in the dump's `nftables` array, for errors. */
  object: number;
}
