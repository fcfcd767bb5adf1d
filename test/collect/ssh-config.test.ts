/**
 * ssh config resolution (what `ssh HOST` would use) and jump host lists, without any server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConfig, SshConfigError, expandTokens, loadSshConfig } from '../../src/collect/node/ssh-config.js';
import { JumpSpecError, parseJumpList } from '../../src/collect/node/ssh-jump.js';

const ctx = { homeDir: '/home/ann', localUser: 'ann' };
const cfg = (...lines: string[]) => SshConfig.parse(`${lines.join('\n')}\n`, 'test-config');

describe('SshConfig.mapsHost', () => {
  const c = cfg('Host bastion', '  HostName 203.0.113.1', 'Host worker-* !worker-bad', '  User core', 'Host * !gate', '  User everyone', 'Host *', '  ServerAliveInterval 5');

  test('a Host pattern other than a bare * maps the name', () => {
    assert.ok(c.mapsHost('worker-1'));
    assert.ok(c.mapsHost('bastion'));
    assert.ok(c.mapsHost('WORKER-2'));
  });

  test('catch-alls and negated names do not', () => {
    assert.ok(!c.mapsHost('master-1'));
    assert.ok(!c.mapsHost('worker-bad'));
    assert.ok(!c.mapsHost('gate'));
  });
});

describe('SshConfig.resolve', () => {
  test('HostName, User, Port, IdentityFile and ProxyJump from the matching blocks, first value wins', () => {
    const c = cfg(
      'Host worker-*',
      '  HostName %h.nodes.internal',
      '  User core',
      '  IdentityFile ~/.ssh/cluster_%r',
      '  ProxyJump admin@bastion:2200',
      'Host *',
      '  User root',
      '  Port 2222',
      '  IdentityFile %d/.ssh/id_%u_%h_%p_%n_%%',
    );
    const s = c.resolve('worker-1', ctx);
    assert.equal(s.hostName, 'worker-1.nodes.internal');
    assert.equal(s.user, 'core');
    assert.equal(s.port, 2222);
    assert.equal(s.proxyJump, 'admin@bastion:2200');
    assert.deepEqual(s.identityFiles, [
      '/home/ann/.ssh/cluster_core',
      '/home/ann/.ssh/id_ann_worker-1.nodes.internal_2222_worker-1_%',
    ]);
  });

  test('flags beat the file, and tokens see the flag values', () => {
    const c = cfg('Host n1', '  User core', '  Port 2222', '  IdentityFile ~/k_%r_%p');
    const s = c.resolve('n1', { ...ctx, user: 'admin', port: 22 });
    assert.equal(s.user, 'admin');
    assert.equal(s.port, 22);
    assert.deepEqual(s.identityFiles, ['/home/ann/k_admin_22']);
  });

  test('defaults: the alias itself, port 22, the local user', () => {
    const s = SshConfig.empty().resolve('10.0.0.5', ctx);
    assert.deepEqual(
      [s.hostName, s.port, s.user, s.identityFiles, s.proxyJump, s.hostKeyAlias],
      ['10.0.0.5', 22, 'ann', [], undefined, undefined],
    );
  });

  test('ProxyJump none, ProxyCommand, HostKeyAlias, UserKnownHostsFile, ConnectTimeout, IdentitiesOnly', () => {
    const c = cfg(
      'Host n1',
      '  ProxyJump none',
      '  ProxyCommand nc %h %p',
      '  HostKeyAlias cluster-node',
      '  UserKnownHostsFile ~/.ssh/kh_cluster /etc/kh_%h',
      '  ConnectTimeout 4',
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
    );
    const s = c.resolve('n1', ctx);
    assert.equal(s.proxyJump, undefined);
    assert.equal(s.proxyCommand, 'nc %h %p');
    assert.equal(s.hostKeyAlias, 'cluster-node');
    assert.deepEqual(s.userKnownHostsFiles, ['/home/ann/.ssh/kh_cluster', '/etc/kh_n1']);
    assert.equal(s.connectTimeoutMs, 4000);
    assert.equal(s.identitiesOnly, true);
    assert.equal(s.strictHostKeyChecking, 'no');
  });

  test('directive names are case-insensitive, host names too', () => {
    const c = cfg('host Worker-1', '  hostname 10.0.0.9', '  user core');
    const s = c.resolve('worker-1', ctx);
    assert.equal(s.hostName, '10.0.0.9');
    assert.equal(s.user, 'core');
  });

  test('a bad port or an unknown token is an SshConfigError naming the host', () => {
    assert.throws(() => cfg('Host a', '  Port ssh').resolve('a', ctx), (e) => e instanceof SshConfigError && /Port "ssh"/.test(e.message) && /Host a/.test(e.message));
    assert.throws(() => cfg('Host a', '  IdentityFile ~/.ssh/%k').resolve('a', ctx), (e) => e instanceof SshConfigError && /unknown token %k/.test(e.message));
  });

  test('Match exec is never run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npd-sshcfg-'));
    try {
      const marker = join(dir, 'ran');
      const c = cfg(`Match exec "touch ${marker}"`, '  User pwned', 'Host *', '  User fine');
      assert.equal(c.resolve('n1', ctx).user, 'fine');
      assert.ok(!existsSync(marker), 'Match exec ran a command');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('expandTokens', () => {
  test('~ only at the start, %% is a percent', () => {
    const t = { d: '/h', h: 'x', '%': '%' };
    assert.equal(expandTokens('~/a', t, 's'), '/h/a');
    assert.equal(expandTokens('~', t, 's'), '/h');
    assert.equal(expandTokens('/a/~/b', t, 's'), '/a/~/b');
    assert.equal(expandTokens('100%%-%h', t, 's'), '100%-x');
  });
});

describe('loadSshConfig', () => {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'npd-sshcfg-home-'));
    await mkdir(join(home, '.ssh', 'config.d'), { recursive: true });
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('a missing default file is an empty config; a missing explicit one is an error', async () => {
    const c = await loadSshConfig(join(home, 'nope'), { homeDir: home, required: false });
    assert.equal(c.resolve('n', { homeDir: home, localUser: 'u' }).hostName, 'n');
    await assert.rejects(loadSshConfig(join(home, 'nope'), { homeDir: home, required: true }), (e) => e instanceof SshConfigError && /no such file/.test(e.message));
  });

  test('Include: relative to ~/.ssh, with wildcards, in order, missing targets ignored', async () => {
    await writeFile(join(home, '.ssh', 'config.d', '10-cluster.conf'), 'Host worker-*\n  User core\n');
    await writeFile(join(home, '.ssh', 'config.d', '20-other.conf'), 'Host worker-*\n  User ignored\n  Port 2200\n');
    await writeFile(join(home, '.ssh', 'config'), 'Include config.d/*.conf ~/.ssh/absent\nHost *\n  User root\n');
    const c = await loadSshConfig(join(home, '.ssh', 'config'), { homeDir: home, required: true });
    const s = c.resolve('worker-1', { homeDir: home, localUser: 'u' });
    assert.equal(s.user, 'core');
    assert.equal(s.port, 2200);
    assert.ok(c.mapsHost('worker-1'));
  });

  test('an Include loop is an error, not a hang', async () => {
    await writeFile(join(home, '.ssh', 'loop'), 'Include ~/.ssh/loop\n');
    await assert.rejects(loadSshConfig(join(home, '.ssh', 'loop'), { homeDir: home, required: true }), (e) => e instanceof SshConfigError && /Include nested/.test(e.message));
  });
});

describe('parseJumpList', () => {
  test('ssh -J forms', () => {
    assert.deepEqual(parseJumpList('bastion'), [{ user: undefined, host: 'bastion', port: undefined }]);
    assert.deepEqual(parseJumpList('admin@bastion:2200,core@10.0.0.1'), [
      { user: 'admin', host: 'bastion', port: 2200 },
      { user: 'core', host: '10.0.0.1', port: undefined },
    ]);
    assert.deepEqual(parseJumpList('ssh://admin@[fd00::1]:2200'), [{ user: 'admin', host: 'fd00::1', port: 2200 }]);
    assert.deepEqual(parseJumpList('fd00::1'), [{ user: undefined, host: 'fd00::1', port: undefined }]);
    assert.deepEqual(parseJumpList('none'), []);
    assert.deepEqual(parseJumpList(''), []);
  });

  test('bad lists name the problem', () => {
    assert.throws(() => parseJumpList('bastion:ssh'), (e) => e instanceof JumpSpecError && /"ssh" in "bastion:ssh" is not a port number/.test(e.message));
    assert.throws(() => parseJumpList('admin@'), JumpSpecError);
    assert.throws(() => parseJumpList('@bastion'), JumpSpecError);
    assert.throws(() => parseJumpList('a,,b'), JumpSpecError);
  });
});
