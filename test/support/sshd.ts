/**
 * Debian's real OpenSSH server for tests, started inside a lab namespace:
 * `ip netns exec NS /usr/sbin/sshd -D -e -f <generated sshd_config>`, with a fresh host key
 * (ed25519 unless asked otherwise), public-key login only, and everything (config, keys, pid file)
 * in one temp directory that stop() removes. Extra sshd_config lines make servers that offer only
 * chosen algorithms (e.g. `HostKeyAlgorithms ssh-rsa`, `MACs hmac-sha1`).
 *
 * sshd facts this relies on: it must be started by absolute path (it re-executes itself); its
 * privilege separation needs /run/sshd; with -e it logs to stderr, including
 * "Server listening on ADDRESS port PORT." once a port is bound; the per-connection processes it
 * forks outlive the listener until their client disconnects (deleting the namespace kills them).
 *
 * Extra users, a sudoers policy and bind mounts: `ip netns exec` gives the command its own mount
 * namespace, so a bind mount made there (a passwd file with test users, a private /etc/sudoers for
 * Debian's real sudo, a directory of tools) is seen by this sshd and its sessions only, never by
 * the rest of the machine.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { start, stop } from '../kernel/lab/exec.js';

const exec = promisify(execFile);

export interface LabUser {
  name: string;
  uid: number;
}

export interface SshdOptions {
  /** Network namespace to run in. */
  ns: string;
  address: string;
  /** Default [22]. */
  ports?: readonly number[];
  /** Public key lines (`ssh-ed25519 AAAA… comment`) that may log in, as any user. */
  authorizedKeys: readonly string[];
  /** Needed for a jump host (forwardOut); default false. */
  allowTcpForwarding?: boolean;
  /** Users that exist for this sshd only (added to a private copy of /etc/passwd). */
  users?: readonly LabUser[];
  /**
   * The /etc/sudoers that this sshd's sessions see (the real sudo reads it; the machine's own file
   * is untouched). Written root-owned with mode 0440, since sudo refuses a sudoers file that others
   * may write, and checked with `visudo -c` first.
   */
  sudoers?: string;
  /** Bind mounts seen by this sshd and its sessions only; `target` must exist. */
  binds?: readonly { source: string; target: string }[];
  /** The host key's type; default ed25519. */
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** sshd_config lines added at the end (sshd takes the first value of most keywords, so only new keywords). */
  config?: readonly string[];
}

export interface Sshd {
  /** The listening sshd (sessions run in child processes of it). */
  pid: number;
  address: string;
  ports: readonly number[];
  /** Temp directory of this server (0755: test users must read authorized_keys in it). */
  dir: string;
  /** The host public key line, `ssh-ed25519 AAAA…` (or its type's), as a known_hosts line needs it (without host). */
  hostKey: string;
  /** SHA256 fingerprint as `ssh-keygen -l` prints it. */
  fingerprint: string;
  authorizedKeysFile: string;
  /** Everything sshd has written to stderr so far (its log). */
  log(): string;
  stop(): Promise<void>;
}

export interface KeyPair {
  privatePath: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicLine: string;
  fingerprint: string;
}

/** `ssh-keygen -l` fingerprint (`SHA256:…`) of a public key file. */
export async function keygenFingerprint(pubPath: string): Promise<string> {
  const { stdout } = await exec('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath]);
  const fp = stdout.split(/\s+/)[1];
  if (fp === undefined) throw new Error(`ssh-keygen -l printed nothing useful for ${pubPath}: ${stdout}`);
  return fp;
}

/** A new key pair from ssh-keygen in `dir` (an empty passphrase unless one is given). */
export async function generateKey(
  dir: string,
  name: string,
  opts: { type?: 'ed25519' | 'ecdsa' | 'rsa'; passphrase?: string } = {},
): Promise<KeyPair> {
  const privatePath = join(dir, name);
  await exec('ssh-keygen', ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', `np-doctor-test-${name}`, '-f', privatePath]);
  const publicLine = (await readFile(`${privatePath}.pub`, 'utf8')).trim();
  return { privatePath, publicLine, fingerprint: await keygenFingerprint(`${privatePath}.pub`) };
}

const hostKeyFile = (dir: string, o: SshdOptions): string => join(dir, `ssh_host_${o.hostKeyType ?? 'ed25519'}_key`);

function sshdConfig(dir: string, o: SshdOptions, ports: readonly number[]): string {
  return [
    ...ports.map((p) => `Port ${p}`),
    `ListenAddress ${o.address}`,
    `HostKey ${hostKeyFile(dir, o)}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp directory and its files belong to root with test modes; StrictModes would refuse them.
    'StrictModes no',
    `AllowTcpForwarding ${o.allowTcpForwarding === true ? 'yes' : 'no'}`,
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 100',
    'LogLevel VERBOSE',
    ...(o.config ?? []),
    '',
  ].join('\n');
}

/**
 * /etc/passwd for the node: the test users added, and root's home moved to an empty directory.
 * bash started by sshd reads ~/.bashrc, and the test machine's root dotfiles are no part of a node:
 * a pyenv init there added ~0.3 s to every remote command, and a session killed with its namespace
 * mid `pyenv rehash` left a lock that stalled every later root session on the machine for a minute.
 */
async function nodePasswd(dir: string, users: readonly LabUser[]): Promise<string> {
  const home = join(dir, 'home');
  const rootHome = join(dir, 'root-home');
  await mkdir(home, { mode: 0o755 });
  await mkdir(rootHome, { mode: 0o700 });
  const passwd = (await readFile('/etc/passwd', 'utf8')).replace(/^root:([^:\n]*):0:0:([^:\n]*):[^:\n]*:/m, (_, pw: string, gecos: string) => `root:${pw}:0:0:${gecos}:${rootHome}:`);
  if (!passwd.includes(`:${rootHome}:`)) throw new Error('/etc/passwd has no root entry to give the lab nodes');
  const extra = users.map((u) => `${u.name}:*:${u.uid}:${u.uid}:np-doctor test:${home}:/bin/sh\n`).join('');
  const file = join(dir, 'passwd');
  await writeFile(file, passwd + extra, { mode: 0o644 });
  return file;
}

// Runs in the sshd's own mount namespace: bind each (source, target) pair, then become sshd.
// Paths arrive as arguments, never inside the script text.
const LAUNCH = 'set -e; while [ "$#" -gt 1 ]; do mount --bind "$1" "$2"; shift 2; done; exec /usr/sbin/sshd -D -e -f "$1"';

export async function startSshd(o: SshdOptions): Promise<Sshd> {
  const ports = o.ports ?? [22];
  const dir = await mkdtemp(join(tmpdir(), 'npd-sshd-'));
  let child: ReturnType<typeof start> | undefined;
  let stderr = '';
  const cleanup = async () => {
    if (child !== undefined) await stop(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o755);
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const keyFile = hostKeyFile(dir, o);
    await exec('ssh-keygen', ['-q', '-t', o.hostKeyType ?? 'ed25519', '-N', '', '-C', 'np-doctor-test-host', '-f', keyFile]);
    const hostKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const fingerprint = await keygenFingerprint(`${keyFile}.pub`);
    const authorizedKeysFile = join(dir, 'authorized_keys');
    await writeFile(authorizedKeysFile, o.authorizedKeys.map((k) => `${k}\n`).join(''), { mode: 0o644 });
    const conf = join(dir, 'sshd_config');
    await writeFile(conf, sshdConfig(dir, o, ports));

    const binds = [...(o.binds ?? [])];
    binds.push({ source: await nodePasswd(dir, o.users ?? []), target: '/etc/passwd' });
    if (o.sudoers !== undefined) {
      const sudoers = join(dir, 'sudoers');
      await writeFile(sudoers, o.sudoers);
      await chmod(sudoers, 0o440);
      try {
        await exec('/usr/sbin/visudo', ['-c', '-q', '-f', sudoers]);
      } catch (e) {
        const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
        throw new Error(`visudo rejects the test sudoers:\n${stdout}${stderr}\n${o.sudoers}`, { cause: e });
      }
      binds.push({ source: sudoers, target: '/etc/sudoers' });
    }
    const args = [...binds.flatMap((b) => [b.source, b.target]), conf];
    child = start('sh', ['-c', LAUNCH, 'sh', ...args], { ns: o.ns });
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr += s;
    });

    const proc = child;
    await new Promise<void>((resolve, reject) => {
      const want = ports.map((p) => `Server listening on ${o.address} port ${p}.`);
      const check = () => {
        if (want.every((w) => stderr.includes(w))) finish(undefined);
      };
      const onExit = () => finish(new Error(`sshd exited before listening:\n${stderr}`));
      // Bounded generously: on a loaded 2-core machine running a control plane, a start can take seconds.
      const timer = setTimeout(() => finish(new Error(`sshd did not listen within 30 s:\n${stderr}`)), 30_000);
      const finish = (e: Error | undefined) => {
        clearTimeout(timer);
        proc.stderr?.off('data', check);
        proc.off('exit', onExit);
        if (e === undefined) resolve();
        else reject(e);
      };
      proc.stderr?.on('data', check);
      proc.once('exit', onExit);
      check();
    });

    return {
      pid: proc.pid ?? -1,
      address: o.address,
      ports,
      dir,
      hostKey,
      fingerprint,
      authorizedKeysFile,
      log: () => stderr,
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
