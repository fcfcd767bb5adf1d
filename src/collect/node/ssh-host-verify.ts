/**
 * Host key verification for one hop: the ssh2 hostVerifier, the host key algorithms to offer, and
 * the words for a refused key. Like OpenSSH, the algorithms of keys already in known_hosts are
 * offered first, so a server with several host keys presents the one the user has, and a key of
 * the same type that differs really means the key changed.
 */
import { fingerprint, keyTypeOf, type KnownHostEntry, type KnownHosts } from './known-hosts.js';

export type HostKeyProblem =
  | { kind: 'unknown'; key: Buffer; otherKeys: KnownHostEntry[]; certAuthorities: KnownHostEntry[] }
  | { kind: 'changed'; key: Buffer; entries: KnownHostEntry[] }
  | { kind: 'revoked'; key: Buffer; entry: KnownHostEntry };

export interface HostKeyPolicy {
  /** --ssh-insecure-skip-host-key-check: accept any key. */
  insecure: boolean;
  knownHosts: KnownHosts;
  warn: (message: string) => void;
  display: (path: string) => string;
}

/**
 * Server host key algorithms for a known_hosts key type. An RSA key signs with SHA-2 only: the
 * SHA-1 `ssh-rsa` signature is not offered at all (ssh-algorithms.ts).
 */
const ALGORITHMS_OF: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256'],
};

/** Host key algorithms to offer first for `name`: the types known_hosts already has for it. */
export function preferredHostKeyAlgorithms(knownHosts: KnownHosts, name: string): string[] {
  const out: string[] = [];
  for (const e of knownHosts.keysFor(name)) {
    for (const a of ALGORITHMS_OF[e.keyType] ?? []) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/**
 * A synchronous ssh2 hostVerifier for `name` (a knownHostsName). A refusal is handed to
 * `onProblem` before ssh2 turns it into its generic "Host denied" error.
 */
export function hostVerifier(
  policy: HostKeyPolicy,
  name: string,
  onProblem: (p: HostKeyProblem) => void,
): (key: Buffer) => boolean {
  return (key) => {
    if (policy.insecure) return true;
    const verdict = policy.knownHosts.check(name, key);
    switch (verdict.status) {
      case 'known':
        return true;
      case 'revoked':
        onProblem({ kind: 'revoked', key, entry: verdict.entry });
        return false;
      case 'changed':
        onProblem({ kind: 'changed', key, entries: verdict.entries });
        return false;
      case 'unknown': {
        const certAuthorities = policy.knownHosts.certAuthoritiesFor(name);
        for (const ca of certAuthorities) {
          policy.warn(
            `${policy.display(ca.file)} line ${ca.line}: @cert-authority ignored for ${name}: ` +
              'np-doctor (ssh2) cannot verify host certificates; add the host key itself to known_hosts',
          );
        }
        onProblem({ kind: 'unknown', key, otherKeys: verdict.otherKeys, certAuthorities });
        return false;
      }
    }
  };
}

/** The file where sshd keeps a host key of this type, for checking a fingerprint on the node. */
function hostKeyFileOnNode(keyType: string | undefined): string {
  if (keyType === 'ssh-ed25519') return '/etc/ssh/ssh_host_ed25519_key.pub';
  if (keyType?.startsWith('ecdsa-') === true) return '/etc/ssh/ssh_host_ecdsa_key.pub';
  if (keyType === 'ssh-rsa') return '/etc/ssh/ssh_host_rsa_key.pub';
  return '/etc/ssh/ssh_host_*_key.pub';
}

export interface HostKeyContext {
  /** The known_hosts name looked up (`host` or `[host]:port`, or HostKeyAlias). */
  name: string;
  hostName: string;
  port: number;
  /** The known_hosts file the user would add to (shown as written to the user). */
  userFile: string;
  /** Jump hosts in front of this hop (`-J` syntax), when ssh-keyscan from here cannot reach it. */
  via: string | undefined;
  loginUser: string;
  /** The ssh config says StrictHostKeyChecking no for this host, which np-doctor does not follow. */
  configSaysNo: boolean;
}

const where = (e: KnownHostEntry, display: (p: string) => string) => `${display(e.file)} line ${e.line}`;

/** `why` and `hint` for a refused host key. */
export function describeHostKeyProblem(
  p: HostKeyProblem,
  ctx: HostKeyContext,
  display: (path: string) => string,
): { why: string; hint: string } {
  const got = fingerprint(p.key);
  const type = keyTypeOf(p.key) ?? 'unknown-type';
  const check = `check it on the node with "ssh-keygen -lf ${hostKeyFileOnNode(type)}"`;
  switch (p.kind) {
    case 'revoked':
      return {
        why: `the ${type} host key ${got} presented by ${ctx.name} is marked @revoked in ${where(p.entry, display)}`,
        hint: 'np-doctor will never accept a revoked key; the node needs a new host key',
      };
    case 'changed': {
      const lines = p.entries.map((e) => `${fingerprint(e.key)} (${where(e, display)})`).join(', ');
      const firstFile = p.entries[0]?.file ?? ctx.userFile;
      return {
        why:
          `HOST KEY CHANGED for ${ctx.name}: known_hosts expects ${type} key ${lines}, but the server ` +
          `presented ${got}. Someone may be intercepting the connection, or the node was reinstalled`,
        hint:
          `if the node was rebuilt, ${check}, then remove the old entry with ` +
          `"ssh-keygen -R '${ctx.name}' -f ${display(firstFile)}" and add the new key; np-doctor will not connect until then`,
      };
    }
    case 'unknown': {
      const parts = [`${ctx.name} is not in known_hosts; it presented ${type} key ${got}`];
      if (p.otherKeys.length > 0) {
        parts.push(
          `known_hosts has only keys of other types for it (${p.otherKeys
            .map((e) => `${e.keyType} at ${where(e, display)}`)
            .join(', ')}) and the server did not offer those`,
        );
      }
      if (p.certAuthorities.length > 0) {
        parts.push('a @cert-authority line covers it, but np-doctor cannot verify host certificates');
      }
      const add =
        ctx.name !== ctx.hostName.toLowerCase() && ctx.name !== `[${ctx.hostName.toLowerCase()}]:${ctx.port}`
          ? `add "${ctx.name} ${type} <key>" to ${ctx.userFile}`
          : ctx.via === undefined
            ? `run "ssh-keyscan -p ${ctx.port} ${ctx.hostName} >> ${ctx.userFile}"`
            : `log in once with "ssh -J ${ctx.via} -p ${ctx.port} ${ctx.loginUser}@${ctx.hostName}" and accept the key`;
      const skip = ctx.configSaysNo
        ? ' (your ssh config says StrictHostKeyChecking no for this host; np-doctor does not follow that)'
        : '';
      return {
        why: parts.join('; '),
        hint: `${check}; if it matches, ${add}; or pass --ssh-insecure-skip-host-key-check to accept any key${skip}`,
      };
    }
  }
}
