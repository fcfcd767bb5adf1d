/**
 * known_hosts parsing and matching, without any server: keys are built in the test (Ed25519 and
 * ECDSA public key blobs in SSH wire format), hashed entries are computed with HMAC-SHA1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  loadKnownHosts,
  parseKnownHosts,
  type KnownHostEntry,
} from '../../src/collect/node/known-hosts.js';
import { matchPattern, matchPatternList } from '../../src/collect/node/ssh-pattern.js';

/** An SSH wire-format string: uint32 length, then the bytes. */
const sshString = (b: Buffer | string): Buffer => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};

function ed25519Blob(): Buffer {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x ?? '', 'base64url'))]);
}

function ecdsaBlob(): Buffer {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  return Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(point)]);
}

const keyField = (blob: Buffer) => `${keyTypeOf(blob) ?? '?'} ${blob.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const entry = (hosts: string, blob = ed25519Blob()): KnownHostEntry => {
  const { entries } = parseKnownHosts(`${hosts} ${keyField(blob)}\n`, 'kh');
  assert.equal(entries.length, 1);
  return entries[0] as KnownHostEntry;
};

describe('host patterns', () => {
  test('* matches any run, ? exactly one character', () => {
    assert.ok(matchPattern('node-12.example.com', 'node-*.example.com'));
    assert.ok(matchPattern('node-', 'node-*'));
    assert.ok(matchPattern('node-1', 'node-?'));
    assert.ok(!matchPattern('node-', 'node-?'));
    assert.ok(!matchPattern('node-12', 'node-?'));
    assert.ok(matchPattern('a.b.c', '*.*'));
    assert.ok(!matchPattern('abc', 'a*d'));
    assert.ok(matchPattern('10.0.3.7', '10.0.*.?'));
  });

  test('case does not matter (OpenSSH lowercases host names)', () => {
    assert.ok(matchPattern('Node-1.Example.COM', 'node-*.example.com'));
  });

  test('regex characters are literal', () => {
    assert.ok(matchPattern('[10.0.0.1]:2222', '[10.0.0.1]:2222'));
    assert.ok(!matchPattern('10x0x0x1', '10.0.0.1'));
    assert.ok(matchPattern('a+b(c)', 'a+b(c)'));
  });

  test('a matching negation rejects the whole list', () => {
    assert.ok(matchPatternList('node-1', ['node-*', '!node-9']));
    assert.ok(!matchPatternList('node-9', ['node-*', '!node-9']));
    assert.ok(!matchPatternList('node-9', ['!node-9', '*']));
    // Negations alone never match anything.
    assert.ok(!matchPatternList('node-1', ['!node-9']));
  });
});

describe('known_hosts names and fingerprints', () => {
  test('port 22 is the bare name, other ports are [host]:port', () => {
    assert.equal(knownHostsName('Node-1', 22), 'node-1');
    assert.equal(knownHostsName('10.0.0.5', 2222), '[10.0.0.5]:2222');
    assert.equal(knownHostsName('fd00::5', 2222), '[fd00::5]:2222');
  });

  test('fingerprints are SHA256 and unpadded base64, as ssh-keygen -l prints them', () => {
    // ssh-keygen -lf printed SHA256:MYHc37LNA8Fc5BVjq9ED/DAI1pxHPpqGnPPMjhfZyGw for this key.
    const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIGSnu1/OTD1BMZ4Qul5F40WVjrkCaRSBqoSN9GdSBJ06', 'base64');
    assert.equal(fingerprint(blob), 'SHA256:MYHc37LNA8Fc5BVjq9ED/DAI1pxHPpqGnPPMjhfZyGw');
    assert.equal(keyTypeOf(blob), 'ssh-ed25519');
  });

  test('keyTypeOf rejects what is not a key blob', () => {
    assert.equal(keyTypeOf(Buffer.from('hello')), undefined);
    assert.equal(keyTypeOf(Buffer.alloc(0)), undefined);
  });
});

describe('parseKnownHosts', () => {
  test('skips comments and blank lines and keeps line numbers', () => {
    const a = ed25519Blob();
    const b = ecdsaBlob();
    const text = `# managed by hand\n\n   \nnode-1,10.0.0.5 ${keyField(a)} root@laptop\n  # indented comment\n[10.0.0.6]:2222 ${keyField(b)}\n`;
    const { entries, problems } = parseKnownHosts(text, '/home/u/.ssh/known_hosts');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      entries.map((e) => [e.line, e.hosts, e.keyType, e.marker]),
      [
        [4, ['node-1', '10.0.0.5'], 'ssh-ed25519', undefined],
        [6, ['[10.0.0.6]:2222'], 'ecdsa-sha2-nistp256', undefined],
      ],
    );
    assert.ok(entries[0]?.key.equals(a));
    assert.equal(entries[0]?.file, '/home/u/.ssh/known_hosts');
  });

  test('reads markers and reports bad lines without giving up', () => {
    const k = ed25519Blob();
    const text = [
      `@revoked * ${keyField(k)}`,
      `@cert-authority *.example.com ${keyField(k)}`,
      `@bogus host ${keyField(k)}`,
      'host-only',
      `host ssh-rsa ${k.toString('base64')}`,
      'host 2048 65537 12345678901234567890',
      `ok-host ${keyField(k)}`,
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, 'kh');
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker]),
      [
        [1, 'revoked'],
        [2, 'cert-authority'],
        [7, undefined],
      ],
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.problem]),
      [
        [3, 'unknown marker @bogus'],
        [4, 'expected hosts, key type and key'],
        [5, 'the key does not decode to a ssh-rsa key'],
        [6, 'SSH-1 key (not supported)'],
      ],
    );
  });
});

describe('matching entries to hosts', () => {
  test('comma lists, wildcards and negation', () => {
    const e = entry('node-*.lab,10.0.0.?,!node-bad.lab');
    assert.ok(entryMatches(e, 'node-1.lab'));
    assert.ok(entryMatches(e, '10.0.0.7'));
    assert.ok(!entryMatches(e, '10.0.0.17'));
    assert.ok(!entryMatches(e, 'node-bad.lab'));
    assert.ok(!entryMatches(e, 'other.lab'));
  });

  test('[host]:port entries match only that port', () => {
    const e = entry('[10.0.0.5]:2222');
    assert.ok(entryMatches(e, knownHostsName('10.0.0.5', 2222)));
    assert.ok(!entryMatches(e, knownHostsName('10.0.0.5', 22)));
    assert.ok(!entryMatches(entry('10.0.0.5'), knownHostsName('10.0.0.5', 2222)));
    assert.ok(entryMatches(entry('[10.0.0.*]:2222'), '[10.0.0.9]:2222'));
  });

  test('hashed entries match the HMAC-SHA1 of the name, [host]:port included', () => {
    assert.ok(entryMatches(entry(hashed('10.0.0.5')), '10.0.0.5'));
    assert.ok(!entryMatches(entry(hashed('10.0.0.5')), '10.0.0.6'));
    assert.ok(entryMatches(entry(hashed('[10.0.0.5]:2222')), '[10.0.0.5]:2222'));
    assert.ok(!entryMatches(entry(hashed('[10.0.0.5]:2222')), '10.0.0.5'));
    // Names are compared lowercased, as OpenSSH hashes them.
    assert.ok(entryMatches(entry(hashed('node-1')), 'NODE-1'));
    // Malformed hashes never match.
    assert.ok(!entryMatches(entry('|1|bm90IGEgaGFzaA==|short'), 'anything'));
    assert.ok(!entryMatches(entry('|2|c2FsdA==|aGFzaA=='), 'anything'));
  });
});

describe('KnownHosts.check', () => {
  const load = async (text: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'npd-kh-'));
    try {
      await writeFile(join(dir, 'known_hosts'), text);
      return (await loadKnownHosts([join(dir, 'missing'), join(dir, 'known_hosts')])).knownHosts;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test('known, changed (same type, other key), unknown (only other types)', async () => {
    const good = ed25519Blob();
    const old = ed25519Blob();
    const ec = ecdsaBlob();
    const kh = await load(`10.0.0.5 ${keyField(good)}\n10.0.0.6 ${keyField(old)}\n10.0.0.7 ${keyField(ec)}\n`);
    assert.equal(kh.check('10.0.0.5', good).status, 'known');
    const changed = kh.check('10.0.0.6', good);
    assert.equal(changed.status, 'changed');
    assert.equal(changed.status === 'changed' ? changed.entries[0]?.line : 0, 2);
    const unknown = kh.check('10.0.0.7', good);
    assert.equal(unknown.status, 'unknown');
    assert.deepEqual(unknown.status === 'unknown' ? unknown.otherKeys.map((e) => e.keyType) : [], ['ecdsa-sha2-nistp256']);
    assert.equal(kh.check('10.0.0.8', good).status, 'unknown');
  });

  test('several keys for one host: any of them is fine', async () => {
    const a = ed25519Blob();
    const b = ed25519Blob();
    const kh = await load(`node-1 ${keyField(a)}\nnode-1 ${keyField(b)}\n`);
    assert.equal(kh.check('node-1', b).status, 'known');
  });

  test('@revoked refuses a key even where a plain line trusts it', async () => {
    const k = ed25519Blob();
    const kh = await load(`node-1 ${keyField(k)}\n@revoked * ${keyField(k)}\n`);
    const v = kh.check('node-1', k);
    assert.equal(v.status, 'revoked');
    assert.equal(v.status === 'revoked' ? v.entry.line : 0, 2);
  });

  test('@cert-authority lines are never trusted, only reported', async () => {
    const ca = ed25519Blob();
    const kh = await load(`@cert-authority *.lab ${keyField(ca)}\n`);
    assert.equal(kh.check('node-1.lab', ca).status, 'unknown');
    assert.equal(kh.certAuthoritiesFor('node-1.lab').length, 1);
    assert.equal(kh.certAuthoritiesFor('other').length, 0);
    assert.deepEqual(kh.keysFor('node-1.lab'), []);
  });

  test('a missing file is empty; an unreadable one is a problem', async () => {
    const { knownHosts, problems } = await loadKnownHosts(['/nonexistent/known_hosts', '/']);
    assert.equal(knownHosts.entries.length, 0);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.problem ?? '', /cannot read/);
  });
});
