/**
 * Shell completion: what `np-doctor __complete` answers (commands, each command's own flags, the
 * values np-doctor knows, file names where a file goes), the bash script driving it in a real bash,
 * and kubectl's plugin completion executable giving the same answer.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { runMain } from '../support/run-main.js';

const dir = mkdtempSync(join(tmpdir(), 'npd-completion-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The candidates and the directive np-doctor answers for WORDS (after `np-doctor`). */
async function complete(...words: string[]): Promise<{ candidates: string[]; directive: string }> {
  const r = await runMain(['__complete', ...words]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n').filter((l) => l !== '');
  return { candidates: lines.slice(0, -1), directive: lines.at(-1) ?? '' };
}

test('commands, then each command\'s own flags; flags already given are not offered again', async () => {
  const commands = await complete('');
  assert.deepEqual(commands.candidates, ['diagnose', 'scan', 'demo', 'checks', 'trace', 'snapshot', 'tui', 'cleanup', 'version', 'completion', 'help']);
  assert.equal(commands.directive, ':4', 'no file names where a command goes');
  assert.deepEqual((await complete('sn')).candidates, ['snapshot']);
  assert.deepEqual((await complete('diagnose', '--fa')).candidates, ['--fail-on', '--family']);
  assert.deepEqual((await complete('trace', '--ip')).candidates, ['--iptables', '--ipvs', '--ipset']);
  assert.deepEqual((await complete('scan', '--node')).candidates, ['--node-timeout', '--node', '--node-ip', '--node-dump']);
  assert.ok(!(await complete('diagnose', '--probe', '--pro')).candidates.includes('--probe'), 'given once already');
  assert.deepEqual((await complete('diagnose', '--plugin', 'a.js', '--plu')).candidates, ['--plugin'], 'repeatable flags stay');
  assert.deepEqual((await complete('help', 'di')).candidates, ['diagnose']);
  assert.deepEqual((await complete('completion', '')).candidates, ['bash', 'zsh', 'fish']);
});

test('values np-doctor knows; file names where a file goes', async () => {
  assert.deepEqual((await complete('scan', '--fail-on', '')).candidates, ['error', 'warning', 'info', 'none']);
  assert.deepEqual((await complete('diagnose', '-o', '')).candidates, ['text', 'json', 'yaml', 'sarif', 'junit', 'markdown']);
  assert.deepEqual((await complete('snapshot', '--collect', 'd')).candidates, ['debug-pod']);
  assert.deepEqual((await complete('snapshot', '--format', '')).candidates, ['v1', 'v2']);
  for (const words of [['snapshot', '-o', ''], ['snapshot', '-f', ''], ['diagnose', '--ssh-key', ''], ['trace', '--iptables', '']]) {
    assert.deepEqual(await complete(...words), { candidates: [], directive: ':0' }, words.join(' '));
  }
  assert.deepEqual(await complete('diagnose', '--snapshot', ''), { candidates: ['demo'], directive: ':0' }, 'demo, and file names too');
  assert.deepEqual(await complete('diagnose', '-n', ''), { candidates: [], directive: ':4' }, 'a namespace is no file');
  assert.deepEqual(await complete('trace', '--local-ip', ''), { candidates: [], directive: ':4' }, 'an address is no file');
  for (const name of ['checks', 'trace', 'version']) {
    assert.deepEqual(await complete(name, '-o', ''), { candidates: ['text', 'json'], directive: ':4' }, `${name} prints text or json only`);
  }
});

test('names an object has by inheritance are no command and no flag', async () => {
  for (const name of ['constructor', 'toString', '__proto__']) {
    assert.deepEqual(await complete(name, ''), { candidates: [], directive: ':4' }, name);
    assert.deepEqual(await complete('diagnose', `--${name}`, ''), { candidates: [], directive: ':4' }, `--${name}`);
  }
});

const CLI = resolve('dist/src/cli.js');
const hasBash = (() => {
  try {
    execFileSync('bash', ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
})();

test('the bash script, sourced in a real bash, completes through np-doctor', { skip: !hasBash && 'bash is not installed' }, async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'np-doctor'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'np-doctor'), 0o755);
  const script = join(dir, 'np-doctor.bash');
  writeFileSync(script, (await runMain(['completion', 'bash'])).out);
  writeFileSync(join(dir, 'frontend.json'), '{}');
  /** COMPREPLY after completing the last of WORDS, as bash does on Tab. */
  const tab = async (...words: string[]): Promise<string[]> => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const { stdout } = await promisify(execFile)('bash', ['--norc', '-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _np_doctor_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      cwd: dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir },
    });
    return stdout.split('\n').filter((l) => l !== '');
  };
  assert.deepEqual(await tab('np-doctor', 'dia'), ['diagnose']);
  assert.deepEqual(await tab('np-doctor', 'diagnose', '--fail-o'), ['--fail-on']);
  assert.deepEqual(await tab('np-doctor', 'scan', '--fail-on', 'w'), ['warning']);
  assert.deepEqual(await tab('np-doctor', 'snapshot', '-f', 'fron'), ['frontend.json'], 'file names where a file goes');
  assert.deepEqual(await tab('np-doctor', 'diagnose', '-n', 'fron'), [], 'but not for a namespace');
  const snapshots = await tab('np-doctor', 'diagnose', '--snapshot', '');
  assert.deepEqual([snapshots[0], ...snapshots.slice(1).sort()], ['demo', ...readdirSync(dir).sort()], '--snapshot: demo, then the file names');
  // Readline quotes what it inserts only when told the candidates are file names.
  const bashScript = (await runMain(['completion', 'bash'])).out;
  assert.ok(/compopt -o filenames[^\n]*\n[^\n]*compgen -f/.test(bashScript), 'compopt -o filenames just before compgen -f');
  const registered = await promisify(execFile)('bash', ['--norc', '-c', `source '${script}'; complete -p np-doctor`]);
  assert.match(registered.stdout, /complete -F _np_doctor_complete np-doctor/);
});

test('zsh and fish scripts call the same entry', async () => {
  for (const shell of ['zsh', 'fish']) {
    const r = await runMain(['completion', shell]);
    assert.equal(r.code, 0);
    assert.match(r.out, /__complete/);
    // Autoloaded from fpath the file is the body of _np-doctor: the first Tab must complete, not only register.
    assert.match(r.out, shell === 'zsh'
      ? /^#compdef np-doctor\n[\s\S]*\nif \[\[ \$funcstack\[1\] == _np-doctor \]\]; then _np_doctor "\$@"; else compdef _np_doctor np-doctor; fi\n$/
      : /complete -c np-doctor -f -a '\(__np_doctor_complete\)'\n$/);
  }
});

test('completion --help: each "load it" line is a command to paste, its note a # comment', { skip: !hasBash && 'bash is not installed' }, async () => {
  const help = (await runMain(['completion', '--help'])).out;
  const lines = help.split('\n').filter((l) => /^ {2}\S/.test(l) && l.includes('np-doctor completion ')).map((l) => l.trim());
  assert.deepEqual(lines.map((l) => /# (\w+)/.exec(l)?.[1]), ['bash', 'zsh', 'fish'], help);
  for (const line of lines) await promisify(execFile)('bash', ['--norc', '-n', '-c', line]);
  // bash's line, pasted as it is into a bash, loads the completion.
  const bin = join(dir, 'bin-src');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'np-doctor'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${resolve('src/cli.ts')}" "$@"\n`);
  chmodSync(join(bin, 'np-doctor'), 0o755);
  const { stdout } = await promisify(execFile)('bash', ['--norc', '-c', `${lines[0]}\ncomplete -p np-doctor`], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir } });
  assert.match(stdout, /complete -F _np_doctor_complete np-doctor/);
});

test('kubectl_complete-np_doctor answers as np-doctor __complete does', async () => {
  assert.ok(existsSync('dist/src/kubectl-complete.js'), 'dist/src/kubectl-complete.js is missing: npm run build first (npm test does)');
  const { stdout } = await promisify(execFile)(process.execPath, ['dist/src/kubectl-complete.js', 'scan', '--fail-on', 'e']);
  assert.equal(stdout, 'error\n:4\n');
  const { stdout: commands } = await promisify(execFile)(process.execPath, ['dist/src/kubectl-complete.js', 'ver']);
  assert.equal(commands, 'version\n:4\n');
});
