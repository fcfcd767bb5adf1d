/**
 * Turns what ssh2 and the socket report into words an on-call engineer can act on. ssh2 tags its
 * errors with `level` ('client-socket', 'client-timeout', 'client-dns', 'client-authentication',
 * 'protocol', 'handshake', 'agent'); socket errors keep Node's errno `code`. Anything the server
 * said (a disconnect reason, its algorithm lists) is kept as data and cut to size.
 */
import { boundMessage } from '../untrusted-text.js';
import { NEGOTIATED } from './ssh-algorithms.js';

export interface Failure {
  what: string;
  why: string;
  hint?: string | undefined;
}

/** A hop that could not be reached or used; the shell adds the node name. */
export class HopError extends Error implements Failure {
  constructor(
    readonly what: string,
    readonly why: string,
    readonly hint?: string,
  ) {
    super(`${what}: ${why}`);
    this.name = 'HopError';
  }
}

export type Ssh2Error = Error & { level?: string; code?: string | number; reason?: number | string };

export interface ConnectContext {
  host: string;
  /** `host:port`, IPv6 in brackets. */
  endpoint: string;
  timeoutMs: number;
  /** TCP (or the tunnel) was up before the failure. */
  transportUp: boolean;
  /** ssh2's `Handshake: (remote) …` debug lines: the algorithms the server offered. */
  offers?: readonly string[];
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

const PORT_HINT = 'is sshd running on the node, and is the port right? Set it with --ssh-port or Port in ~/.ssh/config';
const JUMP_HINT = 'if nodes are only reachable through a bastion, use --ssh-jump or ProxyJump in ~/.ssh/config';

/** `why`/`hint` for a failure to reach or talk to an SSH server (not host key, not login). */
export function describeConnectError(err: Ssh2Error, ctx: ConnectContext): Omit<Failure, 'what'> {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const msg = boundMessage(err.message, 512);
  if (code === 'ECONNREFUSED') {
    return {
      why: `connection refused: nothing listens on ${ctx.endpoint}`,
      hint: PORT_HINT,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || err.level === 'client-dns') {
    return {
      why: `cannot resolve the name "${ctx.host}" (DNS ${code ?? 'lookup failed'})`,
      hint: 'give the node a HostName in ~/.ssh/config, or make sure the Node object has an InternalIP',
    };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return {
      why: `${code === 'EHOSTUNREACH' ? 'no route to host' : 'network unreachable'}: ${ctx.endpoint} cannot be reached from this machine`,
      hint: JUMP_HINT,
    };
  }
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT') {
    if (!ctx.transportUp) {
      return {
        why: `no answer from ${ctx.endpoint} within ${seconds(ctx.timeoutMs)}`,
        hint: `the node is down, the address is wrong, or a firewall drops SSH; ${JUMP_HINT}`,
      };
    }
    return {
      why: `connected to ${ctx.endpoint}, but the SSH handshake and login did not finish within ${seconds(ctx.timeoutMs)}`,
      hint: 'the server or the link is very slow; a longer ConnectTimeout (seconds) in ~/.ssh/config may help',
    };
  }
  if (code === 'ECONNRESET' || /before handshake|Connection lost/i.test(msg)) {
    return {
      why: `${ctx.endpoint} closed the connection before the SSH handshake`,
      hint: 'is this port an SSH server? sshd may also turn connections away (MaxStartups, TCP wrappers, fail2ban)',
    };
  }
  if (err.level === 'handshake' || err.level === 'protocol') {
    const n = NEGOTIATED.find((x) => x.match.test(msg));
    if (n !== undefined) {
      const offered = ctx.offers?.map((l) => n.remote.exec(l)?.[1]).find((v) => v !== undefined);
      return {
        why:
          `${ctx.endpoint} offers only ${n.what} algorithms np-doctor does not accept` +
          (offered !== undefined ? ` (${boundMessage(offered, 512)})` : '') +
          ': np-doctor refuses SHA-1 signatures, MACs and key exchange, and CBC and RC4 ciphers',
        hint: `np-doctor accepts ${n.accepted().join(', ')}; enable one in the node's sshd_config (${n.directive}); "sshd -T" on the node lists what it offers`,
      };
    }
    return { why: `the SSH handshake with ${ctx.endpoint} failed: ${msg}` };
  }
  return { why: msg };
}

/** `why`/`hint` when a jump host could not open the tunnel to the next hop (forwardOut refused). */
export function describeTunnelError(err: Ssh2Error, jump: string, target: string): Omit<Failure, 'what'> {
  // SSH channel-open failure reason 1 is "administratively prohibited": sshd's AllowTcpForwarding
  // or PermitOpen said no. Reason 2 ("connect failed") carries the jump host's own errno text.
  // The jump host's own words: data, cut to size.
  const detail = boundMessage(err.message.replace(/^\(SSH\) Channel open failure: /, ''), 512);
  if (err.reason === 1) {
    return {
      why: `jump host ${jump} refused to forward to ${target} (${detail})`,
      hint: `the jump host's sshd must allow TCP forwarding (AllowTcpForwarding yes, PermitOpen) for ${target}`,
    };
  }
  if (/refused/i.test(detail)) {
    return {
      why: `jump host ${jump} reached ${target}, but the connection was refused: nothing listens there`,
      hint: PORT_HINT,
    };
  }
  if (/name|resolve|getaddrinfo/i.test(detail)) {
    return {
      why: `jump host ${jump} cannot resolve the name in ${target} (${detail})`,
      hint: 'give the node a HostName in ~/.ssh/config that the jump host can resolve',
    };
  }
  if (err.reason === 2) {
    // CONNECT_FAILED; OpenSSH often says only "open failed" (e.g. no route from the jump host).
    return {
      why: `jump host ${jump} could not open a connection to ${target} (${detail})`,
      hint: `can ${jump} reach that address? It may have no route there, or the address is not the node's`,
    };
  }
  return { why: `jump host ${jump} could not connect to ${target}: ${detail}` };
}
