/**
 * The canary test of `--redact`: a cluster (the scenario kit's, in iptables and in nftables mode)
 * where every name, public address, image, token, login user, key file, fingerprint and process is
 * a recognisable canary, plus every UID, container ID, MAC and kube-proxy chain hash the kit
 * generates. After redaction none of them is anywhere in the serialized snapshot, the snapshot
 * still passes the load-time checks, and it diagnoses to the same findings as the original.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { parseSnapshot, serializeSnapshot } from '../../src/snapshot/file.js';
import { redactSnapshot } from '../../src/snapshot/redact.js';
import type { KubeObject, Snapshot } from '../../src/snapshot/schema.js';
import etpIptables from '../scenarios/etp-local-pod-elsewhere/scenario.js';
import etpNftables from '../scenarios/nftables-etp-local-pod-elsewhere/scenario.js';
import type { Scenario } from '../scenarios/scenario.js';
import { buildScenarioSnapshot, type ClusterSpec } from '../support/scenario-kit/index.js';

const MARK = 'zqcanary';

/** The kit's names, images and context, each replaced by a canary (whole words, one pass). */
const RENAMES: Record<string, string> = {
  shop: `${MARK}-ns`,
  frontend: `${MARK}-web`,
  backend: `${MARK}-api`,
  'node-1': `${MARK}-node-1`,
  'node-2': `${MARK}-node-2`,
  'node-3': `${MARK}-node-3`,
  'nginxinc/nginx-unprivileged': `registry.${MARK}.example/web`,
  'ghcr.io/example': `registry.${MARK}.example`,
  'kubernetes-admin': `${MARK}-admin`,
};
const PUBLIC = ['203.0.113.201', '198.51.100.202', '192.0.2.203'];
const TOKEN = `${MARK}-bearer-token`;
const PID = '987654';
const FINGERPRINT = `SHA256:${MARK}FiNgErPrInT0123456789abcdefghijklmn`;

function canarySpec(spec: ClusterSpec): ClusterSpec {
  const names = Object.keys(RENAMES).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const re = new RegExp(`(?<![A-Za-z0-9])(?:${names.join('|')})(?![A-Za-z0-9])`, 'g');
  const out = JSON.parse(JSON.stringify(spec).replace(re, (m) => RENAMES[m]!)) as ClusterSpec;
  out.nodes.forEach((n, i) => (n.externalIP = PUBLIC[i]));
  return out;
}

/** Secrets an older np-doctor stored, and what gathering records about reaching the nodes. */
function addCanaries(s: Snapshot): void {
  const pod = s.cluster.pods.find((p) => p.metadata.namespace === `${MARK}-ns`)!;
  const c = (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!;
  c.readinessProbe = { httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'Authorization', value: `Bearer ${TOKEN}` }] } };
  c.env = [{ name: 'PASSWORD', value: `${MARK}-env-value` }];
  c.lifecycle = { preStop: { exec: { command: ['curl', `https://${MARK}-hook.example/drain`] } } };
  pod.metadata.annotations = { 'vault.hashicorp.com/role': `${MARK}-role` };
  const ds = s.cluster.kubeProxy.daemonSet as KubeObject & { spec: { template: { spec: { containers: { command?: string[] }[] } } } };
  ds.spec.template.spec.containers[0]!.command = [...ds.spec.template.spec.containers[0]!.command ?? ['/usr/local/bin/kube-proxy'], `--db-password=${MARK}-db-password`];
  const node = s.nodes[1]!;
  const ss = node.commands['listening-sockets']!;
  node.commands['listening-sockets'] = { ...ss, stdout: `${ss.stdout}tcp   LISTEN 0      4096         0.0.0.0:9100       0.0.0.0:*    users:(("${MARK}-agent",pid=${PID},fd=7))\n` };
  const ipset = node.commands['ipset-list']!;
  node.commands['ipset-list'] = { ...ipset, stderr: `np-doctor: sudo says a password is required for ${MARK}-user to run "ipset list" as root, and np-doctor never types one (it runs "sudo -n"): allow it without a password with the sudoers rule "${MARK}-user ALL=(root) NOPASSWD: <path of ipset>".\n` };
  s.errors.push(
    { stage: 'node', node: `${MARK}-node-9`, what: `authenticate as ${MARK}-user@${MARK}-bastion.example (jump host ${MARK}-jump (203.0.113.209:22), hop 1 of 2)`,
      why: `the server refused every key tried: ~/.ssh/${MARK}_deploy_key, ssh-agent (/tmp/ssh-${MARK}/agent.42); host key ${FINGERPRINT}`, hint: `check /home/${MARK}/.ssh/config` },
    { stage: 'cluster', what: 'list networkpolicies.networking.k8s.io in namespace kube-public', why: `Forbidden (403): User "${MARK}@corp.example" cannot list resource "networkpolicies"` },
    // The step names the namespace as data as well as in words.
    { stage: 'cluster', step: { kind: 'api', verb: 'list', resource: 'networkpolicies.networking.k8s.io', namespace: `${MARK}-ns` },
      what: `list networkpolicies.networking.k8s.io in namespace ${MARK}-ns`, why: 'Forbidden (403)' },
  );
}

/** What must not survive: the canaries, and every generated ID, MAC and chain hash of the original. */
function secretsOf(s: Snapshot): string[] {
  const text = JSON.stringify(s);
  const found = (re: RegExp) => [...new Set([...text.matchAll(re)].map((m) => m[1] ?? m[0]))];
  const uids = found(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g);
  const hex64 = found(/(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g);
  const macs = found(/(?<![0-9a-f:])((?:[0-9a-f]{2}:){5}[0-9a-f]{2})(?![0-9a-f:])/g).filter((m) => !/^(00:)+00$|^(ff:)+ff$/.test(m));
  const hashes = found(/KUBE-(?:SVC|SVL|EXT|FW|SEP|XLB)-([A-Z2-7]{16})/g).concat(found(/(?:service|local|external|endpoint|affinity)-([A-Z2-7]{8})-/g));
  for (const [what, list] of Object.entries({ uids, hex64, macs, hashes })) assert.ok(list.length > 0, `the original holds ${what}, so the test can fail`);
  return [...Object.values(RENAMES), ...PUBLIC, '203.0.113.209', TOKEN, PID, FINGERPRINT, `pid=${PID}`, ...uids, ...hex64, ...macs, ...hashes];
}

const findingIds = async (s: Snapshot, target: { namespace: string; service: string }): Promise<string[]> =>
  (await diagnose(s, target, { checks: CHECKS })).findings.map((f) => `${f.severity} ${f.id}`).sort();

describe('--redact leaves no canary behind and keeps the diagnosis', () => {
  for (const [mode, scenario] of [['iptables', etpIptables], ['nftables', etpNftables]] as [string, Scenario][]) {
    test(`kube-proxy in ${mode} mode`, async () => {
      const target = { namespace: `${MARK}-ns`, service: `${MARK}-web` };
      const original = buildScenarioSnapshot(canarySpec(scenario.spec), { target });
      addCanaries(original);
      const secrets = secretsOf(original);
      const before = JSON.stringify(original);
      for (const s of secrets) assert.ok(before.includes(s), `the original holds ${s}`);

      const redacted = redactSnapshot(original);
      const text = serializeSnapshot(redacted, false).toString('utf8');
      const left = secrets.filter((s) => text.includes(s));
      assert.deepEqual(left, [], 'canaries that survived redaction');
      assert.doesNotMatch(text, new RegExp(MARK, 'i'));

      // It still loads (identifier rules, schema) and says the same.
      const reloaded = parseSnapshot(Buffer.from(text), 'redacted.json');
      const want = (await findingIds(original, target)).filter((f) => !f.startsWith('info'));
      assert.deepEqual(want.map((f) => f.split(' ')[1]).sort(), [...scenario.expect.findings].sort(), 'the canary cluster is the scenario');
      const got = await findingIds(reloaded, { namespace: reloaded.target.namespace!, service: reloaded.target.service! });
      assert.deepEqual(got, await findingIds(original, target));
    });
  }

  test('chain hashes map the same way in every dump of every node, and keep their shape', () => {
    const original = buildScenarioSnapshot(canarySpec(etpIptables.spec), { target: { namespace: `${MARK}-ns`, service: `${MARK}-web` } });
    const redacted = redactSnapshot(original);
    const chains = (s: Snapshot, node: number, id: string) => new Set(s.nodes[node]!.commands[id]!.stdout.match(/KUBE-(?:SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}/g) ?? []);
    for (const s of [original, redacted]) {
      const saved = chains(s, 0, 'iptables-nft-save');
      assert.ok(saved.size > 5);
      assert.deepEqual(chains(s, 0, 'nft-ruleset'), saved, 'iptables-nft-save and the nft JSON name the same chains');
      const svc = (n: number) => [...chains(s, n, 'iptables-nft-save')].filter((c) => c.startsWith('KUBE-SVC-')).sort();
      assert.deepEqual(svc(1), svc(0), 'a Service port has the same chain on every node');
    }
    assert.equal([...chains(redacted, 0, 'iptables-nft-save')].filter((c) => chains(original, 0, 'iptables-nft-save').has(c)).length, 0);
    assert.notDeepEqual(redactSnapshot(original).nodes[0]!.commands['iptables-nft-save']!.stdout, redacted.nodes[0]!.commands['iptables-nft-save']!.stdout,
      'each redaction draws its own key');
    const key = new Uint8Array(32).fill(7);
    assert.deepEqual(redactSnapshot(original, { chainKey: key }), redactSnapshot(original, { chainKey: key }), 'with the same key, the same document');
  });
});
