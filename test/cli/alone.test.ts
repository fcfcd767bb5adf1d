/**
 * `np-doctor` alone: in a terminal it opens the session on the cluster, so without a kubeconfig it
 * must end with the whole message (not one cut to the screen's width) and a non-zero exit; piped,
 * it prints the help and exits 2. The terminal is a real pseudo-terminal from script(1).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

const CLI = resolve('dist/src/cli.js');
const home = mkdtempSync(join(tmpdir(), 'npd-alone-'));
after(() => rmSync(home, { recursive: true, force: true }));

const { CI: _ci, KUBECONFIG: _kc, KUBERNETES_SERVICE_HOST: _sa, ...env } = process.env;
const hasScript = (() => {
  try {
    execFileSync('script', ['-qec', 'true', '/dev/null']);
    return true;
  } catch {
    return false;
  }
})();

test('in a terminal, no kubeconfig: the whole message, what works without a cluster, exit 2', { skip: !hasScript && 'script(1) is not installed' }, async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  // script -e exits with the child's code; the child's stdin and stdout are the pseudo-terminal (no keys are sent).
  const r = await promisify(execFile)('script', ['-qec', `"${process.execPath}" "${CLI}"`, '/dev/null'], { env: { ...env, HOME: home, TERM: 'xterm' }, timeout: 60_000 })
    .then((x) => ({ code: 0, out: x.stdout }), (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }));
  assert.equal(r.code, 2, r.out);
  const text = r.out.replace(/\r/g, '');
  assert.match(text, new RegExp(`no kubeconfig found: --kubeconfig not given, KUBECONFIG not set, ${home}/\\.kube/config does not exist, and this is not a pod with a service account\\. Pass --kubeconfig FILE or set KUBECONFIG`));
  assert.match(text, /Without a cluster: np-doctor demo, or np-doctor tui --snapshot demo/);
  assert.doesNotMatch(text, /…/, 'nothing cut off');
  // eslint-disable-next-line no-control-regex -- the alternate screen is what this test looks for
  assert.doesNotMatch(text, /\x1b\[\?1049h/, 'the session never took the screen');
});

test('piped: the help on stdout, why on stderr, exit 2', async () => {
  const r = await promisify(execFile)(process.execPath, [CLI], { env: { ...env, HOME: home } })
    .then(() => assert.fail('exit 0'), (e: { code: number; stdout: string; stderr: string }) => e);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^np-doctor: why does this Kubernetes NodePort not answer\?/);
  assert.match(r.stderr, /no command given/);
});
