/**
 * One SSH connection (a "link"): to a node, or to a jump host, possibly over a tunnel that the
 * previous jump host opened with forwardOut (ssh2's `sock` option then replaces TCP). Resolves
 * once logged in; rejects with a HopError that says which step failed.
 *
 * ssh2 facts relied on: an unhandled 'error' event would crash the process, so one is always
 * attached; errors at level 'agent' and failed signatures are reported but not fatal (ssh2 goes
 * on with the next key); 'connect' fires when the transport is up (at once for a `sock`);
 * `readyTimeout` covers transport, handshake and login together; its `debug` callback is the only
 * place that shows the algorithms the server offered (`Handshake: (remote) …` lines), which a
 * refused handshake names.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ConnectConfig } from 'ssh2';
import { sshAlgorithms } from './ssh-algorithms.js';
import { authFailureReason, authHandler, type AuthAttempt, type AuthPlan } from './ssh-auth.js';
import { describeConnectError, describeTunnelError, HopError, seconds, type Ssh2Error } from './ssh-errors.js';
import {
  describeHostKeyProblem,
  hostVerifier,
  preferredHostKeyAlgorithms,
  type HostKeyContext,
  type HostKeyPolicy,
  type HostKeyProblem,
} from './ssh-host-verify.js';

const { Client } = ssh2;

/** SSH keepalives find a dead link within about 45 s even while no command is running. */
const KEEPALIVE_MS = 15_000;
const KEEPALIVE_COUNT = 3;

/** Why an abort happened, as an Error (AbortSignal.reason may be anything). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

/** A connected client, and a way to end it that never throws and never hangs. */
export class SshLink {
  #closed = false;
  readonly #closedPromise: Promise<void>;

  constructor(readonly client: Ssh2Client) {
    this.#closedPromise = new Promise((resolve) => {
      client.once('close', () => {
        this.#closed = true;
        resolve();
      });
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Polite end (SSH disconnect), then destroy if the peer does not close within `graceMs`. */
  async end(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    try {
      this.client.end();
    } catch {
      // already torn down
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.destroy();
        resolve();
      }, graceMs);
    });
    await Promise.race([this.#closedPromise, late]);
    clearTimeout(timer);
  }

  destroy(): void {
    try {
      this.client.destroy();
    } catch {
      // already torn down
    }
  }
}

/** How a hop is named in errors, plus what its host key is looked up as. */
export interface HopDescription {
  /** `connect to …` (the step), e.g. `connect to 10.0.0.5:22` or `connect to jump host bastion (…)`. */
  connectWhat: string;
  /** `authenticate as root@10.0.0.5` / `authenticate as admin@bastion (jump host …)`. */
  loginWhat: string;
  hostKeyWhat: string;
  hostKey: HostKeyContext;
}

export interface LinkOptions {
  host: string;
  port: number;
  user: string;
  endpoint: string;
  describe: HopDescription;
  /** A tunnel from the previous jump host; absent for a direct TCP connection. */
  sock?: Duplex | undefined;
  auth: AuthPlan;
  policy: HostKeyPolicy;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export function connectLink(o: LinkOptions): Promise<SshLink> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const link = new SshLink(client);
    const attempt: AuthAttempt = { tried: [], methodsLeft: undefined, problems: [] };
    let transportUp = o.sock !== undefined;
    let hostKeyProblem: HostKeyProblem | undefined;
    let settled = false;
    /** The server's algorithm lists from its KEXINIT, kept only until the handshake is over. */
    const offers: string[] = [];

    const settle = (e: Error | undefined) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (e === undefined) {
        resolve(link);
        return;
      }
      link.destroy();
      reject(e);
    };
    const onAbort = () => settle(abortReason(o.signal));

    const failure = (err: Ssh2Error): HopError => {
      if (hostKeyProblem !== undefined) {
        const d = describeHostKeyProblem(hostKeyProblem, o.describe.hostKey, o.policy.display);
        return new HopError(o.describe.hostKeyWhat, d.why, d.hint);
      }
      const tooMany = /too many authentication failures/i.test(err.message);
      if (err.level === 'client-authentication' || tooMany) {
        const why = authFailureReason(o.auth, attempt);
        const hint =
          attempt.tried.length === 0
            ? 'load a key into ssh-agent, pass --ssh-key, or set IdentityFile in ~/.ssh/config'
            : `is one of these public keys in ~${o.user}/.ssh/authorized_keys on ${o.host}? ` +
              'Choose the user with --ssh-user and the key with --ssh-key, or User and IdentityFile in ~/.ssh/config';
        return new HopError(o.describe.loginWhat, tooMany ? `the server hung up after too many refused keys (sshd MaxAuthTries); ${why}` : why, hint);
      }
      const d = describeConnectError(err, { host: o.host, endpoint: o.endpoint, timeoutMs: o.timeoutMs, transportUp, offers });
      return new HopError(o.describe.connectWhat, d.why, d.hint);
    };

    client.on('connect', () => {
      transportUp = true;
    });
    client.on('ready', () => settle(undefined));
    client.on('error', (err: Ssh2Error) => {
      if (settled) return;
      if (err.level === 'agent') {
        attempt.problems.push(`ssh-agent: ${err.message}`);
        return;
      }
      if (err.level === 'client-authentication' && /sign/i.test(err.message)) {
        attempt.problems.push(err.message);
        return;
      }
      settle(failure(err));
    });
    // Closed with no 'error' before it: the server hung up on us.
    client.on('close', () => {
      if (settled) return;
      if (hostKeyProblem !== undefined || !transportUp) {
        settle(failure(new Error('Connection lost before handshake')));
        return;
      }
      settle(
        new HopError(
          o.describe.connectWhat,
          `${o.endpoint} closed the connection during the SSH handshake or login`,
          "sshd may refuse this user or client (AllowUsers, DenyUsers, MaxStartups); sshd's log on the node says why",
        ),
      );
    });

    if (o.signal?.aborted === true) {
      settle(abortReason(o.signal));
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const preferred = preferredHostKeyAlgorithms(o.policy.knownHosts, o.describe.hostKey.name);
    const config: ConnectConfig = {
      host: o.host,
      port: o.port,
      username: o.user,
      readyTimeout: o.timeoutMs,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_COUNT,
      hostVerifier: hostVerifier(o.policy, o.describe.hostKey.name, (p) => {
        hostKeyProblem = p;
      }),
      authHandler: authHandler(o.auth, o.user, attempt),
      // The agent stays here: forwarding it would hand it to anyone who is root on the node.
      agentForward: false,
      // Explicit lists: no SHA-1 signatures, MACs or key exchange (ssh-algorithms.ts).
      algorithms: sshAlgorithms(preferred),
      debug: (line: string) => {
        if (!settled && offers.length < 8 && line.startsWith('Handshake: (remote) ')) offers.push(line.slice(0, 2048));
      },
    };
    if (o.sock !== undefined) config.sock = o.sock;
    try {
      client.connect(config);
    } catch (e) {
      settle(new HopError(o.describe.connectWhat, (e as Error).message));
    }
  });
}

/**
 * Asks a jump host to open a TCP connection to the next hop (an SSH "direct-tcpip" channel). The
 * jump host's own connect can take minutes to fail on a dropped SYN, hence our own timer.
 */
export function openTunnel(
  jump: SshLink,
  jumpName: string,
  host: string,
  port: number,
  endpoint: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const what = `reach ${endpoint} through jump host ${jumpName}`;
    const finish = (e: Error | undefined, stream?: Duplex) => {
      if (settled) {
        stream?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (e !== undefined || stream === undefined) reject(e ?? new HopError(what, 'no tunnel'));
      else resolve(stream);
    };
    const onAbort = () => finish(abortReason(signal));
    const timer = setTimeout(() => {
      finish(
        new HopError(
          what,
          `jump host ${jumpName} got no answer from ${endpoint} within ${seconds(timeoutMs)}`,
          'the node is down, the address is wrong, or a firewall between the jump host and the node drops SSH',
        ),
      );
    }, timeoutMs);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      jump.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err !== undefined && err !== null) {
          const d = describeTunnelError(err, jumpName, endpoint);
          finish(new HopError(what, d.why, d.hint));
          return;
        }
        // The channel is a stream: attach 'error' so a late failure cannot crash the process.
        stream.on('error', () => {});
        finish(undefined, stream);
      });
    } catch (e) {
      finish(new HopError(what, `the connection to jump host ${jumpName} is gone: ${(e as Error).message}`));
    }
  });
}
