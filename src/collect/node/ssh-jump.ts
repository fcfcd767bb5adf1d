/**
 * Jump host lists as `ssh -J` and ProxyJump take them: comma-separated hops, each
 * `[user@]host[:port]` or `ssh://[user@]host[:port]`, an IPv6 host in brackets when it has a
 * port, and `none` for no jump at all. Hops are connected in the order written.
 */

export interface JumpHop {
  /** Written in the hop itself; otherwise the ssh config's User for that host, else the local user. */
  user: string | undefined;
  host: string;
  port: number | undefined;
}

export class JumpSpecError extends Error {
  constructor(spec: string, problem: string) {
    super(`jump host list "${spec}": ${problem}`);
    this.name = 'JumpSpecError';
  }
}

function parseHop(text: string, spec: string): JumpHop {
  let s = text.trim();
  if (s.startsWith('ssh://')) s = s.slice('ssh://'.length).replace(/\/$/, '');
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  if (user === '') throw new JumpSpecError(spec, `empty user in "${text}"`);
  s = s.slice(at + 1);
  let host = s;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracketed !== null) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if (s.indexOf(':') === s.lastIndexOf(':') && s.includes(':')) {
    // One colon: host:port. Several colons without brackets: a bare IPv6 address.
    [host, portText] = s.split(':') as [string, string];
  }
  if (host === '' || /\s/.test(host)) throw new JumpSpecError(spec, `no host in "${text}"`);
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new JumpSpecError(spec, `"${portText}" in "${text}" is not a port number`);
    }
  }
  return { user, host, port };
}

/** Parses a jump list; `none` and the empty string mean no jump. */
export function parseJumpList(spec: string): JumpHop[] {
  const t = spec.trim();
  if (t === '' || t.toLowerCase() === 'none') return [];
  return t.split(',').map((hop) => parseHop(hop, spec));
}
