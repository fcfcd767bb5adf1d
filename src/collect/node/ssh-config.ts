/**
 * The user's ssh config (ssh_config(5)), resolved for one host the way `ssh HOST` would: first
 * obtained value wins, IdentityFile accumulates, command-line flags beat the file. Parsing and
 * Host/Match evaluation are ssh-config's; this file adds what it leaves out: Include, tokens
 * (`%h %p %r %u %d %n %%` and `~`), ports, and never running anything (Match exec is off and
 * CanonicalizeHostName, which would make it spawn nslookup, is dropped).
 *
 * Not supported: Match blocks for deciding whether the config maps a node name (Host only), and
 * an Include inside a Host block whose file starts new Host blocks (it is inlined in place).
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig, { type Line } from 'ssh-config';
import { matchPattern, matchPatternList } from './ssh-pattern.js';

/** Everything np-doctor uses from the config for one host, flags already applied. */
export interface HostSettings {
  /** The name looked up (node name, node address, or jump host as written). */
  alias: string;
  /** Where to connect (HostName, tokens expanded, else the alias). */
  hostName: string;
  port: number;
  user: string;
  /** IdentityFile entries, expanded, in config order. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** ProxyJump value as written (`none` is returned as undefined). */
  proxyJump: string | undefined;
  /** ProxyCommand, reported only: np-doctor never runs commands from the config. */
  proxyCommand: string | undefined;
  hostKeyAlias: string | undefined;
  userKnownHostsFiles: string[];
  connectTimeoutMs: number | undefined;
  /** StrictHostKeyChecking as written; np-doctor does not follow it, but says so in hints. */
  strictHostKeyChecking: string | undefined;
}

export interface ResolveOptions {
  homeDir: string;
  localUser: string;
  /** Command-line values: they win over the file. */
  user?: string | undefined;
  port?: number | undefined;
}

export class SshConfigError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'SshConfigError';
  }
}

const MAX_INCLUDE_DEPTH = 16;

function valueList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function first(v: string | string[] | undefined): string | undefined {
  return valueList(v)[0];
}

/** Host-line patterns of a parsed line, or undefined for anything that is not a `Host` block. */
function hostPatterns(line: Line): string[] | undefined {
  if (line.type !== SSHConfig.DIRECTIVE || !/^host$/i.test(line.param)) return undefined;
  const v = line.value;
  return typeof v === 'string' ? v.split(/[\s,]+/) : v.flatMap((x) => x.val.split(','));
}

/**
 * Prepares a parsed config for compute(): drops CanonicalizeHostName everywhere (with
 * CanonicalDomains it makes ssh-config spawn nslookup), and lowercases Host patterns, because
 * OpenSSH matches them against the lowercased host name while ssh-config compares them as written.
 */
function normalize(config: SSHConfig): void {
  for (let i = config.length - 1; i >= 0; i--) {
    const line = config[i];
    if (line === undefined || line.type !== SSHConfig.DIRECTIVE) continue;
    if (/^canonicalizehostname$/i.test(line.param)) {
      config.splice(i, 1);
      continue;
    }
    if (/^host$/i.test(line.param)) {
      line.value = typeof line.value === 'string' ? line.value.toLowerCase() : line.value.map((v) => ({ ...v, val: v.val.toLowerCase() }));
    }
    if ('config' in line) normalize(line.config);
  }
}

/**
 * Expands ssh_config tokens. `~` at the start is the home directory; unknown `%x` is an error,
 * as in OpenSSH, so a typo never becomes a silently wrong path.
 */
export function expandTokens(text: string, tokens: Readonly<Record<string, string>>, what: string): string {
  let s = text;
  if (s === '~' || s.startsWith('~/')) s = (tokens.d ?? '~') + s.slice(1);
  return s.replace(/%(.)/g, (whole, c: string) => {
    if (c === '%') return '%';
    const v = tokens[c];
    if (v === undefined) throw new SshConfigError(what, `unknown token ${whole} in "${text}"`);
    return v;
  });
}

function parsePort(text: string, source: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new SshConfigError(source, `Port "${text}" is not a port number`);
  return n;
}

export class SshConfig {
  private constructor(
    private readonly config: SSHConfig,
    /** Where it came from, for messages. */
    readonly source: string,
  ) {}

  static empty(): SshConfig {
    return new SshConfig(SSHConfig.parse(''), '(no ssh config)');
  }

  /** Parses config text that needs no Include expansion (tests, or after loadSshConfig). */
  static parse(text: string, source: string): SshConfig {
    let config: SSHConfig;
    try {
      config = SSHConfig.parse(text);
    } catch (e) {
      throw new SshConfigError(source, (e as Error).message);
    }
    normalize(config);
    return new SshConfig(config, source);
  }

  /**
   * Whether a Host block names `host` itself, not only through a catch-all: some positive pattern
   * other than a bare `*` matches, and no negated pattern of that line does.
   */
  mapsHost(host: string): boolean {
    return this.config.some((line) => {
      const patterns = hostPatterns(line);
      if (patterns === undefined || !matchPatternList(host, patterns)) return false;
      return patterns.some((p) => p !== '*' && !p.startsWith('!') && matchPattern(host, p));
    });
  }

  /** What `ssh [-l user] [-p port] host` would use. */
  resolve(alias: string, opts: ResolveOptions): HostSettings {
    const host = alias.toLowerCase();
    let c: Record<string, string | string[]>;
    try {
      c = this.config.compute(
        opts.user !== undefined ? { Host: host, User: opts.user } : { Host: host },
        { ignoreCase: true, matchExec: false },
      );
    } catch (e) {
      throw new SshConfigError(this.source, (e as Error).message);
    }
    const src = `${this.source} (Host ${alias})`;
    const configPort = first(c.port);
    const port = opts.port ?? (configPort !== undefined ? parsePort(configPort, src) : 22);
    const user = opts.user ?? first(c.user) ?? opts.localUser;
    const base = { '%': '%', u: opts.localUser, d: opts.homeDir, n: alias, r: user, p: String(port) };
    const hostName = expandTokens(first(c.hostname) ?? alias, { ...base, h: alias }, src);
    const tokens = { ...base, h: hostName };
    const expand = (v: string) => expandTokens(v, tokens, src);
    const none = (v: string | undefined) => (v === undefined || v.toLowerCase() === 'none' ? undefined : v);
    const timeout = first(c.connecttimeout);
    const timeoutS = timeout !== undefined ? Number(timeout) : undefined;
    if (timeoutS !== undefined && !(timeoutS > 0)) throw new SshConfigError(src, `ConnectTimeout "${timeout}" is not a number of seconds`);
    return {
      alias,
      hostName,
      port,
      user,
      identityFiles: valueList(c.identityfile).filter((f) => f.toLowerCase() !== 'none').map(expand),
      identitiesOnly: first(c.identitiesonly)?.toLowerCase() === 'yes',
      proxyJump: none(first(c.proxyjump)),
      proxyCommand: none(first(c.proxycommand)),
      hostKeyAlias: first(c.hostkeyalias),
      userKnownHostsFiles: valueList(c.userknownhostsfile)
        .flatMap((v) => v.split(/\s+/))
        .filter((f) => f !== '' && f.toLowerCase() !== 'none')
        .map(expand),
      connectTimeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
      strictHostKeyChecking: first(c.stricthostkeychecking),
    };
  }
}

/** Files an Include argument names: `~` and relative paths as OpenSSH reads them; `*`/`?` in the last part. */
async function includeTargets(arg: string, homeDir: string): Promise<string[]> {
  let p = arg === '~' || arg.startsWith('~/') ? homeDir + arg.slice(1) : arg;
  // A relative Include in a user config is relative to ~/.ssh.
  if (!isAbsolute(p)) p = join(homeDir, '.ssh', p);
  const name = basename(p);
  if (!/[*?]/.test(name)) return [p];
  let names: string[];
  try {
    names = await readdir(dirname(p));
  } catch {
    return [];
  }
  return names.filter((n) => matchPattern(n, name) && !n.startsWith('.')).sort().map((n) => join(dirname(p), n));
}

async function readExpanded(file: string, homeDir: string, depth: number): Promise<string> {
  if (depth > MAX_INCLUDE_DEPTH) throw new SshConfigError(file, `Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
  const text = await readFile(file, 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*include(?:\s*=\s*|\s+)(.*)$/i.exec(line);
    if (m === null) {
      out.push(line);
      continue;
    }
    // Include arguments are space-separated; quoted names are rare in practice.
    for (const arg of (m[1] ?? '').trim().split(/\s+/).filter((a) => a !== '')) {
      for (const target of await includeTargets(arg.replace(/^"(.*)"$/, '$1'), homeDir)) {
        try {
          out.push(await readExpanded(target, homeDir, depth + 1));
        } catch (e) {
          // OpenSSH ignores Include targets that do not exist.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
  }
  return out.join('\n');
}

/**
 * Reads an ssh config with its Includes. A missing file is an empty config unless `required`
 * (the user named it explicitly).
 */
export async function loadSshConfig(file: string, opts: { homeDir: string; required: boolean }): Promise<SshConfig> {
  let text: string;
  try {
    text = await readExpanded(file, opts.homeDir, 0);
  } catch (e) {
    if (e instanceof SshConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !opts.required) return SshConfig.empty();
    throw new SshConfigError(file, code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  return SshConfig.parse(text, file);
}
