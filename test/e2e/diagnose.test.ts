/**
 * The diagnose issue's acceptance, through the binary a user runs: against the fake API server
 * and the scenario kit's cluster as a namespace lab whose shop/frontend has externalTrafficPolicy
 * Local with its only pod on node-2, `np-doctor diagnose` names node-1 as a node that drops, the
 * rule line in KUBE-EXTERNAL-SERVICES (as iptables-save prints it on that node), and node-2 as the
 * node that works; it exits 1; its JSON validates against schema/report.v1.json. Over SSH and
 * debug pods.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Report } from '../../src/report/model.js';
import { run } from '../kernel/lab/exec.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { startClusterLab, type ClusterLab } from '../support/cluster-lab.js';
import { cli } from './cli.js';

const problem = missingPrerequisites() ?? (existsSync('/usr/sbin/sshd') ? null : 'missing /usr/sbin/sshd (openssh-server)');
const runs = labGate('diagnose acceptance tests', problem, 'root, the kernel lab tools and openssh-server');

const schema = JSON.parse(readFileSync('schema/report.v1.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

describe('np-doctor diagnose against the fake API server and the kit\'s cluster lab (eTP Local, pod on node-2 only)', { skip: !runs }, () => {
  let lab: ClusterLab;
  /** The line of kube-proxy's "has no local endpoints" DROP in node-1's own iptables-save output. */
  let dropLine = 0;
  before(async () => {
    lab = await startClusterLab('etp-local');
    const dump = (await run('iptables-nft-save', [], { ns: lab.nodes[0]!.ns })).stdout.split('\n');
    dropLine = dump.findIndex((l) => l.includes('has no local endpoints')) + 1;
    assert.ok(dropLine > 0, 'node-1 has the DROP rule loaded');
  });
  after(async () => {
    await lab?.close();
  });

  const base = () => ['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig];
  const ssh = () => ['--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', lab.userKey.privatePath, '--ssh-known-hosts', lab.knownHosts];

  test('--collect ssh, text: the verdict first, the dropping rule, the nodes that work; exit 1', async () => {
    const r = await cli(lab, [...base(), '--node', 'node-1', ...ssh()]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.split('\n')[0], '✗ shop/frontend: times out via node-1 — etp-local-no-local-endpoint');
    // The text wraps to 80 columns piped: its indented lines joined back, the verdict follows the headline.
    const flat = r.stdout.replace(/\n +/g, ' ');
    assert.match(flat, /^✗ [^\n]* — etp-local-no-local-endpoint connections to 192\.168\.1\.101:30080 time out: [^\n]*node-2/, 'the verdict names the node that would work');
    assert.match(flat, new RegExp(`node-1 filter/KUBE-EXTERNAL-SERVICES line ${dropLine} \\(node-1:iptables-nft-save\\): -A KUBE-EXTERNAL-SERVICES .*has no local endpoints.* -j DROP`));
    assert.match(r.stdout, /etp-local-no-local-endpoint/);
  });

  test('--collect debug-pod, JSON: validates against the published schema; per-node verdict and top finding', async () => {
    const r = await cli(lab, [...base(), '--all-nodes', '--collect', 'debug-pod', '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr with -o json');
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(validate(report), true, JSON.stringify(validate.errors));
    assert.equal(report.apiVersion, 'np-doctor/v1');
    assert.deepEqual(report.verdict.nodes.map((n) => [n.node, n.result]), [['node-1', 'timeout'], ['node-2', 'delivered'], ['node-3', 'timeout']]);
    const top = report.findings[0];
    assert.equal(top?.id, 'etp-local-no-local-endpoint');
    assert.equal(top?.node, 'node-1');
    const rule = top?.evidence.find((e) => e.kind === 'rule');
    assert.deepEqual(rule && rule.kind === 'rule' ? [rule.node, rule.table, rule.chain, rule.line] : null, ['node-1', 'filter', 'KUBE-EXTERNAL-SERVICES', dropLine]);
  });

  test('the node with the pod answers: exit 0, delivered, and the saved snapshot replays offline to the same report', async () => {
    const saved = join(lab.dir, 'diag.json');
    const live = await cli(lab, [...base(), '--node', 'node-2', ...ssh(), '--save-snapshot', saved, '-o', 'json']);
    assert.equal(live.code, 0, live.stdout);
    const offline = await cli(lab, ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', saved, '--node', 'node-2', '-o', 'json']);
    assert.equal(offline.code, 0);
    const [a, b] = [JSON.parse(live.stdout) as Report, JSON.parse(offline.stdout) as Report];
    assert.deepEqual(a.verdict, b.verdict);
    assert.deepEqual(a.verdict.nodes.map((n) => n.result), ['delivered']);
  });

  test('usage errors exit 2 and say what is wrong', async () => {
    const r = await cli(lab, [...base(), '--fail-on', 'sometimes']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail-on sometimes: use error, warning, info, none/);
    const bad = await cli(lab, [...base(), '--snapshot', 'demo', '--collect', 'ssh']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kubeconfig, --collect only apply when gathering live/);
  });
});
