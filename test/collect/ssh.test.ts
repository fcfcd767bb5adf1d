/**
 * SshShell against Debian's real sshd in network namespaces (test/support/ssh-lab.ts, sshd.ts):
 * real host keys, real known_hosts files (one made by `ssh-keygen -H`), real ssh-agent, real
 * iptables in the node's namespace. Root only: skipped loudly without root and the tools, failed
 * instead when NP_DOCTOR_REQUIRE_KERNEL=1.
 *
 * Non-root logins meet Debian's real sudo, with a private /etc/sudoers bound over the real one for
 * that sshd only: npdtest may run exactly np-doctor's root commands without a password, npdpw
 * needs a password for everything, npdnone is not in sudoers at all. sudo logs what it ran to a
 * file the tests read. The one stand-in is a hung `ipset` (in /usr/local/sbin, which sudo's
 * secure_path searches first) for the tests of commands that never finish. The command line
 * builder itself is unit-tested first, for everyone (no root needed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { SshShell, type SshShellOptions } from '../../src/collect/node/ssh.js';
import { NodeAccessError, type NodeSession } from '../../src/collect/node/shell.js';
import { NODE_COMMANDS } from '../../src/snapshot/node-commands.js';
import { explainSudoFailure, needsSudo, remoteCommandLine, shellQuote, takeToolPath } from '../../src/collect/node/ssh-command.js';
import { ROOT_COMMANDS, sudoersCmnd, sudoersLine } from '../../src/collect/node/sudoers.js';
import { HOST_KEY, KEX, MAC, sshAlgorithms } from '../../src/collect/node/ssh-algorithms.js';
import { gatherSignal } from '../../src/collect/deadline.js';
import { gatherNodes } from '../../src/collect/nodes.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { NodeData } from '../../src/model/node-data.js';
import { nodeView, NodeViewError } from '../../src/model/node-view.js';
import { run, start, stop, sleep } from '../kernel/lab/exec.js';
import { cleanupOwn, cleanupStale } from '../kernel/lab/netns.js';
import { labGate } from '../kernel/lab/prereq.js';
import { createBastionLab, createDirectLab, sshLabProblem, type BastionLab, type DirectLab } from '../support/ssh-lab.js';
import { generateKey, startSshd, type KeyPair, type Sshd } from '../support/sshd.js';

const problem = sshLabProblem();

/** Rejects with NodeAccessError; returns it for closer checks. */
async function accessError(p: Promise<unknown>): Promise<NodeAccessError> {
  try {
    const v = await p;
    if (v !== null && typeof v === 'object' && 'close' in v) await (v as NodeSession).close();
  } catch (e) {
    if (e instanceof NodeAccessError) return e;
    throw e;
  }
  assert.fail('expected a NodeAccessError');
}

/** sudo's secure_path in Debian's default /etc/sudoers: where sudo looks for the command. */
const SECURE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The full path sudo resolves `name` to through SECURE_PATH, as the sshd's sessions see the
 * filesystem (`mounted` maps a directory bound over one of them to its source here).
 */
function sudoPath(name: string, mounted: Record<string, string>): string {
  for (const dir of SECURE_PATH) {
    try {
      accessSync(join(mounted[dir] ?? dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return join('/usr/sbin', name);
}

/**
 * Debian's default sudoers policy, with sudo logging to `logFile` (one line per event) instead of
 * syslog, and `rules` after it.
 */
function sudoersText(logFile: string, rules: readonly string[]): string {
  return [
    'Defaults\tenv_reset',
    'Defaults\tmail_badpass',
    `Defaults\tsecure_path="${SECURE_PATH.join(':')}"`,
    'Defaults\tuse_pty',
    `Defaults\t!syslog, logfile="${logFile}", loglinelen=0`,
    'root\tALL=(ALL:ALL) ALL',
    ...rules,
    '',
  ].join('\n');
}

/** The servers whose logs a failing test should show (set by each suite). */
let servers: Sshd[] = [];

async function withSession<T>(shell: SshShell, node: { name: string; address: string | undefined }, f: (s: NodeSession) => Promise<T>): Promise<T> {
  try {
    const s = await shell.open(node);
    try {
      return await f(s);
    } finally {
      await s.close();
    }
  } catch (e) {
    // sshd's own account of the login is usually the explanation.
    if (e instanceof Error) e.message += servers.map((x) => `\n--- sshd ${x.address} log (tail):\n${x.log().split('\n').slice(-15).join('\n')}`).join('');
    throw e;
  }
}


/**
 * Waits until the hung ipset (`sleep 10`) runs in namespace `ns`: the command has started on the
 * node, which is what the tests that end it mid-command need (bounded; polled, not a fixed sleep).
 */
async function hungIpsetRunning(ns: string): Promise<void> {
  const isHung = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === 'sleep\u000010\u0000';
    } catch {
      return false; // gone between the listing and the read
    }
  };
  for (let i = 0; i < 400; i++) {
    const { stdout } = await run('ip', ['netns', 'pids', ns]);
    if (stdout.split('\n').some((p) => /^\d+$/.test(p) && isHung(p))) return;
    await sleep(25);
  }
  assert.fail(`the hung ipset never started in ${ns}`);
}
describe('remote command line', () => {
  test('every word is single-quoted, sudo -n in front when needed, sbin on PATH', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(remoteCommandLine(['iptables-save'], false), `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" 'iptables-save'`);
    assert.equal(remoteCommandLine(['nft', '-j', 'list', 'ruleset'], true),
      `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH; p=$(command -v 'nft' 2>/dev/null) || { echo 'nft: command not found' >&2; exit 127; }; ` +
        `'sudo' '-n' 'nft' '-j' 'list' 'ruleset' || { rc=$?; printf 'np-doctor-path: %s\\n' "$p" >&2; exit $rc; }`);
  });

  test('a root command whose tool is missing exits 127 before sudo is asked', () => {
    const r = spawnSync('/bin/sh', ['-c', remoteCommandLine(['np-doctor-no-such-tool', '-n'], true)], { encoding: 'utf8' });
    assert.equal(r.status, 127);
    assert.equal(r.stderr, 'np-doctor-no-such-tool: command not found\n');
  });

  test('a POSIX shell receives every fixed command word for word', () => {
    for (const [id, spec] of Object.entries(NODE_COMMANDS)) {
      // printf in place of the command: it prints each argument it got on its own line.
      const line = remoteCommandLine(['printf', '%s\\n', ...spec.argv, "it's $HOME `x` \\"], false);
      const out = execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
      assert.deepEqual(out.split('\n').slice(0, -1), [...spec.argv, "it's $HOME `x` \\"], id);
    }
  });

  test('sudo only for root commands, and never for root', () => {
    assert.equal(needsSudo(NODE_COMMANDS['iptables-save'], 'admin'), true);
    assert.equal(needsSudo(NODE_COMMANDS['iptables-save'], 'root'), false);
    assert.equal(needsSudo(NODE_COMMANDS['ip-addr'], 'admin'), false);
  });

  test('a failed root command reports where the node has the tool, and the line is taken out again', () => {
    // sh stands in for sudo's refusal: `false` fails like a refused sudo -n would.
    const line = remoteCommandLine(['ss', '-H'], true).replace(`'sudo' '-n' 'ss' '-H'`, `'false'`);
    const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.status, 1);
    const result = { stdout: '', stderr: r.stderr, exitCode: 1 };
    const path = takeToolPath(result);
    assert.match(path ?? '', /^\/(usr\/)?s?bin\/ss$/);
    assert.equal(result.stderr, '', 'the marker line is gone');
    assert.equal(takeToolPath({ stdout: '', stderr: 'np-doctor-path: $(reboot)\n', exitCode: 1 }), undefined, 'only a plain path is used');
    const why = explainSudoFailure({ stdout: '', stderr: 'sudo: a password is required\n', exitCode: 1 }, 'admin', ['ss', '-H', '-l'], '/usr/bin/ss');
    assert.match(why ?? '', /the sudoers rule "admin ALL=\(root\) NOPASSWD: \/usr\/bin\/ss -H -l", or log in as root/);
  });

  test('sudo refusals are explained; other failures are left alone', () => {
    const argv = ['iptables-save'];
    const pw = explainSudoFailure({ stdout: '', stderr: 'sudo: a password is required\n', exitCode: 1 }, 'admin', argv);
    assert.match(pw ?? '', /^np-doctor: sudo says a password is required for admin to run "iptables-save" as root/);
    assert.match(pw ?? '', /NOPASSWD/);
    const denied = explainSudoFailure({ stdout: '', stderr: "Sorry, user admin is not allowed to execute '/usr/sbin/iptables-save' as root on n1.\n", exitCode: 1 }, 'admin', argv);
    assert.match(denied ?? '', /sudo does not let admin run "iptables-save" as root/);
    const missing = explainSudoFailure({ stdout: '', stderr: 'bash: line 1: sudo: command not found\n', exitCode: 127 }, 'admin', argv);
    assert.match(missing ?? '', /sudo is not installed on the node/);
    assert.equal(explainSudoFailure({ stdout: '', stderr: 'iptables-save: not found\n', exitCode: 127 }, 'admin', argv), undefined);
    assert.equal(explainSudoFailure({ stdout: '', stderr: 'iptables: Permission denied\n', exitCode: 4 }, 'admin', argv), undefined);
  });

  test('sudoers advice is generated from the fixed commands: exact argument lists, never a bare tool', () => {
    assert.equal(sudoersCmnd(['nft', '-j', 'list', 'ruleset']), '/usr/sbin/nft -j list ruleset');
    assert.equal(sudoersCmnd(['iptables-save']), '/usr/sbin/iptables-save ""', '"" allows no arguments at all');
    const line = sudoersLine('admin');
    assert.ok(line.startsWith('admin ALL=(root) NOPASSWD: /usr/sbin/iptables-legacy-save "", '), line);
    const cmnds = line.slice('admin ALL=(root) NOPASSWD: '.length).split(', ');
    assert.deepEqual(cmnds.map((c) => c.split(' ')[0]), ROOT_COMMANDS.map((id) => `/usr/sbin/${NODE_COMMANDS[id].argv[0]}`));
    for (const c of cmnds) assert.ok(c.includes(' '), `${c}: a path alone would allow any arguments`);
    assert.ok(ROOT_COMMANDS.every((id) => NODE_COMMANDS[id].root) && ROOT_COMMANDS.includes('listening-sockets'));
    assert.throws(() => sudoersCmnd(['nft', '-f', '/etc/x,y']), /needs sudoers escaping/);
  });

  test('SSH algorithms are explicit: no SHA-1, no CBC, known host key types first', () => {
    const a = sshAlgorithms(['rsa-sha2-512', 'rsa-sha2-256']);
    assert.deepEqual(a.serverHostKey, ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);
    const all = [...KEX, ...HOST_KEY, ...(a.cipher as string[]), ...MAC];
    for (const weak of ['ssh-rsa', 'ssh-dss', 'hmac-sha1', 'hmac-sha1-etm@openssh.com', 'hmac-md5', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1', 'diffie-hellman-group-exchange-sha1', 'aes128-cbc', '3des-cbc', 'arcfour']) {
      assert.ok(!all.includes(weak), weak);
    }
    assert.ok(KEX.includes('curve25519-sha256') && HOST_KEY.includes('ssh-ed25519') && MAC.includes('hmac-sha2-256-etm@openssh.com'));
    assert.ok((a.cipher as string[]).includes('aes256-gcm@openssh.com'));
  });
});

if (labGate('SSH tests against a real sshd', problem, 'root, openssh-server (/usr/sbin/sshd), openssh-client, sudo, iproute2, iptables')) {
  let work = '';
  let home = '';
  let khCount = 0;
  /** A known_hosts file with these lines (a fresh file per call). */
  const knownHosts = async (...lines: string[]): Promise<string> => {
    const file = join(work, `known_hosts.${khCount++}`);
    await writeFile(file, lines.map((l) => `${l}\n`).join(''));
    return file;
  };

  before(async () => {
    const stale = await cleanupStale();
    if (stale.length > 0) console.error(`ssh lab: removed stale namespaces ${stale.join(', ')}`);
    work = await mkdtemp(join(tmpdir(), 'npd-ssh-test-'));
    home = join(work, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
  });
  after(async () => {
    await cleanupOwn();
    await rm(work, { recursive: true, force: true });
  });

  describe('SshShell to a node on a direct link', () => {
    let lab: DirectLab;
    let sshd: Sshd;
    let key: KeyPair;
    let other: KeyPair;
    let otherHost: KeyPair;
    let addr = '';
    let kh = '';
    let sudoLog = '';
    /** Paths of the root commands sudo runs for npdtest, as its log names them. */
    let sudoPathOf: (name: string) => string;
    /** sudo's log lines from now on, for the test to read when done. */
    const sudoLogFrom = async (): Promise<() => Promise<string[]>> => {
      const start = (await readFile(sudoLog, 'utf8').catch(() => '')).length;
      return async () => (await readFile(sudoLog, 'utf8').catch(() => '')).slice(start).split('\n').filter((l) => l !== '');
    };
    const node = () => ({ name: 'worker-1', address: addr });
    const shell = (o: SshShellOptions = {}) =>
      new SshShell({
        homeDir: home,
        localUser: 'root',
        env: {},
        keyFile: key.privatePath,
        knownHostsFiles: [kh],
        connectTimeoutMs: 3000,
        ...o,
      });

    before(async () => {
      const keys = join(work, 'keys');
      await mkdir(keys);
      key = await generateKey(keys, 'user');
      other = await generateKey(keys, 'other');
      otherHost = await generateKey(keys, 'other-host');
      // A hung ipset for the tests of commands that never finish; sudo runs it as root.
      const localSbin = join(work, 'local-sbin');
      await mkdir(localSbin);
      await chmod(localSbin, 0o755);
      await writeFile(join(localSbin, 'ipset'), '#!/bin/sh\nexec sleep 10\n', { mode: 0o755 });
      const mounted = { '/usr/local/sbin': localSbin };
      sudoPathOf = (name) => sudoPath(name, mounted);
      sudoLog = join(work, 'sudo.log');
      // np-doctor's own generated rule, with the paths sudo finds here.
      const sudoers = sudoersText(sudoLog, [sudoersLine('npdtest', sudoPathOf), 'npdpw\tALL=(ALL:ALL) ALL']);
      lab = await createDirectLab();
      addr = lab.node.address;
      // Port 2299 drops everything: a node that does not answer.
      await run('iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '2299', '-j', 'DROP'], { ns: lab.node.ns });
      // A rule to find in the dump read over SSH.
      await run('iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '31999', '-m', 'comment', '--comment', 'np-doctor-ssh-test', '-j', 'ACCEPT'], { ns: lab.node.ns });
      sshd = await startSshd({
        ns: lab.node.ns,
        address: addr,
        ports: [22, 2222],
        authorizedKeys: [key.publicLine],
        users: [
          { name: 'npdtest', uid: 4242 },
          { name: 'npdpw', uid: 4243 },
          { name: 'npdnone', uid: 4244 },
        ],
        sudoers,
        binds: [{ source: localSbin, target: '/usr/local/sbin' }],
      });
      kh = await knownHosts(`${addr} ${sshd.hostKey}`, `[${addr}]:2222 ${sshd.hostKey}`);
      servers = [sshd];
    });
    after(async () => {
      await sshd?.stop();
      await lab?.close();
    });

    test('runs fixed commands over one connection and reads the node', async () => {
      const logins = () => (sshd.log().match(/Accepted publickey for root/g) ?? []).length;
      const before = logins();
      await withSession(shell(), node(), async (s) => {
        const rules = await s.run('iptables-save');
        assert.equal(rules.exitCode, 0, rules.stderr);
        assert.match(rules.stdout, /-A INPUT -p tcp -m tcp --dport 31999 -m comment --comment np-doctor-ssh-test -j ACCEPT/);
        const addrs = await s.run('ip-addr');
        assert.equal(addrs.exitCode, 0, addrs.stderr);
        const parsed = JSON.parse(addrs.stdout) as { addr_info: { local: string }[] }[];
        assert.ok(parsed.some((i) => i.addr_info.some((a) => a.local === addr)), addrs.stdout);
        const version = await s.run('iptables-version');
        assert.equal(version.exitCode, 0);
        assert.match(version.stdout, /iptables v\d/);
        // Not installed (test-deps does not install it): the shell's "not found" is a result, not an error.
        if (!ipvsadmInstalled()) {
          const missing = await s.run('ipvsadm-save');
          assert.equal(missing.exitCode, 127);
          assert.match(missing.stderr, /ipvsadm-save: (command )?not found/);
        }
        // Several at once share the connection.
        const all = await Promise.all((['sysctls', 'ip-route', 'ip-rule', 'nft-ruleset', 'iptables-nft-save'] as const).map((c) => s.run(c)));
        for (const r of all) assert.equal(r.exitCode, 0, r.stderr);
        assert.match(all[0]?.stdout ?? '', /net\.ipv4\.ip_forward = 0/);
      });
      assert.equal(logins() - before, 1, 'one login for the whole session');
    });

    test('finds ~/.ssh/id_ed25519 without --ssh-key', async () => {
      const h = join(work, 'home-default-key');
      await mkdir(join(h, '.ssh'), { recursive: true });
      await writeFile(join(h, '.ssh', 'id_ed25519'), await readFile(key.privatePath), { mode: 0o600 });
      const r = await withSession(shell({ homeDir: h, keyFile: undefined }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
    });

    test('logs in with a key held by ssh-agent', async () => {
      const sock = join(work, 'agent.sock');
      const agent: ChildProcess = start('ssh-agent', ['-D', '-a', sock]);
      try {
        for (let i = 0; i < 50; i++) {
          if ((await run('test', ['-S', sock], { allowFail: true })).code === 0) break;
          await sleep(50);
        }
        await run('env', [`SSH_AUTH_SOCK=${sock}`, 'ssh-add', '-q', key.privatePath]);
        const r = await withSession(shell({ keyFile: undefined, env: { SSH_AUTH_SOCK: sock } }), node(), (s) => s.run('iptables-version'));
        assert.equal(r.exitCode, 0);
      } finally {
        await stop(agent);
      }
    });

    test('refuses a host key that is not in known_hosts, with the fingerprint and the remedy', async () => {
      const e = await accessError(shell({ knownHostsFiles: [await knownHosts(`10.0.0.1 ${sshd.hostKey}`)] }).open(node()));
      assert.equal(e.node, 'worker-1');
      assert.equal(e.what, `verify the host key of ${addr}:22`);
      assert.match(e.why, new RegExp(`${addr} is not in known_hosts`));
      assert.ok(e.why.includes(sshd.fingerprint), e.why);
      assert.ok(e.hint?.includes(`ssh-keyscan -p 22 ${addr} >> `), e.hint);
      assert.ok(e.hint?.includes('--ssh-insecure-skip-host-key-check'), e.hint);
    });

    test('refuses a changed host key loudly, naming the known_hosts line', async () => {
      const file = await knownHosts('# a comment line', `${addr} ${otherHost.publicLine.split(' ').slice(0, 2).join(' ')}`);
      const e = await accessError(shell({ knownHostsFiles: [file] }).open(node()));
      assert.match(e.why, /HOST KEY CHANGED/);
      assert.ok(e.why.includes(`${file} line 2`), e.why);
      assert.ok(e.why.includes(otherHost.fingerprint), 'expected fingerprint');
      assert.ok(e.why.includes(sshd.fingerprint), 'received fingerprint');
      assert.ok(e.hint?.includes(`ssh-keygen -R '${addr}'`), e.hint);
    });

    test('refuses a key marked @revoked', async () => {
      const file = await knownHosts(`${addr} ${sshd.hostKey}`, `@revoked * ${sshd.hostKey}`);
      const e = await accessError(shell({ knownHostsFiles: [file] }).open(node()));
      assert.match(e.why, /@revoked/);
      assert.ok(e.why.includes(`${file} line 2`), e.why);
    });

    test('accepts any key only with insecureSkipHostKeyCheck', async () => {
      const warnings: string[] = [];
      const s = shell({ knownHostsFiles: [await knownHosts()], insecureSkipHostKeyCheck: true, onWarning: (m) => warnings.push(m) });
      const r = await withSession(s, node(), (x) => x.run('iptables-version'));
      assert.equal(r.exitCode, 0);
      assert.match(warnings.join('\n'), /not verified/);
    });

    test('accepts a hashed known_hosts entry made by ssh-keygen -H', async () => {
      const file = await knownHosts(`${addr} ${sshd.hostKey}`);
      await run('ssh-keygen', ['-q', '-H', '-f', file]);
      const text = await readFile(file, 'utf8');
      assert.match(text, /^\|1\|/, 'ssh-keygen hashed the entry');
      assert.ok(!text.includes(addr));
      const r = await withSession(shell({ knownHostsFiles: [file] }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
    });

    test('accepts a hashed [host]:port entry computed with HMAC-SHA1', async () => {
      const salt = randomBytes(20);
      const hash = createHmac('sha1', salt).update(`[${addr}]:2222`).digest();
      const file = await knownHosts(`|1|${salt.toString('base64')}|${hash.toString('base64')} ${sshd.hostKey}`);
      const r = await withSession(shell({ knownHostsFiles: [file], port: 2222 }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
    });

    test('uses [host]:port entries for other ports, and only those', async () => {
      const ok = await withSession(shell({ knownHostsFiles: [await knownHosts(`[${addr}]:2222 ${sshd.hostKey}`)], port: 2222 }), node(), (s) =>
        s.run('iptables-version'),
      );
      assert.equal(ok.exitCode, 0);
      const e = await accessError(shell({ knownHostsFiles: [await knownHosts(`${addr} ${sshd.hostKey}`)], port: 2222 }).open(node()));
      assert.match(e.why, new RegExp(`\\[${addr.replaceAll('.', '\\.')}\\]:2222 is not in known_hosts`));
      assert.ok(e.hint?.includes(`ssh-keyscan -p 2222 ${addr}`), e.hint);
    });

    test('names the keys the server refused', async () => {
      const e = await accessError(shell({ keyFile: other.privatePath }).open(node()));
      assert.equal(e.what, `authenticate as root@${addr}`);
      assert.match(e.why, /the server refused every key tried: .*keys\/other/);
      assert.match(e.why, /no ssh-agent/);
    });

    test('explains an encrypted key instead of asking for its passphrase', async () => {
      const enc = await generateKey(join(work, 'keys'), 'encrypted', { passphrase: 'secret words' });
      const e = await accessError(shell({ keyFile: enc.privatePath }).open(node()));
      assert.match(e.why, /encrypted and np-doctor never asks for passphrases/);
      assert.ok(e.why.includes(`ssh-add ${enc.privatePath}`), e.why);
    });

    test('reports a missing --ssh-key file before connecting', async () => {
      const e = await accessError(shell({ keyFile: join(work, 'nope') }).open(node()));
      assert.equal(e.what, 'read the SSH key');
      assert.match(e.why, /no such file/);
    });

    test('says connection refused when nothing listens', async () => {
      const e = await accessError(shell({ port: 2298 }).open(node()));
      assert.equal(e.what, `connect to ${addr}:2298`);
      assert.match(e.why, /connection refused/);
    });

    test('gives up on a node that does not answer within connectTimeout', async () => {
      const t0 = Date.now();
      const e = await accessError(shell({ port: 2299, connectTimeoutMs: 1500 }).open(node()));
      const took = Date.now() - t0;
      assert.match(e.why, new RegExp(`no answer from ${addr.replaceAll('.', '\\.')}:2299 within 1.5 s`));
      assert.ok(took >= 1400 && took < 3000, `took ${took} ms`);
    });

    test('an abort stops connecting at once', async () => {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 200);
      const e = await accessError(shell({ port: 2299, connectTimeoutMs: 10_000 }).open(node(), ac.signal));
      assert.match(e.why, /interrupted/);
      assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    });

    test('a jump host whose sshd forbids forwarding is named', async () => {
      const e = await accessError(shell({ jump: `root@${addr}` }).open(node()));
      assert.match(e.what, new RegExp(`reach ${addr.replaceAll('.', '\\.')}:22 through jump host ${addr.replaceAll('.', '\\.')}`));
      assert.match(e.why, /refused to forward/);
    });

    test('ssh config maps the node name (HostName, User, IdentityFile with tokens)', async () => {
      const cfg = join(work, 'config-name');
      await writeFile(join(home, '.ssh', 'lab_key'), await readFile(key.privatePath), { mode: 0o600 });
      await writeFile(cfg, ['Host worker-*', `  HostName ${addr}`, '  User root', '  IdentityFile %d/.ssh/lab_key', 'Host *', '  User nobody', ''].join('\n'));
      // The address points at the test process itself, where nothing listens on 22.
      const r = await withSession(shell({ configFile: cfg, keyFile: undefined }), { name: 'worker-1', address: lab.rootAddress }, (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
    });

    test('without a Host block for the name, the address is used and blocks for it apply', async () => {
      const cfg = join(work, 'config-addr');
      await writeFile(cfg, [`Host ${addr}`, '  Port 2222', 'Host *', '  User root', ''].join('\n'));
      const before = (sshd.log().match(new RegExp(`on ${addr.replaceAll('.', '\\.')} port 2222`, 'g')) ?? []).length;
      const r = await withSession(shell({ configFile: cfg }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
      const afterCount = (sshd.log().match(new RegExp(`on ${addr.replaceAll('.', '\\.')} port 2222`, 'g')) ?? []).length;
      assert.equal(afterCount - before, 1, 'connected to the config Port');
    });

    test('UserKnownHostsFile and HostKeyAlias from the ssh config decide the host key lookup', async () => {
      const cfg = join(work, 'config-alias');
      await writeFile(join(home, '.ssh', 'kh_lab'), `worker-1.lab ${sshd.hostKey}\n`);
      await writeFile(cfg, ['Host worker-1', `  HostName ${addr}`, '  User root', '  HostKeyAlias worker-1.lab', '  UserKnownHostsFile ~/.ssh/kh_lab', ''].join('\n'));
      const r = await withSession(shell({ configFile: cfg, knownHostsFiles: undefined }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
      // The alias, not the address, is what is looked up.
      await writeFile(join(home, '.ssh', 'kh_lab'), `${addr} ${sshd.hostKey}\n`);
      const e = await accessError(shell({ configFile: cfg, knownHostsFiles: undefined }).open(node()));
      assert.match(e.why, /worker-1\.lab is not in known_hosts/);
      assert.ok(e.hint?.includes('add "worker-1.lab ssh-ed25519 <key>" to ~/.ssh/kh_lab'), e.hint);
    });

    test('flags beat the ssh config', async () => {
      const cfg = join(work, 'config-flags');
      await writeFile(cfg, ['Host worker-1', `  HostName ${addr}`, '  User nobody', '  Port 2298', ''].join('\n'));
      const r = await withSession(shell({ configFile: cfg, user: 'root', port: 22 }), node(), (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0);
    });

    test('an explicit ssh config that does not exist is an error', async () => {
      const e = await accessError(shell({ configFile: join(work, 'missing-config') }).open(node()));
      assert.equal(e.what, 'read the ssh config');
      assert.match(e.why, /no such file/);
    });

    test('a non-root user with a NOPASSWD rule runs root commands through real sudo -n', async () => {
      const sudoLines = await sudoLogFrom();
      const s = await shell({ user: 'npdtest', commandTimeoutMs: 1000 }).open(node());
      try {
        // The real rules, which only root can read: sudo ran exactly "iptables-save" as root.
        const dump = await s.run('iptables-save');
        assert.equal(dump.exitCode, 0, dump.stderr);
        assert.equal(dump.stderr, '');
        assert.match(dump.stdout, /-A INPUT -p tcp -m tcp --dport 31999 -m comment --comment np-doctor-ssh-test -j ACCEPT/);
        const nft = await s.run('nft-ruleset');
        assert.equal(nft.exitCode, 0, nft.stderr);
        assert.match(nft.stdout, /"nftables"/);
        // No sudo for commands that do not need root; sysctl lives in /sbin, off a user's PATH.
        const sysctls = await s.run('sysctls');
        assert.equal(sysctls.exitCode, 0, sysctls.stderr);
        assert.match(sysctls.stdout, /net\.ipv4\.ip_forward = 0/);
        const t0 = Date.now();
        const slow = await s.run('ipset-list');
        assert.equal(slow.exitCode, null);
        assert.match(slow.stderr, /"ipset list" did not finish within 1 s and was stopped/);
        assert.ok(Date.now() - t0 < 2500);
        // The session still works after a timeout.
        assert.equal((await s.run('ip-addr')).exitCode, 0);
        // A root tool that is not installed: "command not found", not sudo's misleading "a password is required".
        if (!ipvsadmInstalled()) {
          const missing = await s.run('ipvsadm-save');
          assert.equal(missing.exitCode, 127);
          assert.equal(missing.stderr, 'ipvsadm-save: command not found\n');
        }
      } finally {
        await s.close();
      }
      const commands = (await sudoLines()).map((l) => {
        const m = / : npdtest : PWD=[^;]* ; USER=root ; COMMAND=(.*)$/.exec(l);
        assert.ok(m !== null, `unexpected sudo log line: ${l}`);
        return m[1];
      });
      assert.deepEqual(commands, [sudoPathOf('iptables-save'), `${sudoPathOf('nft')} -j list ruleset`, '/usr/local/sbin/ipset list']);
    });

    /** Runs root commands as `user`, who has no NOPASSWD rule for them: each fails at once. */
    const refused = async (user: string) => {
      // A sudo waiting for a password would run into this limit and fail the timing check below.
      await withSession(shell({ user, commandTimeoutMs: 10_000 }), node(), async (s) => {
        for (const id of ['iptables-save', 'nft-ruleset'] as const) {
          const t0 = Date.now();
          const r = await s.run(id);
          const took = Date.now() - t0;
          assert.equal(r.exitCode, 1, r.stderr);
          assert.equal(r.stdout, '');
          const cmd = NODE_COMMANDS[id].argv.join(' ');
          // sudo's own line, as real sudo -n prints it (without -n it would first complain that
          // no terminal is there to read a password), under np-doctor's explanation.
          const [explanation = '', ...rest] = r.stderr.split('\n');
          assert.deepEqual(rest, ['sudo: a password is required', ''], r.stderr);
          // The rule names the tool where the node has it, with exactly np-doctor's arguments.
          assert.ok(
            explanation.startsWith(
              `np-doctor: sudo says a password is required for ${user} to run "${cmd}" as root, and np-doctor never types one (it runs "sudo -n"): ` +
                `allow it without a password with the sudoers rule "${user} ALL=(root) NOPASSWD: ${sudoersCmnd(NODE_COMMANDS[id].argv, sudoPathOf)}", or log in as root`,
            ),
            explanation,
          );
          assert.ok(took < 3000, `took ${took} ms`);
        }
        // Commands that need no root still work for this user.
        const sysctls = await s.run('sysctls');
        assert.equal(sysctls.exitCode, 0, sysctls.stderr);
      });
    };

    test('a user whose sudo rule needs a password gets a clear message at once', async () => {
      const sudoLines = await sudoLogFrom();
      await refused('npdpw');
      // sudo's account of it: the policy asked for a password, nothing ran.
      assert.deepEqual(
        (await sudoLines()).map((l) => l.replace(/^.* : npdpw : /, '').replace(/PWD=[^;]* ; /, '')),
        ['a password is required ; USER=root ; COMMAND=' + sudoPathOf('iptables-save'), `a password is required ; USER=root ; COMMAND=${sudoPathOf('nft')} -j list ruleset`],
      );
    });

    test('a user who is not in sudoers at all gets the same message: sudo -n asks for a password first', async () => {
      await refused('npdnone');
    });

    test('a connection lost mid-command ends that command, and later runs say the session is lost', async () => {
      const s = await shell({ user: 'npdtest' }).open(node());
      try {
        const slow = s.run('ipset-list');
        await hungIpsetRunning(lab.node.ns);
        // Kill the per-connection sshd processes (not the listener): the node "goes away".
        const { stdout } = await run('ip', ['netns', 'pids', lab.node.ns]);
        for (const pid of stdout.split('\n').filter((p) => /^\d+$/.test(p) && Number(p) !== sshd.pid)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        const r = await slow;
        assert.equal(r.exitCode, null);
        assert.match(r.stderr, /lost|without an exit status/);
        await assert.rejects(s.run('ip-addr'), (e) => e instanceof NodeAccessError && /was lost/.test(e.why));
      } finally {
        await s.close();
      }
    });

    test('close() ends a running command', async () => {
      const s = await shell({ user: 'npdtest' }).open(node());
      const slow = s.run('ipset-list');
      await hungIpsetRunning(lab.node.ns);
      const t0 = Date.now();
      await s.close();
      const r = await slow;
      assert.equal(r.exitCode, null);
      assert.match(r.stderr, /session was closed/);
      assert.ok(Date.now() - t0 < 2500, `close took ${Date.now() - t0} ms`);
    });

    test('run() after close() is an error; close() twice is fine', async () => {
      const s = await shell().open(node());
      await s.close();
      await s.close();
      await assert.rejects(s.run('ip-addr'), (e) => e instanceof NodeAccessError && /already closed/.test(e.why));
    });

    test('an aborted run resolves at once without an exit code', async () => {
      await withSession(shell({ user: 'npdtest' }), node(), async (s) => {
        const ac = new AbortController();
        const running = s.run('ipset-list', ac.signal);
        await hungIpsetRunning(lab.node.ns);
        const t0 = Date.now();
        ac.abort();
        const r = await running;
        assert.equal(r.exitCode, null);
        assert.match(r.stderr, /interrupted/);
        assert.ok(Date.now() - t0 < 1500, `resolved ${Date.now() - t0} ms after the abort; the hung command sleeps 10 s`);
      });
    });

    /** Another sshd on this node, on `port`, with extra config and binds; stopped when `f` ends. */
    const withServer = async <T>(o: { port: number; config?: string[]; hostKeyType?: 'ed25519' | 'rsa'; binds?: { source: string; target: string }[] }, f: (server: Sshd, kh: string) => Promise<T>): Promise<T> => {
      const server = await startSshd({ ns: lab.node.ns, address: addr, ports: [o.port], authorizedKeys: [key.publicLine], ...o });
      try {
        return await f(server, await knownHosts(`[${addr}]:${o.port} ${server.hostKey}`));
      } finally {
        await server.stop();
      }
    };

    test('a node that prints more than the output limit: cut at the limit, stopped, reported, and the gathering goes on', async () => {
      // A node whose tools print without end: iptables-nft-save an endless dump on stdout, `ip -j rule`
      // endless warnings on stderr. Root's PATH starts with /usr/local/sbin, bound over for this sshd.
      const loud = join(work, 'loud-sbin');
      await mkdir(loud);
      await chmod(loud, 0o755);
      await writeFile(join(loud, 'iptables-nft-save'), "#!/bin/sh\nprintf '*filter\\n:INPUT ACCEPT [0:0]\\n'\nexec yes -- '-A INPUT -p tcp -m tcp --dport 31999 -j ACCEPT'\n", { mode: 0o755 });
      const realIp = (await run('sh', ['-c', 'command -v ip'])).stdout.trim();
      await writeFile(join(loud, 'ip'), `#!/bin/sh\nif [ "$1" = -j ] && [ "$2" = rule ]; then exec yes 'ip: this node never stops warning' >&2; fi\nexec ${realIp} "$@"\n`, { mode: 0o755 });
      await withServer({ port: 2230, binds: [{ source: loud, target: '/usr/local/sbin' }] }, async (_server, file) => {
        const limit = 64 * 1024;
        const t0 = Date.now();
        const { nodes, errors } = await gatherNodes(
          shell({ port: 2230, knownHostsFiles: [file], commandTimeoutMs: 30_000, outputLimitBytes: limit }),
          [node()],
          { concurrency: 1, signal: undefined, progress: SILENT },
        );
        const took = Date.now() - t0;
        assert.ok(took < 15_000, `took ${took} ms: the endless commands were stopped, not timed out`);
        const state = nodes[0]!;
        const dump = state.commands['iptables-nft-save']!;
        assert.deepEqual(dump.truncated, { stdout: true, stderr: false, limitBytes: limit });
        assert.equal(Buffer.byteLength(dump.stdout), limit, 'exactly the first 64 KiB');
        assert.ok(dump.stdout.startsWith('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp'));
        assert.equal(dump.exitCode, null);
        assert.match(dump.stderr, /^np-doctor: "iptables-nft-save" printed more than 64 KiB on stdout; np-doctor kept the first 64 KiB and stopped it\n$/);
        const rule = state.commands['ip-rule']!;
        assert.deepEqual(rule.truncated, { stdout: false, stderr: true, limitBytes: limit });
        // The other commands ran, the real ones answered.
        assert.equal(state.commands['iptables-legacy-save']?.exitCode, 0);
        assert.equal(state.commands['ip-addr']?.exitCode, 0, state.commands['ip-addr']?.stderr);
        assert.ok(Array.isArray(JSON.parse(state.commands['ip-addr']?.stdout ?? '')));
        assert.equal(state.commands['listening-sockets']?.exitCode, 0, 'the last command ran too');
        assert.deepEqual(errors.filter((e) => e.code === 'output-limit').map((e) => [e.node, e.what, e.why]), [
          ['worker-1', 'run iptables-nft-save', '"iptables-nft-save" printed more than 64 KiB on stdout; np-doctor kept the first 64 KiB, so its output is not used as if complete'],
          ['worker-1', 'run ip -j rule', '"ip -j rule" printed more than 64 KiB on stderr; np-doctor kept the first 64 KiB, so its output is not used as if complete'],
        ]);
        // Readers refuse the cut dump: the node is indeterminate, not replayed with half its rules.
        assert.throws(() => nodeView(state, 4), (e: unknown) => e instanceof NodeViewError && /iptables-nft-save printed more than 64 KiB and np-doctor kept only the first 64 KiB, so the node's rules cannot be replayed/.test(e.message));
        const rules = new NodeData('worker-1', state, errors, 'ssh').rulesFor(4);
        assert.equal(rules.ok, false);
        assert.match(rules.ok ? '' : rules.why, /cannot be replayed/);
        assert.equal(new NodeData('worker-1', state, errors, 'ssh').command('iptables-nft-save'), undefined, 'checks never see the cut output');
      });
    });

    test('the gathering deadline stops a hung command over SSH and says so for the node', async () => {
      // Root meets the hung ipset in /usr/local/sbin.
      const deadline = gatherSignal(undefined, 3000);
      const t0 = Date.now();
      try {
        const { nodes, errors } = await gatherNodes(shell({ commandTimeoutMs: 20_000 }), [node()], { concurrency: 1, signal: deadline.signal, progress: SILENT });
        assert.ok(Date.now() - t0 < 9000, `took ${Date.now() - t0} ms; the hung command sleeps 10 s`);
        const ran = Object.entries(nodes[0]!.commands);
        const [lastId, last] = ran[ran.length - 1]!;
        assert.equal(last.exitCode, null, lastId);
        assert.match(last.stderr, /np-doctor: the gathering did not finish within 3 s \(--timeout\)/);
        assert.ok(ran.length < Object.keys(NODE_COMMANDS).length, 'later commands were not started');
        assert.deepEqual(errors.filter((e) => e.code === 'deadline').map((e) => [e.node, e.why]), [['worker-1', 'read only in part: the gathering did not finish within 3 s (--timeout)']]);
      } finally {
        deadline.dispose();
      }
    });

    test('an RSA host key is used with SHA-2 signatures', async () => {
      await withServer({ port: 2231, hostKeyType: 'rsa' }, async (server, file) => {
        assert.match(server.hostKey, /^ssh-rsa /);
        const r = await withSession(shell({ port: 2231, knownHostsFiles: [file] }), node(), (s) => s.run('iptables-version'));
        assert.equal(r.exitCode, 0);
        assert.match(server.log(), /Accepted publickey for root/);
      });
    });

    /** A server offering only weak algorithms of one kind is refused, naming what it offered and what np-doctor takes. */
    const refusedWeak = async (o: { port: number; config: string[]; hostKeyType?: 'rsa' }, what: RegExp, hint: RegExp) => {
      await withServer(o, async (_server, file) => {
        const e = await accessError(shell({ port: o.port, knownHostsFiles: [file] }).open(node()));
        assert.equal(e.what, `connect to ${addr}:${o.port}`);
        assert.match(e.why, what);
        assert.match(e.why, /: np-doctor refuses SHA-1 signatures, MACs and key exchange, and CBC and RC4 ciphers$/);
        assert.match(e.hint ?? '', hint);
      });
    };

    test('a server offering only the ssh-rsa (SHA-1) host key signature is refused with a clear message', async () => {
      await refusedWeak(
        { port: 2232, hostKeyType: 'rsa', config: ['HostKeyAlgorithms ssh-rsa'] },
        new RegExp(`^${addr.replaceAll('.', '\\.')}:2232 offers only host key algorithms np-doctor does not accept \\(ssh-rsa\\)`),
        /accepts ssh-ed25519, .*rsa-sha2-512, rsa-sha2-256; enable one in the node's sshd_config \(HostKeyAlgorithms/,
      );
    });

    test('a server offering only hmac-sha1 (with a cipher that needs a MAC) is refused', async () => {
      await refusedWeak({ port: 2233, config: ['Ciphers aes128-ctr', 'MACs hmac-sha1'] }, /offers only MAC algorithms np-doctor does not accept \(hmac-sha1\)/, /accepts hmac-sha2-256-etm@openssh\.com, hmac-sha2-512-etm@openssh\.com; .*\(MACs\)/);
    });

    test('a server offering only SHA-1 key exchange is refused', async () => {
      await refusedWeak({ port: 2234, config: ['KexAlgorithms diffie-hellman-group14-sha1'] }, /offers only key exchange algorithms np-doctor does not accept \(diffie-hellman-group14-sha1/, /\(KexAlgorithms\)/);
    });

    test('the generated sudoers rule allows exactly the fixed argument lists: other arguments are refused by real sudo', async () => {
      // The OpenSSH client, as npdtest: the same tool with other arguments must not run as root.
      const ssh = (command: string) =>
        run('ssh', ['-i', key.privatePath, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `npdtest@${addr}`, command], { allowFail: true });
      const allowed = await ssh(`sudo -n ${sudoPathOf('nft')} -j list ruleset`);
      assert.equal(allowed.code, 0, allowed.stderr);
      const other = await ssh(`sudo -n ${sudoPathOf('nft')} -f /dev/null`);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /sudo: a password is required/);
      const extra = await ssh(`sudo -n ${sudoPathOf('iptables-legacy-save')} -t nat`);
      assert.equal(extra.code, 1, '"" after the path allows no arguments');
      assert.equal(sudoersCmnd(['nft', '-j', 'list', 'ruleset'], sudoPathOf), `${sudoPathOf('nft')} -j list ruleset`);
    });
  });

  describe('SshShell through a bastion', () => {
    let lab: BastionLab;
    let bastion: Sshd;
    let target: Sshd;
    let key: KeyPair;
    let kh = '';
    const shell = (o: SshShellOptions = {}) =>
      new SshShell({ homeDir: home, localUser: 'root', env: {}, keyFile: key.privatePath, knownHostsFiles: [kh], connectTimeoutMs: 3000, ...o });

    before(async () => {
      const keys = join(work, 'keys-bastion');
      await mkdir(keys);
      key = await generateKey(keys, 'user');
      lab = await createBastionLab();
      bastion = await startSshd({ ns: lab.bastion.ns, address: lab.bastion.address, authorizedKeys: [key.publicLine], allowTcpForwarding: true });
      target = await startSshd({ ns: lab.node.ns, address: lab.node.address, authorizedKeys: [key.publicLine] });
      kh = await knownHosts(`${lab.bastion.address} ${bastion.hostKey}`, `${lab.node.address} ${target.hostKey}`);
      servers = [bastion, target];
    });
    after(async () => {
      await target?.stop();
      await bastion?.stop();
      await lab?.close();
    });

    const node = () => ({ name: 'inner-1', address: lab.node.address });

    test('the node cannot be reached directly', async () => {
      const e = await accessError(shell({ connectTimeoutMs: 1500 }).open(node()));
      assert.equal(e.what, `connect to ${lab.node.address}:22`);
    });

    test('jump reaches it, and both host keys are checked', async () => {
      const r = await withSession(shell({ jump: `root@${lab.bastion.address}` }), node(), (s) => s.run('ip-addr'));
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(r.stdout.includes(`"${lab.node.address}"`), r.stdout);
      assert.ok(!r.stdout.includes(`"${lab.bastion.address}"`), 'ran on the node, not the bastion');
    });

    test('ProxyJump from the ssh config, for a Host alias that maps the node name', async () => {
      const cfg = join(work, 'config-bastion');
      await writeFile(
        cfg,
        ['Host lab-bastion', `  HostName ${lab.bastion.address}`, '  User root', 'Host inner-*', `  HostName ${lab.node.address}`, '  User root', '  ProxyJump lab-bastion', ''].join('\n'),
      );
      const r = await withSession(shell({ configFile: cfg }), { name: 'inner-1', address: '10.213.255.254' }, (s) => s.run('iptables-version'));
      assert.equal(r.exitCode, 0, r.stderr);
    });

    test('an unknown bastion host key names the jump host', async () => {
      const file = await knownHosts(`${lab.node.address} ${target.hostKey}`);
      const e = await accessError(shell({ knownHostsFiles: [file], jump: lab.bastion.address }).open(node()));
      assert.equal(e.what, `verify the host key of jump host ${lab.bastion.address}:22, hop 1 of 1`);
      assert.ok(e.why.includes(bastion.fingerprint));
    });

    test('an unknown node host key behind the bastion suggests ssh -J', async () => {
      const file = await knownHosts(`${lab.bastion.address} ${bastion.hostKey}`);
      const e = await accessError(shell({ knownHostsFiles: [file], jump: `root@${lab.bastion.address}` }).open(node()));
      assert.equal(e.what, `verify the host key of ${lab.node.address}:22`);
      assert.ok(e.hint?.includes(`ssh -J root@${lab.bastion.address}:22 -p 22 root@${lab.node.address}`), e.hint);
    });

    test('a node behind the bastion that does not answer times out on our clock', async () => {
      await run('iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '2299', '-j', 'DROP'], { ns: lab.node.ns });
      const t0 = Date.now();
      const e = await accessError(shell({ jump: `root@${lab.bastion.address}`, port: 2299, connectTimeoutMs: 1500 }).open(node()));
      assert.equal(e.what, `reach ${lab.node.address}:2299 through jump host ${lab.bastion.address}`);
      assert.match(e.why, /got no answer from .* within 1\.5 s/);
      assert.ok(Date.now() - t0 < 4000);
    });

    test('a refused tunnel names the bastion and the node', async () => {
      const e = await accessError(shell({ jump: `root@${lab.bastion.address}`, port: 2298 }).open(node()));
      assert.equal(e.what, `reach ${lab.node.address}:2298 through jump host ${lab.bastion.address}`);
      assert.match(e.why, /connection was refused/);
    });
  });
}

/** ipvsadm is no test dependency, but a machine may have it (then it runs, and fails without ip_vs). */
function ipvsadmInstalled(): boolean {
  return existsSync('/usr/sbin/ipvsadm-save') || existsSync('/sbin/ipvsadm-save');
}
