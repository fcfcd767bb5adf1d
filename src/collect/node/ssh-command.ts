/**
 * The remote command line for one fixed command. SSH carries a single string that the login
 * user's shell runs (`$SHELL -c STRING`), so every word is quoted for a POSIX shell: inside single
 * quotes nothing is special, and a single quote itself is written `'\''`. The words come only
 * from NODE_COMMANDS, never from users or the cluster.
 *
 * Decisions:
 * - `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"` goes first: sshd gives non-root users a PATH
 *   without the sbin directories on Debian-like systems, where sysctl, ss, iptables live.
 * - Root-only commands run as `sudo -n …` unless the login user is root. `-n` makes sudo fail at
 *   once instead of waiting for a password nobody will type. That failure is a command result
 *   (non-zero exit, explained in stderr), not a session error: the commands that need no root
 *   still work, and the gatherer reports each command's outcome.
 * - Before sudo, the tool is looked up as the login user. sudo (1.9) says "a password is required"
 *   for a tool that is not installed when the NOPASSWD rule names paths, which would send the user
 *   to fix sudoers for a missing package; the look-up makes it exit 127, as without sudo.
 * - When a root command fails, the line adds the tool's path on the node to stderr
 *   (`np-doctor-path: /usr/bin/ss`), so advice names the real path (ss is /usr/bin/ss on Debian,
 *   /usr/sbin/ss on RHEL); the session takes the line out again (takeToolPath).
 */
import type { CommandResult } from './shell.js';
import { DEFAULT_TOOL_DIR, sudoersRuleFor } from './sudoers.js';

const PATH_MARK = 'np-doctor-path: ';

export const EXTRA_PATH = '/usr/local/sbin:/usr/sbin:/sbin';

export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function needsSudo(command: { root: boolean }, loginUser: string): boolean {
  return command.root && loginUser !== 'root';
}

export function remoteCommandLine(argv: readonly string[], sudo: boolean): string {
  if (!sudo) return `PATH="$PATH:${EXTRA_PATH}" ${argv.map(shellQuote).join(' ')}`;
  const tool = argv[0] ?? '';
  return (
    `PATH="$PATH:${EXTRA_PATH}"; export PATH; ` +
    `p=$(command -v ${shellQuote(tool)} 2>/dev/null) || { echo ${shellQuote(`${tool}: command not found`)} >&2; exit 127; }; ` +
    `${['sudo', '-n', ...argv].map(shellQuote).join(' ')} || { rc=$?; printf '${PATH_MARK}%s\\n' "$p" >&2; exit $rc; }`
  );
}

/**
 * Removes the path line remoteCommandLine adds to a failed root command's stderr; returns the path
 * when it looks like one (it is the node's word: only used in advice, and only if plain).
 */
export function takeToolPath(result: CommandResult): string | undefined {
  const lines = result.stderr.split('\n');
  let i = lines.length - 1;
  while (i >= 0 && !lines[i]!.startsWith(PATH_MARK)) i--;
  if (i < 0) return undefined;
  const path = lines[i]!.slice(PATH_MARK.length);
  lines.splice(i, 1);
  result.stderr = lines.join('\n');
  return /^\/[\w./+-]{1,255}$/.test(path) ? path : undefined;
}

/**
 * A plain-language reason when sudo itself refused, or undefined when it did not. `toolPath` is
 * where the node has the tool (takeToolPath); without it the rule uses DEFAULT_TOOL_DIR and says so.
 */
export function explainSudoFailure(result: CommandResult, loginUser: string, argv: readonly string[], toolPath?: string): string | undefined {
  const cmd = argv.join(' ');
  const asRoot = 'or log in as root: --ssh-user root, or User root in ~/.ssh/config';
  // Exactly this argument list: a bare path would let the user run the tool with any arguments.
  const rule = toolPath !== undefined
    ? `"${sudoersRuleFor(loginUser, argv, () => toolPath)}"`
    : `"${sudoersRuleFor(loginUser, argv)}" (with the path "command -v ${argv[0] ?? ''}" prints on the node if not ${DEFAULT_TOOL_DIR})`;
  if (result.exitCode === 127 && /sudo: (command )?not found|sudo: No such file/i.test(result.stderr)) {
    return `np-doctor: "${cmd}" needs root and ${loginUser} is not root, but sudo is not installed on the node: install it with the sudoers rule ${rule}, ${asRoot}.`;
  }
  if (result.exitCode === 0) return undefined;
  if (/^sudo: .*(password is required|terminal is required|askpass)/im.test(result.stderr)) {
    return (
      `np-doctor: sudo says a password is required for ${loginUser} to run "${cmd}" as root, and ` +
      `np-doctor never types one (it runs "sudo -n"): allow it without a password with the sudoers rule ${rule}, ${asRoot}.`
    );
  }
  if (/not allowed to execute|not in the sudoers|may not run sudo|is not allowed to run sudo/i.test(result.stderr)) {
    return `np-doctor: sudo does not let ${loginUser} run "${cmd}" as root: add the sudoers rule ${rule}, ${asRoot}.`;
  }
  return undefined;
}
