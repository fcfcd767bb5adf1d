/**
 * How np-doctor reached the nodes, as gather errors and command stderr tell it: login users,
 * SSH host aliases and jump hosts, key and known_hosts files, key fingerprints, and the kubeconfig
 * user an RBAC refusal names. For `--redact` these become `user-N`, `ssh-host-N`, `path-N` and
 * `SHA256:fingerprint-N` (numbered in sorted order, like the other pseudonyms).
 *
 * The users and hosts are found through the sentences np-doctor and the API server write
 * (`authenticate as USER@HOST`, sudo's "for USER to run", RBAC's `User "NAME" cannot`, `jump host
 * ALIAS`), then replaced as whole words wherever they appear. Paths are replaced in node errors
 * only, where they are the user's (~/.ssh/…, an agent socket); the generic ones np-doctor names in
 * its advice stay readable.
 */
import { Pseudonyms } from './redact-names.js';

/** Sentences that name a login user, a host alias or a kubeconfig user (group 1). */
const USER_PATTERNS = [
  /\bauthenticate as ([^\s@()"',]+)@/g,
  /\b([A-Za-z0-9._-]+)@(?=[A-Za-z0-9[])/g,
  /\bfor ([^\s"']+) to run "/g,
  /\bdoes not let ([^\s"']+) run "/g,
  /\band ([^\s"']+) is not root\b/g,
  /"([^\s"']+) ALL=\(root\)/g,
  /\bUser "([^"]+)" cannot\b/g,
];
const HOST_PATTERNS = [
  /@([A-Za-z0-9][A-Za-z0-9._-]*)/g,
  /\bjump host ([^\s,()]+)/g,
];
/** Login users every machine has: naming them reveals nothing. */
const GENERIC_USERS = new Set(['root', 'admin', 'ubuntu', 'core', 'ec2-user', 'debian', 'centos', 'system:anonymous']);

const FINGERPRINT = /\bSHA256:[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/])/g;
/** A path a user chose: ~/…, or absolute; at least two components. */
const PATH = /(?<![\w.~/-])(?:~\/[^\s'"(),;]+|\/[^\s'"(),;/]+(?:\/[^\s'"(),;/]+)+)/g;
/** Paths that say nothing about the user: system directories, and the files OpenSSH and sudo always use. */
const GENERIC_PATH = /^(?:\/(?:usr|bin|sbin|lib|lib64|proc|sys|dev)\/.*|~\/\.ssh\/(?:config|known_hosts2?|id_(?:rsa|dsa|ecdsa|ecdsa_sk|ed25519|ed25519_sk))|\/etc\/ssh\/(?:ssh_config|ssh_known_hosts2?)|\/etc\/sudoers(?:\.d)?(?:\/.*)?)$/;
/** Host names np-doctor already renamed, or that are addresses. */
const NOT_A_HOST = /^(?:(?:node|host|ssh-host|svc|pod|ns|obj|sa|context|user|path)-\d+|sha\d+|[\d.]+|[0-9a-fA-F:]+)$/;

/** The rewrite for SSH details in `texts` (every gather error and command stderr, already renamed). */
export function sshDetailsRedactor(texts: readonly string[]): { any: (t: string) => string; nodeError: (t: string) => string } {
  const users = new Pseudonyms();
  const hosts = new Pseudonyms();
  const all = texts.join('\n');
  users.add('user', USER_PATTERNS.flatMap((re) => [...all.matchAll(re)].map((m) => m[1]!)).filter((u) => !GENERIC_USERS.has(u) && !NOT_A_HOST.test(u)));
  hosts.add('ssh-host', HOST_PATTERNS.flatMap((re) => [...all.matchAll(re)].map((m) => m[1]!.replace(/\.$/, ''))).filter((h) => !NOT_A_HOST.test(h)));
  const fingerprints = new Pseudonyms();
  fingerprints.add('fingerprint', [...all.matchAll(FINGERPRINT)].map((m) => m[0]));
  const paths = new Pseudonyms();
  paths.add('path', [...all.matchAll(PATH)].map((m) => m[0]).filter((p) => !GENERIC_PATH.test(p)));

  const renameUsers = users.replacer();
  const renameHosts = hosts.replacer();
  const any = (t: string): string => renameHosts(renameUsers(t.replace(FINGERPRINT, (f) => `SHA256:${fingerprints.get(f) ?? 'fingerprint'}`)));
  return {
    any,
    nodeError: (t) => any(t.replace(PATH, (p) => paths.get(p) ?? p)),
  };
}
