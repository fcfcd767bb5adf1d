/**
 * known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): one key per line,
 * `[@marker] hostpatterns keytype base64-key [comment]`. np-doctor reads them to decide whether a
 * node's host key is the one the user trusts; it never writes them.
 *
 * Facts encoded here:
 * - A host on a port other than 22 is written `[host]:port`; port 22 is the bare name.
 * - A hashed host field is `|1|base64(salt)|base64(HMAC-SHA1(key = salt, message = name))`,
 *   where name is the same string as above (`[host]:port` included).
 * - `@revoked` marks a key that must never be accepted; `@cert-authority` marks a CA that signs
 *   host certificates. ssh2 cannot check host certificates, so CA lines are reported, not used.
 * - The key field decodes to the SSH wire-format public key blob, which is exactly what ssh2's
 *   hostVerifier receives; the blob starts with its own key type as an SSH string.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { matchPattern, matchPatternList } from './ssh-pattern.js';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The comma-separated host field, split; hashed entries stay in their `|1|…` form. */
  hosts: string[];
  /** The key type written in the blob itself (e.g. `ssh-ed25519`). */
  keyType: string;
  key: Buffer;
}

/** A line that could not be used, with why; lines are skipped, never fatal (as OpenSSH does). */
export interface KnownHostsProblem {
  file: string;
  line: number;
  problem: string;
}

export type HostKeyCheck =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Entries of the presented key's type exist for this host, and none holds the presented key. */
  | { status: 'changed'; entries: KnownHostEntry[] }
  /** Nothing of this key type is known; `otherKeys` are keys of other types for the same host. */
  | { status: 'unknown'; otherKeys: KnownHostEntry[] };

/** The name known_hosts stores for a host and port. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH's SHA256 fingerprint: `SHA256:` and unpadded base64 of the blob's digest. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a public key blob declares (its first SSH string), or undefined if malformed. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** Whether a hashed host field (`|1|salt|hash`) is the HMAC of `name`. */
function hashedMatches(name: string, field: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const want = Buffer.from(parts[3] ?? '', 'base64');
  if (salt.length === 0 || want.length !== 20) return false;
  const got = createHmac('sha1', salt).update(name.toLowerCase()).digest();
  return timingSafeEqual(got, want);
}

function hostPatternMatches(name: string, pattern: string): boolean {
  return pattern.startsWith('|') ? hashedMatches(name, pattern) : matchPattern(name, pattern);
}

/** Whether an entry's host field names `name` (a `knownHostsName()`). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  return matchPatternList(name, entry.hosts, hostPatternMatches);
}

/** Parses one file's text. Malformed lines become problems and are skipped. */
export function parseKnownHosts(
  text: string,
  file: string,
): { entries: KnownHostEntry[]; problems: KnownHostsProblem[] } {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ file, line, problem: `unknown marker ${m}` });
        return;
      }
    }
    const [hostField, typeField, keyField] = fields;
    if (hostField === undefined || typeField === undefined || keyField === undefined) {
      problems.push({ file, line, problem: 'expected hosts, key type and key' });
      return;
    }
    // Old SSH-1 RSA lines (`host bits exponent modulus`) have a number where the type goes.
    if (/^\d+$/.test(typeField)) {
      problems.push({ file, line, problem: 'SSH-1 key (not supported)' });
      return;
    }
    const key = Buffer.from(keyField, 'base64');
    const keyType = keyTypeOf(key);
    if (keyType === undefined || keyType !== typeField) {
      problems.push({ file, line, problem: `the key does not decode to a ${typeField} key` });
      return;
    }
    entries.push({ file, line, marker, hosts: hostField.split(','), keyType, key });
  });
  return { entries, problems };
}

/** The keys of several known_hosts files, in file order (first file first). */
export class KnownHosts {
  constructor(readonly entries: readonly KnownHostEntry[]) {}

  /** Plain (unmarked) entries for `name`. */
  keysFor(name: string): KnownHostEntry[] {
    return this.entries.filter((e) => e.marker === undefined && entryMatches(e, name));
  }

  /** `@cert-authority` entries that would apply to `name` (np-doctor cannot use them). */
  certAuthoritiesFor(name: string): KnownHostEntry[] {
    return this.entries.filter((e) => e.marker === 'cert-authority' && entryMatches(e, name));
  }

  /**
   * Decides a presented key. A revoked key is refused whatever host pattern its line carries
   * (stricter than OpenSSH, which applies the pattern too: a revoked key is never wanted).
   */
  check(name: string, key: Buffer): HostKeyCheck {
    const revoked = this.entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
    if (revoked !== undefined) return { status: 'revoked', entry: revoked };
    const mine = this.keysFor(name);
    const same = mine.find((e) => e.key.equals(key));
    if (same !== undefined) return { status: 'known', entry: same };
    const type = keyTypeOf(key);
    const sameType = mine.filter((e) => e.keyType === type);
    if (sameType.length > 0) return { status: 'changed', entries: sameType };
    return { status: 'unknown', otherKeys: mine };
  }
}

/** Reads and parses files; a missing file is simply empty (most of the defaults do not exist). */
export async function loadKnownHosts(
  files: readonly string[],
): Promise<{ knownHosts: KnownHosts; problems: KnownHostsProblem[] }> {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        problems.push({ file, line: 0, problem: `cannot read: ${(e as Error).message}` });
      }
      continue;
    }
    const parsed = parseKnownHosts(text, file);
    entries.push(...parsed.entries);
    problems.push(...parsed.problems);
  }
  return { knownHosts: new KnownHosts(entries), problems };
}
