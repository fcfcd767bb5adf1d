/**
 * SshShell: NodeShell over SSH (ssh2), behaving like `ssh` with the user's ~/.ssh/config.
 *
 * Which host: when a Host block of the ssh config names the node's Kubernetes name (not just
 * `Host *`), the config maps the name (HostName, User, Port, IdentityFile, ProxyJump) exactly as
 * `ssh NODE-NAME` would, DNS included when there is no HostName. Otherwise np-doctor connects to
 * the node's address (InternalIP) and still applies the blocks that match that address.
 * Command-line options beat the config; the default user is the config's, else the local user.
 *
 * Jump hosts (`jump`, or ProxyJump): each hop is resolved through the ssh config too (its own
 * HostName, User, Port, IdentityFile; the first hop's own ProxyJump is followed), reached through
 * the previous hop with forwardOut, and its host key verified like the node's. `keyFile` is
 * offered to every hop; `user` and `port` apply to the node only, as with `ssh -J`.
 *
 * Nothing from the ssh config is ever executed: Match exec is off, ProxyCommand is reported and
 * ignored, StrictHostKeyChecking is not followed (skipping the check needs the explicit option).
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { stopReason } from '../deadline.js';
import type { NodeSession, NodeShell, NodeTarget } from './shell.js';
import { NodeAccessError } from './shell.js';
import { knownHostsName, loadKnownHosts, type KnownHosts } from './known-hosts.js';
import { KeyFileError, loadKey, planAuth, type AuthPlan, type LoadedKey } from './ssh-auth.js';
import { SshConfig, SshConfigError, loadSshConfig, type HostSettings } from './ssh-config.js';
import { connectLink, openTunnel, type HopDescription, type SshLink } from './ssh-connect.js';
import { HopError } from './ssh-errors.js';
import { JumpSpecError, parseJumpList, type JumpHop } from './ssh-jump.js';
import { SshSession } from './ssh-session.js';
import { DEFAULT_OUTPUT_LIMIT_BYTES } from './bounded-output.js';

export interface SshShellOptions {
  /** Login user for the node (--ssh-user); beats the config's User. */
  user?: string | undefined;
  /** Private key file (--ssh-key), tried after ssh-agent and before IdentityFile entries. */
  keyFile?: string | undefined;
  /** Node SSH port (--ssh-port); beats the config's Port. */
  port?: number | undefined;
  /** ssh config; default ~/.ssh/config, which may be missing. An explicit file must exist. */
  configFile?: string | undefined;
  /**
   * known_hosts files, replacing the defaults: ~/.ssh/known_hosts, ~/.ssh/known_hosts2,
   * /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2, plus UserKnownHostsFile from the config.
   */
  knownHostsFiles?: readonly string[] | undefined;
  /** Jump hosts like `ssh -J`: `[user@]host[:port]`, comma-separated; beats the config's ProxyJump. */
  jump?: string | undefined;
  /** Accept any host key (--ssh-insecure-skip-host-key-check). */
  insecureSkipHostKeyCheck?: boolean | undefined;
  /** Per hop: TCP, handshake and login (default 10 s, or the config's ConnectTimeout). */
  connectTimeoutMs?: number | undefined;
  /** Per command (default 30 s). */
  commandTimeoutMs?: number | undefined;
  /** ssh-agent socket; default env.SSH_AUTH_SOCK. An empty string disables the agent. */
  agentSocket?: string | undefined;
  /** Home directory (for ~, ~/.ssh/*); default os.homedir(). */
  homeDir?: string | undefined;
  /** Local user name (default login user, %u); default os.userInfo().username. */
  localUser?: string | undefined;
  /** Environment for defaults (SSH_AUTH_SOCK, USER); default process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Non-fatal notices (ignored @cert-authority lines, ProxyCommand, bad known_hosts lines). */
  onWarning?: ((message: string) => void) | undefined;
  /** Commands run at once over one node's connection (default 4; sshd allows 10 sessions). */
  maxChannelsPerNode?: number | undefined;
  /** Per stream of each command; past it the command is stopped and its result marked truncated (default 64 MiB). */
  outputLimitBytes?: number | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const MAX_JUMP_DEPTH = 8;

/** One connection to make, in order: jump hosts first, the node last. */
interface Hop {
  settings: HostSettings;
  endpoint: string;
  describe: HopDescription;
  timeoutMs: number;
}

const endpointOf = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export class SshShell implements NodeShell {
  readonly method = 'ssh' as const;
  readonly #o: SshShellOptions;
  readonly #home: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #warned = new Set<string>();
  #config: Promise<SshConfig> | undefined;
  readonly #keys = new Map<string, Promise<LoadedKey>>();
  readonly #knownHosts = new Map<string, Promise<KnownHosts>>();

  constructor(options: SshShellOptions = {}) {
    this.#o = options;
    this.#home = options.homeDir ?? homedir();
    this.#env = options.env ?? process.env;
  }

  #warn(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#o.onWarning?.(message);
  }

  /** A path as the user would write it (`~/.ssh/known_hosts`). */
  #display = (path: string): string => (path.startsWith(`${this.#home}/`) ? `~${path.slice(this.#home.length)}` : path);

  #localUser(): string {
    if (this.#o.localUser !== undefined) return this.#o.localUser;
    try {
      return userInfo().username;
    } catch {
      // No passwd entry for our uid (some containers).
      const u = this.#env.USER ?? this.#env.LOGNAME;
      if (u !== undefined && u !== '') return u;
      throw new HopError('choose the SSH user', 'this process has no user name (no passwd entry, no USER)', 'pass --ssh-user, or set User in ~/.ssh/config');
    }
  }

  #loadConfig(): Promise<SshConfig> {
    const explicit = this.#o.configFile;
    this.#config ??= loadSshConfig(explicit ?? join(this.#home, '.ssh', 'config'), {
      homeDir: this.#home,
      required: explicit !== undefined,
    });
    return this.#config;
  }

  #loadKey = (path: string): Promise<LoadedKey> => {
    let p = this.#keys.get(path);
    if (p === undefined) {
      p = loadKey(path);
      this.#keys.set(path, p);
    }
    return p;
  };

  #knownHostsFor(s: HostSettings): Promise<KnownHosts> {
    const files = this.#o.knownHostsFiles ?? [
      join(this.#home, '.ssh', 'known_hosts'),
      join(this.#home, '.ssh', 'known_hosts2'),
      '/etc/ssh/ssh_known_hosts',
      '/etc/ssh/ssh_known_hosts2',
      ...s.userKnownHostsFiles,
    ];
    const key = files.join('\0');
    let p = this.#knownHosts.get(key);
    if (p === undefined) {
      p = loadKnownHosts(files).then(({ knownHosts, problems }) => {
        for (const pr of problems) this.#warn(`${this.#display(pr.file)}${pr.line > 0 ? ` line ${pr.line}` : ''}: ${pr.problem} (skipped)`);
        return knownHosts;
      });
      this.#knownHosts.set(key, p);
    }
    return p;
  }

  /** The node's settings, then its jump hosts (first hop first), all from config and options. */
  #route(config: SshConfig, node: NodeTarget): { target: HostSettings; jumps: HostSettings[] } {
    const localUser = this.#localUser();
    const base = { homeDir: this.#home, localUser };
    const byName = config.mapsHost(node.name) || node.address === undefined || node.address === '';
    const alias = byName ? node.name : (node.address as string);
    const target = config.resolve(alias, { ...base, user: this.#o.user, port: this.#o.port });
    const resolveHops = (hops: JumpHop[], depth: number): HostSettings[] => {
      if (depth > MAX_JUMP_DEPTH) throw new SshConfigError(config.source, `ProxyJump chains more than ${MAX_JUMP_DEPTH} deep (a loop?)`);
      const settings = hops.map((h) => config.resolve(h.host, { ...base, user: h.user, port: h.port }));
      const firstHop = settings[0];
      // The first hop is reached like `ssh FIRST`, so its own ProxyJump applies (recursively).
      if (firstHop?.proxyJump !== undefined) return [...resolveHops(parseJumpList(firstHop.proxyJump), depth + 1), ...settings];
      return settings;
    };
    const jumpSpec = this.#o.jump ?? target.proxyJump;
    const jumps = jumpSpec === undefined ? [] : resolveHops(parseJumpList(jumpSpec), 0);
    // Only the first connection is made directly; later hops go through the tunnel anyway.
    const direct = jumps[0] ?? target;
    if (direct.proxyCommand !== undefined && direct.proxyJump === undefined) {
      this.#warn(`ssh config sets ProxyCommand for ${direct.alias}; np-doctor never runs it and connects directly (use ProxyJump or --ssh-jump)`);
    }
    return { target, jumps };
  }

  /** The known_hosts file a remedy should name. */
  #userKnownHostsFile(s: HostSettings): string {
    return this.#o.knownHostsFiles?.[0] ?? s.userKnownHostsFiles[0] ?? join(this.#home, '.ssh', 'known_hosts');
  }

  #hops(target: HostSettings, jumps: HostSettings[]): Hop[] {
    const all = [...jumps, target];
    return all.map((s, i) => {
      const endpoint = endpointOf(s.hostName, s.port);
      const name = s.hostKeyAlias ?? knownHostsName(s.hostName, s.port);
      const hostKey = {
        name,
        hostName: s.hostName,
        port: s.port,
        userFile: this.#display(this.#userKnownHostsFile(s)),
        via: i === 0 ? undefined : all.slice(0, i).map((h) => `${h.user}@${endpointOf(h.hostName, h.port)}`).join(','),
        loginUser: s.user,
        configSaysNo: s.strictHostKeyChecking?.toLowerCase() === 'no',
      };
      let describe: HopDescription;
      if (i < jumps.length) {
        const label = `jump host ${s.alias === s.hostName ? endpoint : `${s.alias} (${endpoint})`}, hop ${i + 1} of ${jumps.length}`;
        describe = {
          connectWhat: `connect to ${label}`,
          loginWhat: `authenticate as ${s.user}@${s.hostName} (${label})`,
          hostKeyWhat: `verify the host key of ${label}`,
          hostKey,
        };
      } else {
        const through = i === 0 ? '' : ` through jump host ${all[i - 1]?.alias ?? ''}`;
        describe = {
          connectWhat: `connect to ${endpoint}${through}`,
          loginWhat: `authenticate as ${s.user}@${s.hostName}${s.port === 22 ? '' : ` (port ${s.port})`}`,
          hostKeyWhat: `verify the host key of ${endpoint}`,
          hostKey,
        };
      }
      const timeoutMs = this.#o.connectTimeoutMs ?? s.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      return { settings: s, endpoint, describe, timeoutMs };
    });
  }

  #authFor(s: HostSettings): Promise<AuthPlan> {
    const agent = this.#o.agentSocket ?? this.#env.SSH_AUTH_SOCK;
    return planAuth(
      {
        agentSocket: agent === '' ? undefined : agent,
        keyFile: this.#o.keyFile,
        identityFiles: s.identityFiles,
        identitiesOnly: s.identitiesOnly,
        defaultKeys: ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(this.#home, '.ssh', f)),
        display: this.#display,
      },
      this.#loadKey,
    );
  }

  async open(node: NodeTarget, signal?: AbortSignal): Promise<NodeSession> {
    const interrupted = () => new NodeAccessError(node.name, 'open an SSH session', stopReason(signal));
    // A function, so the check is not narrowed away after the first one.
    const aborted = () => signal?.aborted === true;
    if (aborted()) throw interrupted();
    let hops: Hop[];
    try {
      const config = await this.#loadConfig();
      const { target, jumps } = this.#route(config, node);
      hops = this.#hops(target, jumps);
    } catch (e) {
      if (e instanceof SshConfigError) throw new NodeAccessError(node.name, 'read the ssh config', e.message);
      if (e instanceof JumpSpecError) throw new NodeAccessError(node.name, 'read the jump host list', e.message, 'write it like ssh -J: [user@]host[:port][,…]');
      if (e instanceof HopError) throw new NodeAccessError(node.name, e.what, e.why, e.hint);
      throw e;
    }
    if (this.#o.insecureSkipHostKeyCheck === true) {
      this.#warn('host keys are not verified (--ssh-insecure-skip-host-key-check): anyone on the path could pose as a node');
    }

    const links: SshLink[] = [];
    try {
      for (const [i, hop] of hops.entries()) {
        const s = hop.settings;
        let auth: AuthPlan;
        try {
          auth = await this.#authFor(s);
        } catch (e) {
          if (e instanceof KeyFileError) throw new HopError('read the SSH key', e.message);
          throw e;
        }
        const knownHosts = await this.#knownHostsFor(s);
        const prev = links[i - 1];
        const sock =
          prev === undefined
            ? undefined
            : await openTunnel(prev, hops[i - 1]?.settings.alias ?? '', s.hostName, s.port, hop.endpoint, hop.timeoutMs, signal);
        links.push(
          await connectLink({
            host: s.hostName,
            port: s.port,
            user: s.user,
            endpoint: hop.endpoint,
            describe: hop.describe,
            sock,
            auth,
            policy: {
              insecure: this.#o.insecureSkipHostKeyCheck === true,
              knownHosts,
              warn: (m) => this.#warn(m),
              display: this.#display,
            },
            timeoutMs: hop.timeoutMs,
            signal,
          }),
        );
      }
    } catch (e) {
      // Tear down what is up, node side first.
      for (const l of links.reverse()) l.destroy();
      if (aborted()) throw interrupted();
      if (e instanceof HopError) throw new NodeAccessError(node.name, e.what, e.why, e.hint);
      throw e;
    }

    const target = links[links.length - 1] as SshLink;
    const t = hops[hops.length - 1] as Hop;
    return new SshSession(target, links.slice(0, -1), {
      node: node.name,
      user: t.settings.user,
      endpoint: `${t.settings.user}@${t.endpoint}`,
      commandTimeoutMs: this.#o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      maxChannels: this.#o.maxChannelsPerNode ?? 4,
      outputLimitBytes: this.#o.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES,
    });
  }
}
