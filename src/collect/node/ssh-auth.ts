/**
 * Public-key login: which keys to offer, in which order, and what to tell the user when the
 * server takes none of them. Order: ssh-agent, --ssh-key, IdentityFile entries, then the default
 * keys (as OpenSSH does, IdentitiesOnly yes drops the agent and the defaults when keys are named).
 * ssh2 first offers each key without a signature and signs only once the server accepts it, so
 * trying a key the server does not know costs one round trip and no passphrase.
 *
 * Passphrases are never asked for: an encrypted key is skipped with the advice to load it into
 * ssh-agent, which is where np-doctor can use it.
 */
import { stat, readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, ParsedKey } from 'ssh2';

const { utils } = ssh2;

export type LoadedKey =
  | { status: 'ok'; path: string; key: ParsedKey }
  | { status: 'missing'; path: string }
  | { status: 'encrypted'; path: string }
  | { status: 'unusable'; path: string; problem: string };

/** Reads and parses a private key file; never throws. */
export async function loadKey(path: string): Promise<LoadedKey> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing', path };
    return { status: 'unusable', path, problem: (e as Error).message };
  }
  const parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    // ssh2 says e.g. "Encrypted private OpenSSH key detected, but no passphrase given".
    if (/encrypted/i.test(parsed.message)) return { status: 'encrypted', path };
    return { status: 'unusable', path, problem: parsed.message };
  }
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (key === undefined) return { status: 'unusable', path, problem: 'no key in the file' };
  if (!key.isPrivateKey()) return { status: 'unusable', path, problem: 'this is a public key; np-doctor needs the private key file' };
  return { status: 'ok', path, key };
}

export interface AuthSources {
  /** SSH_AUTH_SOCK (or the explicit socket); undefined when there is none. */
  agentSocket: string | undefined;
  /** --ssh-key: must exist and be a usable (or agent-loadable) key. */
  keyFile: string | undefined;
  identityFiles: readonly string[];
  identitiesOnly: boolean;
  defaultKeys: readonly string[];
  /** How paths are shown (`~/.ssh/id_ed25519`). */
  display: (path: string) => string;
}

interface AuthCandidate {
  label: string;
  method: (user: string) => AnyAuthMethod;
}

export interface AuthPlan {
  candidates: AuthCandidate[];
  /** Why some keys were not offered; shown only if login fails. */
  notes: string[];
}

export class KeyFileError extends Error {}

/** ssh2 takes `false` from an authHandler to stop trying; its types leave that value out. */
const GIVE_UP = false as unknown as AuthenticationType;

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

/** Builds the ordered candidate list. Throws KeyFileError when --ssh-key cannot be read. */
export async function planAuth(src: AuthSources, load: (path: string) => Promise<LoadedKey>): Promise<AuthPlan> {
  const candidates: AuthCandidate[] = [];
  const notes: string[] = [];
  const named = src.keyFile !== undefined || src.identityFiles.length > 0;
  const onlyNamed = src.identitiesOnly && named;

  if (src.agentSocket === undefined) {
    notes.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
  } else if (onlyNamed) {
    notes.push('ssh-agent not used (IdentitiesOnly yes)');
  } else if (!(await isSocket(src.agentSocket))) {
    notes.push(`no ssh-agent at ${src.agentSocket} (not a socket)`);
  } else {
    const agent = src.agentSocket;
    candidates.push({ label: `ssh-agent (${agent})`, method: (username) => ({ type: 'agent', username, agent }) });
  }

  const files: { path: string; origin: 'flag' | 'config' | 'default' }[] = [];
  if (src.keyFile !== undefined) files.push({ path: src.keyFile, origin: 'flag' });
  for (const path of src.identityFiles) files.push({ path, origin: 'config' });
  if (!onlyNamed) for (const path of src.defaultKeys) files.push({ path, origin: 'default' });

  const seen = new Set<string>();
  let defaultsFound = 0;
  for (const { path, origin } of files) {
    if (seen.has(path)) continue;
    seen.add(path);
    const shown = src.display(path);
    const loaded = await load(path);
    if (origin === 'default' && loaded.status !== 'missing') defaultsFound++;
    switch (loaded.status) {
      case 'ok': {
        const key = loaded.key;
        candidates.push({ label: shown, method: (username) => ({ type: 'publickey', username, key }) });
        break;
      }
      case 'missing':
        if (origin === 'flag') throw new KeyFileError(`--ssh-key ${shown}: no such file`);
        if (origin === 'config') notes.push(`IdentityFile ${shown} does not exist`);
        break;
      case 'encrypted':
        notes.push(
          `${shown} is encrypted and np-doctor never asks for passphrases: load it into ssh-agent ` +
            `(ssh-add ${shown}) and run np-doctor where SSH_AUTH_SOCK is set`,
        );
        break;
      case 'unusable':
        if (origin === 'flag') throw new KeyFileError(`--ssh-key ${shown}: ${loaded.problem}`);
        notes.push(`${shown} cannot be used: ${loaded.problem}`);
        break;
    }
  }
  if (!onlyNamed && src.defaultKeys.length > 0 && defaultsFound === 0) {
    notes.push(`none of the default keys exists (${src.defaultKeys.map(src.display).join(', ')})`);
  }
  return { candidates, notes };
}

/** What one login attempt tried, filled in while ssh2 calls the handler. */
export interface AuthAttempt {
  tried: string[];
  /** Methods the server said could continue, from its last refusal. */
  methodsLeft: AuthenticationType[] | undefined;
  /** Problems ssh2 reported along the way (agent unreachable, signing failed). */
  problems: string[];
}

/** An ssh2 authHandler that walks the plan in order and gives up when it is exhausted. */
export function authHandler(plan: AuthPlan, username: string, attempt: AuthAttempt): AuthHandlerMiddleware {
  let next = 0;
  return (methodsLeft, _partial, callback) => {
    // ssh2 passes null on the first call, then the server's list from each refusal.
    const left = methodsLeft as AuthenticationType[] | null;
    if (left !== null) attempt.methodsLeft = left;
    if (left !== null && !left.includes('publickey')) {
      callback(GIVE_UP);
      return;
    }
    const c = plan.candidates[next++];
    if (c === undefined) {
      callback(GIVE_UP);
      return;
    }
    attempt.tried.push(c.label);
    callback(c.method(username));
  };
}

/** The `why` of an authentication failure. */
export function authFailureReason(plan: AuthPlan, attempt: AuthAttempt): string {
  const parts: string[] = [];
  if (attempt.tried.length === 0) parts.push('np-doctor had no key to offer');
  else parts.push(`the server refused every key tried: ${attempt.tried.join(', ')}`);
  const left = attempt.methodsLeft;
  if (left !== undefined && !left.includes('publickey')) {
    parts.push(`the server accepts only ${left.join(', ') || 'nothing'} here, and np-doctor logs in with keys only`);
  }
  parts.push(...attempt.problems, ...plan.notes);
  return parts.join('; ');
}
