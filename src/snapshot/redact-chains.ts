/**
 * kube-proxy's hashed chain names, remapped for `--redact`. kube-proxy names a Service port's
 * chains after a hash of its name: in iptables mode `KUBE-SVC-` + the first 16 base32 characters
 * of sha256("shop/frontend:http" + "tcp") (also KUBE-SVL-, KUBE-EXT-, KUBE-FW-, KUBE-XLB- and,
 * with the endpoint appended, KUBE-SEP-); in nftables mode `service-` + the first 8 of
 * sha256("shop/frontend/tcp/http") + "-shop/frontend/tcp/http" (also local-, external-,
 * firewall-, endpoint- and the affinity- sets). Anyone could hash a guessed name and find it, so
 * renaming the readable part is not enough.
 *
 * Each hash becomes the start of base32(HMAC-SHA256(key, hash)) with a random key per redaction,
 * never stored: the same hash maps the same way in every dump of the snapshot (iptables, nft, both
 * backends, every node), so the jump graph survives, the shape (prefix, length, alphabet) stays so
 * readers still recognise the chains, and without the key a guess cannot be confirmed.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** iptables mode: KUBE-SVC-PY4JZH2ITZYEO4CN and its siblings. */
const KUBE_CHAIN = /(?<![A-Za-z0-9-])(KUBE-(?:SVC|SVL|EXT|FW|SEP|XLB)-)([A-Z2-7]{16})(?![A-Za-z0-9])/g;
/** nftables mode: service-ULMVA6XW-shop/frontend/tcp/http and its siblings. */
const NFT_CHAIN = /(?<![A-Za-z0-9-])((?:service|local|external|firewall|endpoint|affinity)-)([A-Z2-7]{8})(?=-)/g;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}

export class ChainHashes {
  private readonly map = new Map<string, string>();
  private readonly used = new Set<string>();

  /** `key` only for tests: a redaction draws a fresh random one. */
  constructor(private readonly key: Uint8Array = randomBytes(32)) {}

  /** The replacement of one hash: same length, same alphabet, never the same as another hash's. */
  private remap(hash: string): string {
    let out = this.map.get(hash);
    if (out !== undefined) return out;
    // Two hashes must never meet in one name (that would merge two chains), so on a clash the
    // input is extended until the result is new.
    for (let i = 0; out === undefined || this.used.has(out); i++) {
      out = base32(createHmac('sha256', this.key).update(i === 0 ? hash : `${hash}#${i}`).digest()).slice(0, hash.length);
    }
    this.map.set(hash, out);
    this.used.add(out);
    return out;
  }

  /** Every kube-proxy chain hash in `text` replaced; anything else untouched. */
  rewrite(text: string): string {
    return text
      .replace(KUBE_CHAIN, (_m, prefix: string, hash: string) => `${prefix}${this.remap(hash)}`)
      .replace(NFT_CHAIN, (_m, prefix: string, hash: string) => `${prefix}${this.remap(hash)}`);
  }
}
