/**
 * Flag handling at kubectl's standard: "did you mean" for unknown flags and commands, `help CMD`,
 * conflicting flags refused, files named by flags checked before anything is gathered, snapshot's
 * -f, version, --quiet and --no-color, gather errors said once, a readable --node-ip miss.
 * In-process through main() against the fake API server.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { checkHoldsNamespace } from '../../src/cli/snapshot-source.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { main } from '../../src/main.js';
import { apiLabPerFile } from '../support/api-lab.js';
import { runMain } from '../support/run-main.js';

const lab = apiLabPerFile('npd-flags-');
const dir = lab.dir;
const run = (args: string[]) => runMain(args, { HOME: dir });


test('an unknown flag: named, with the closest of the command\'s own flags, no raw parser text', async () => {
  for (const [args, said] of [
    [['diagnose', 'svc/frontend', '--nod', 'node-1'], /unknown flag "--nod"; did you mean --node\?/],
    [['scan', '--fail-no', 'none'], /unknown flag "--fail-no"; did you mean --fail-on\?/],
    [['trace', '--iptable', 'x'], /unknown flag "--iptable"; did you mean --iptables\?/],
    [['snapshot', '--redcat'], /unknown flag "--redcat"; did you mean --redact\?/],
    [['cleanup', '--frobnicate'], /unknown flag "--frobnicate"\n/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, said);
    assert.doesNotMatch(r.err, /Unknown option|To specify a positional/, 'not Node\'s own message');
  }
  // trace has no --redact: the suggestion comes from the command's own flags.
  assert.doesNotMatch((await run(['trace', '--redcat'])).err, /did you mean/);
});

test('flag values: missing, given to a switch, or swallowing the next flag', async () => {
  assert.match((await run(['diagnose', 'svc/frontend', '--node'])).err, /--node needs a value\n/);
  assert.match((await run(['diagnose', 'svc/frontend', '--all-nodes=yes'])).err, /--all-nodes takes no value \(got "yes"\)/);
  assert.match((await run(['diagnose', 'svc/frontend', '--node', '--all-nodes'])).err, /--node needs a value, got the flag "--all-nodes"/);
  // parseArgs reads `-n=-x` as the value "=-x": the hint names the long flag, which it reads as meant.
  assert.match((await run(['diagnose', 'svc/frontend', '-n', '-x'])).err, /-n needs a value, got the flag "-x" \(write --namespace=-x if that is the value\)/);
  assert.match((await run(['version', 'extra'])).err, /unexpected argument "extra"/);
});

test('an unknown command: did you mean, and help CMD is that command\'s help', async () => {
  const typo = await run(['diagnos', 'svc/frontend']);
  assert.equal(typo.code, 2);
  assert.match(typo.err, /unknown command "diagnos"; did you mean diagnose\?/);
  for (const name of ['diagnose', 'scan', 'snapshot', 'trace', 'checks', 'cleanup', 'tui', 'version', 'completion', 'demo']) {
    const r = await run(['help', name]);
    assert.equal(r.code, 0, name);
    assert.equal(r.out, (await run([name, '--help'])).out, `help ${name} is ${name} --help`);
    assert.match(r.out, new RegExp(`^Usage: np-doctor ${name}`));
    assert.equal(r.out.match(/-h, --help/g)?.length, 1, `${name}: -h, --help listed once (the common flags)`);
  }
  assert.match((await run(['help'])).out, /^np-doctor: why does this Kubernetes NodePort not answer\?/);
});

test('names an object has by inheritance are no command and no flag: exit 2, not a crash', async () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const r = await run([name]);
    assert.equal(r.code, 2, `${name}: ${r.err}`);
    assert.match(r.err, new RegExp(`unknown command "${name}"`));
    const flag = await run(['diagnose', 'svc/frontend', `--${name}`]);
    assert.equal(flag.code, 2, `--${name}: ${flag.err}`);
    assert.match(flag.err, new RegExp(`unknown flag "--${name}"`));
  }
});

test('conflicting flags are refused, naming both', async () => {
  for (const args of [
    ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--node', 'node-1', '--all-nodes'],
    ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--node-ip', '192.168.1.101', '--all-nodes'],
    ['snapshot', 'svc/frontend', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node', 'node-1', '--all-nodes', '-f', join(dir, 'x.json')],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /--node(-ip)? and --all-nodes exclude each other/);
  }
  assert.match((await run(['scan', '-n', 'shop', '-A', '--snapshot', 'demo'])).err, /-n and -A exclude each other/);
  assert.match((await run(['snapshot', 'svc/frontend', '-f', 'a.json', '-o', 'b.json'])).err, /-f and -o both name the file/);
});

test('files named by flags are checked before anything is gathered: exit 2, the flag and the path', async () => {
  const missing = join(dir, 'nope');
  const unreadable = join(dir, 'secret');
  writeFileSync(unreadable, 'x', { mode: 0o000 });
  const root = process.getuid?.() === 0;
  for (const flag of ['--ssh-key', '--ssh-config', '--ssh-known-hosts', '--plugin']) {
    const before = lab.server.requests.length;
    const r = await run(['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, flag, missing]);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.err, `np-doctor diagnose: ${flag} ${missing}: no such file\n`, 'one line, nothing gathered before it');
    assert.equal(lab.server.requests.length, before, `${flag}: the API server was not asked anything`);
    if (!root) assert.match((await run(['diagnose', 'svc/frontend', '--kubeconfig', lab.kubeconfig, flag, unreadable])).err, new RegExp(`${flag} \\S+secret: not readable`));
  }
  assert.match((await run(['scan', '--kubeconfig', missing])).err, /--kubeconfig \S+nope: no such file/);
  assert.match((await run(['scan', '--snapshot', dir])).err, /--snapshot \S+: is a directory/);
  assert.match((await run(['snapshot', 'svc/frontend', '--kubeconfig', lab.kubeconfig, '--node-dump', `node-1=${missing}`, '-f', join(dir, 'y.json')])).err, /--node-dump \S+nope: no such file/);
});

test('snapshot writes with -f; -o FILE still works, -o FORMAT is refused with a hint', async () => {
  for (const word of ['json', 'yaml', 'JSON', 'sarif', 'text']) {
    const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-o', word]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`-o ${word}: snapshot writes a file: use -f FILE`));
  }
  for (const flag of ['-f', '-o']) {
    const file = join(dir, `snap${flag}.json`);
    const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', flag, file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`wrote ${file.replace(/[.]/g, '\\.')}`));
  }
});

test('version and --version; -o json names np-doctor, its version, Node.js and the platform', async () => {
  const text = await run(['version']);
  assert.match(text.out, /^np-doctor \d+\.\d+\.\d+\n$/);
  assert.equal((await run(['--version'])).out, text.out);
  const json = JSON.parse((await run(['version', '-o', 'json'])).out) as Record<string, string>;
  assert.deepEqual(Object.keys(json), ['name', 'version', 'node', 'platform']);
  assert.equal(json.node, process.version);
  assert.equal(json.platform, `${process.platform}/${process.arch}`);
  assert.equal(`np-doctor ${json.version}\n`, text.out);
});

/** main() with stdout a terminal: colours on unless told otherwise. */
async function inTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { HOME: dir, ...env }, isTTY: true, columns: 100 };
  return { code: await main(args, io), out, err };
}

test('--no-color and NO_COLOR: no colour sequences on a terminal; without them, colours', async () => {
  // eslint-disable-next-line no-control-regex -- colour sequences are what this test looks for
  const SGR = /\x1b\[[0-9;]*m/;
  const args = ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--no-tui'];
  assert.match((await inTerminal(args)).out, SGR, 'a terminal gets colours');
  assert.doesNotMatch((await inTerminal([...args, '--no-color'])).out, SGR);
  assert.doesNotMatch((await inTerminal(args, { NO_COLOR: '1' })).out, SGR);
  assert.doesNotMatch((await inTerminal(['trace', '--snapshot', 'demo', '--node', 'node-1', '--to', '192.168.1.101:30080', '--no-color'])).out, SGR);
});

test('--quiet: the result alone, nothing on stderr; errors still are', async () => {
  const loud = await run(['demo']);
  assert.match(loud.err, /bundled demo snapshot/);
  const quiet = await run(['demo', '--quiet']);
  assert.equal(quiet.code, 1);
  assert.equal(quiet.err, '');
  assert.equal(quiet.out, loud.out);
  const snap = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-q', '-f', join(dir, 'q.json')]);
  assert.equal(snap.code, 0);
  assert.equal(snap.err, '', 'no "wrote" note');
  const bad = await run(['scan', '-q', '--snapshot', 'demo', '-n', 'default']);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /no data for namespace default/);
});

test('what could not be gathered is said once: in the diagnose Report, on stderr for scan', async () => {
  const refused = lab.server.fail({ path: /networkpolicies/, status: 403 });
  try {
    const d = await run(['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none']);
    // The problem's remedy is printed with the problem itself, and only there (skipped checks name the problem, not the fix).
    // Text is wrapped to a width: count in the words, not in lines.
    const mentions = (s: string) => s.replace(/\s+/g, ' ').split('needs "list" on networkpolicies').length - 1;
    assert.equal(mentions(d.out), 1, d.out);
    assert.equal(mentions(d.err), 0, d.err);
    const s = await run(['scan', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none']);
    assert.equal(mentions(s.err), 1, s.err);
    assert.equal(mentions(s.out), 0, s.out);
  } finally {
    refused.remove();
  }
});

test('--node-ip that no node has: the nodes one a line, each with its IP addresses', async () => {
  const r = await run(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--node-ip', '10.9.9.9']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--node-ip 10\.9\.9\.9: no node has this address; the nodes are:\n {2}node-1: 192\.168\.1\.101, fd00:192:168:1::101\n {2}node-2: 192\.168\.1\.102, fd00:192:168:1::102\n {2}node-3: /);
});

test('scan of a namespace the snapshot was not gathered for: 3, naming what it holds', async () => {
  const r = await run(['scan', '--snapshot', 'demo', '-n', 'default']);
  assert.equal(r.code, 3);
  assert.equal(r.out, '', 'no "no NodePort Services" line: that would be a clean bill');
  assert.match(r.err, /has no data for namespace default: it was gathered for namespace shop; use -n shop/);
});

test('namespaces a snapshot names are cut at 63 characters in that message, and at most 10 are listed', () => {
  // Loading refuses a namespace that is no DNS label; the message bounds them all the same (a snapshot held in memory is not reloaded).
  const demo = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as Snapshot;
  const service = demo.cluster.services[0]!;
  const snapshot = {
    ...demo,
    target: { ...demo.target, namespace: 'n'.repeat(5000) },
    cluster: { ...demo.cluster, services: Array.from({ length: 12 }, (_, i) => ({ ...service, metadata: { ...service.metadata, namespace: `${'m'.repeat(200)}${String(i).padStart(2, '0')}` } })) },
  };
  assert.throws(() => checkHoldsNamespace(snapshot, 'default', 'x.json'), (e: Error) => {
    assert.match(e.message, new RegExp(`gathered for namespace ${'m'.repeat(63)}…, `));
    assert.match(e.message, new RegExp(`, … \\(13 in all\\); use -n ${'n'.repeat(63)}…, or gather default`));
    assert.ok(!e.message.includes('m'.repeat(64)) && !e.message.includes('n'.repeat(64)), 'no namespace shown whole');
    return true;
  });
});
