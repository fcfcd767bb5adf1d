/**
 * The SSH algorithms np-doctor offers, set explicitly instead of ssh2's defaults, which still
 * include SHA-1 (the ssh-rsa signature, hmac-sha1, diffie-hellman-*-sha1 key exchange) for old
 * servers. What stays: curve25519 and NIST ECDH or SHA-2 Diffie-Hellman key exchange; ed25519,
 * ECDSA and RSA host keys with SHA-2 signatures (RFC 8332); AES-GCM, ChaCha20-Poly1305 and AES-CTR;
 * encrypt-then-MAC SHA-2 MACs (the AEAD ciphers need none). OpenSSH has offered all of these
 * since 7.2 (2016); a server that offers only refused ones fails the handshake with a message
 * naming what it offered (ssh-errors.ts).
 */
import { getCiphers } from 'node:crypto';
import type { Algorithms, CipherAlgorithm, KexAlgorithm, MacAlgorithm, ServerHostKeyAlgorithm } from 'ssh2';

export const KEX: readonly KexAlgorithm[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
];

export const HOST_KEY: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/** With the OpenSSL cipher each needs: a Node built without one (FIPS builds lack ChaCha20) leaves it out. */
const CIPHER_NEEDS: readonly [CipherAlgorithm, string][] = [
  ['aes128-gcm@openssh.com', 'aes-128-gcm'],
  ['aes256-gcm@openssh.com', 'aes-256-gcm'],
  ['chacha20-poly1305@openssh.com', 'chacha20'],
  ['aes256-ctr', 'aes-256-ctr'],
  ['aes192-ctr', 'aes-192-ctr'],
  ['aes128-ctr', 'aes-128-ctr'],
];

export const MAC: readonly MacAlgorithm[] = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'];

let ciphers: CipherAlgorithm[] | undefined;

export function cipherList(): readonly CipherAlgorithm[] {
  if (ciphers === undefined) {
    const have = new Set(getCiphers());
    ciphers = CIPHER_NEEDS.filter(([, openssl]) => have.has(openssl)).map(([name]) => name);
  }
  return ciphers;
}

/** ssh2's `algorithms` option: exact lists, host key types already in known_hosts first. */
export function sshAlgorithms(preferredHostKeys: readonly string[]): Algorithms {
  const first = HOST_KEY.filter((a) => preferredHostKeys.includes(a));
  return {
    kex: [...KEX],
    serverHostKey: [...first, ...HOST_KEY.filter((a) => !first.includes(a))],
    cipher: [...cipherList()],
    hmac: [...MAC],
  };
}

/** What the handshake failed to agree on, as ssh2 says it, with the directive a node admin changes and what np-doctor accepts. */
export const NEGOTIATED: readonly { match: RegExp; remote: RegExp; what: string; directive: string; accepted: () => readonly string[] }[] = [
  { match: /no matching key exchange/i, remote: /^Handshake: \(remote\) KEX method: (.*)$/, what: 'key exchange', directive: 'KexAlgorithms', accepted: () => KEX },
  { match: /no matching host key/i, remote: /^Handshake: \(remote\) Host key format: (.*)$/, what: 'host key', directive: 'HostKeyAlgorithms (and a HostKey of that type)', accepted: () => HOST_KEY },
  { match: /no matching (C->S|S->C) cipher/i, remote: /^Handshake: \(remote\) C->S cipher: (.*)$/, what: 'cipher', directive: 'Ciphers', accepted: cipherList },
  { match: /no matching (C->S|S->C) MAC/i, remote: /^Handshake: \(remote\) C->S MAC: (.*)$/, what: 'MAC', directive: 'MACs', accepted: () => MAC },
];
