/**
 * A snapshot from a ticket is attacker-controlled (DESIGN §3a). With escape sequences in rule and
 * nft comments, node conditions, gather errors, the context and createdAt, nothing np-doctor prints
 * may carry a control byte but its own colour sequences: not in diagnose -v, trace --snapshot or
 * scan, in text or JSON; and the TUI's frames carry none either.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CHECKS } from '../../checks/index.js';
import { Session } from '../../src/tui/state/session.js';
import { hostileSnapshot, PAYLOAD_SHOWN } from '../support/hostile.js';
import { KEY, renderApp } from '../tui/support.js';

const CLI = 'dist/src/cli.js';
const dir = mkdtempSync(join(tmpdir(), 'np-doctor-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const IPTABLES = join(dir, 'hostile.json');
const NFT = join(dir, 'hostile-nft.json');
writeFileSync(IPTABLES, JSON.stringify(hostileSnapshot('examples/demo.json')));
writeFileSync(NFT, JSON.stringify(hostileSnapshot('examples/demo-nftables.json')));

/** Every control character but newline, once np-doctor's own SGR colour sequences are taken out. */
// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const SGR = /\x1b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * No control byte but np-doctor's own colours; with `colour` false not even those. The payload's own
 * colour sequence (`ESC[31mFAKE`) must never pass as one of ours.
 */
function assertClean(text: string, what: string, colour = true): void {
  assert.ok(!text.includes('\x1b[31mFAKE'), `${what} let the snapshot's own colour sequence through`);
  const rest = colour ? text.replace(SGR, '') : text;
  const m = CONTROL.exec(rest);
  assert.equal(m, null, `${what} printed U+${m?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(rest.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 20))}`);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const RUNS: [string, string[]][] = [
  ['diagnose -v frontend', ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', IPTABLES, '-v']],
  ['diagnose -v payments', ['diagnose', 'svc/payments', '-n', 'shop', '--snapshot', IPTABLES, '-v']],
  ['diagnose -v checkout (nftables)', ['diagnose', 'svc/checkout', '-n', 'shop', '--snapshot', NFT, '-v']],
  ['diagnose -v frontend (nftables)', ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', NFT, '-v', '--node-ip', '192.168.1.201']],
  ['trace --snapshot', ['trace', '--snapshot', IPTABLES, '--node', 'node-1', '--to', '192.168.1.101:30080']],
  ['trace --snapshot (nftables)', ['trace', '--snapshot', NFT, '--node', 'node-1', '--to', '192.168.1.101:30080']],
  ['scan', ['scan', '--snapshot', IPTABLES]],
  ['scan (nftables)', ['scan', '--snapshot', NFT]],
  ['a wrong --node', ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', IPTABLES, '--node', 'node-9']],
];

describe('a hostile snapshot prints no control byte', () => {
  for (const [what, args] of RUNS) {
    // Piped there is no colour, so not even an SGR sequence may appear; the renderers' colour
    // paths are covered by test/report/sanitize-fuzz.test.tsx.
    for (const [how, extra] of [['piped', []], ['as JSON', ['-o', 'json']]] as const) {
      if (how === 'as JSON' && what.startsWith('a wrong')) continue;
      test(`${what}, ${how}`, async () => {
        const argv = [...args, ...extra].filter((a) => !(how === 'as JSON' && a === '-v'));
        const r = await cli(argv);
        assert.ok(r.code >= 0 && r.code <= 3, `exit ${r.code}: ${r.stderr}`);
        assertClean(r.stdout, `${what} stdout`, false);
        assertClean(r.stderr, `${what} stderr`, false);
        if (how === 'as JSON') {
          // JSON stays exact: the payload parses back byte for byte.
          assert.ok(JSON.stringify(JSON.parse(r.stdout)).includes(JSON.stringify('\x1b]0;owned').slice(1, -1)), 'the JSON keeps the escapes as data');
        } else if (!what.startsWith('a wrong') && !what.startsWith('scan')) {
          // (scan's table shows names, types, ports, check ids and node names: none carries the payload.)
          assert.ok((r.stdout + r.stderr).includes(PAYLOAD_SHOWN), 'the payload is shown, escaped, not hidden');
        }
      });
    }
  }
});

test('the TUI draws the hostile snapshot without a control byte: list, finding, path, chain', async () => {
  const session = new Session({ checks: CHECKS, snapshot: hostileSnapshot('examples/demo.json'), file: IPTABLES, namespace: 'shop', cwd: dir });
  const app = renderApp(session);
  const frames = [await app.until('payments')];
  await app.press('j', KEY.enter);
  frames.push(await app.until('Findings'));
  await app.press('p');
  frames.push(await app.until('dropped here'));
  await app.press(KEY.enter);
  frames.push(await app.until(PAYLOAD_SHOWN));
  for (const [i, f] of frames.entries()) assertClean(f, `frame ${i}`);
  app.unmount();
});
