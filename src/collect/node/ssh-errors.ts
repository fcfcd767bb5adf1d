/**
 * Turns what ssh2 and the socket report into words an on-call engineer can act on. ssh2 tags its
 * errors with `level` ('client-socket', 'client-timeout', 'client-dns', 'client-authentication',
 * 'protocol', 'handshake', 'agent'); socket errors keep Node's errno `code`.
 */

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
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

const PORT_HINT = 'is sshd running on the node, and is the port right? Set it with --ssh-port or Port in ~/.ssh/config';
const JUMP_HINT = 'if nodes are only reachable through a bastion, use --ssh-jump or ProxyJump in ~/.ssh/config';

/** `why`/`hint` for a failure to reach or talk to an SSH server (not host key, not login). */
export function describeConnectError(err: Ssh2Error, ctx: ConnectContext): Omit<Failure, 'what'> {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const msg = err.message;
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
    return {
      why: `the SSH handshake with ${ctx.endpoint} failed: ${msg}`,
      hint: /no matching/i.test(msg) ? 'the server only offers algorithms np-doctor (ssh2) does not support' : undefined,
    };
  }
  return { why: msg };
}

/** `why`/`hint` when a jump host could not open the tunnel to the next hop (forwardOut refused). */
export function describeTunnelError(err: Ssh2Error, jump: string, target: string): Omit<Failure, 'what'> {
  // SSH channel-open failure reason 1 is "administratively prohibited": sshd's AllowTcpForwarding
  // or PermitOpen said no. Reason 2 ("connect failed") carries the jump host's own errno text.
  const detail = err.message.replace(/^\(SSH\) Channel open failure: /, '');
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
