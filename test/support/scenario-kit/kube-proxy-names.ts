/**
 * kube-proxy's hashed chain names, computed as its proxiers compute them, so the kit's rules, the
 * bench's generated dumps and the kernel lab's nft scenarios name chains as a real node does.
 *
 *   iptables mode (pkg/proxy/iptables/proxier.go): KUBE-SVC-/SVL-/EXT-/FW- + portProtoHash,
 *   KUBE-SEP- + endpointHash: the first 16 base32 characters of sha256.
 *   nftables mode (pkg/proxy/nftables/proxier.go): service-/local-/external-/endpoint- +
 *   hashAndTruncate: 8 base32 characters of sha256, a dash, the name itself.
 */
import { createHash } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** knftables.NameLengthMax (256) - chainNamePrefixLengthMax (16). */
const CHAIN_NAME_BASE_LENGTH_MAX = 240;

/** Go's base32.StdEncoding (RFC 4648) without the padding, which kube-proxy cuts off anyway. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET.charAt((acc >>> bits) & 31);
    }
  }
  return bits > 0 ? out + BASE32_ALPHABET.charAt((acc << (5 - bits)) & 31) : out;
}

const sha256Base32 = (text: string): string => base32(createHash('sha256').update(text).digest());

/** portProtoHash: the 16 characters KUBE-SVC/SVL/EXT/FW of one service port share ("ns/svc:port" + "tcp"). */
export const portProtoHash = (servicePortName: string, protocol: string): string => sha256Base32(servicePortName + protocol).slice(0, 16);

/** servicePortEndpointChainName's 16 characters after KUBE-SEP-; endpoint is "ip:port". */
export const endpointHash = (servicePortName: string, protocol: string, endpoint: string): string =>
  sha256Base32(servicePortName + protocol + endpoint).slice(0, 16);

/**
 * hashAndTruncate: base32(sha256(name))[:8] + "-" + name, cut to 240 characters ending in "...".
 * "ns1/svc1/tcp/p80" → "ULMVA6XW-ns1/svc1/tcp/p80".
 */
export function hashAndTruncate(name: string): string {
  const full = `${sha256Base32(name).slice(0, 8)}-${name}`;
  return full.length > CHAIN_NAME_BASE_LENGTH_MAX ? `${full.slice(0, CHAIN_NAME_BASE_LENGTH_MAX - 3)}...` : full;
}
