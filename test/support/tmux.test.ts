/**
 * The tmux driver (tmux.ts) against real tmux: keys in, screen out, size, resize, colours, exit
 * codes (normal and by signal), argv quoting, environment, cleanup.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { haveTmux, startTmux, type TmuxSession } from './tmux.js';

const execFileP = promisify(execFile);

/** Start a session, or skip the test when tmux is missing; the session is killed after the test. */
async function start(t: TestContext, opts: Parameters<typeof startTmux>[0]): Promise<TmuxSession | undefined> {
  if (!haveTmux()) {
    t.skip('tmux is not installed');
    return undefined;
  }
  const s = await startTmux(opts);
  t.after(() => s.kill());
  return s;
}

/**
 * Ask the session's own tmux server for a format, e.g. '#{window_width}x#{window_height}'. The
 * driver keeps its socket private (sock in a npd-tmux-XXXXXX temp dir), so try each such socket:
 * other test processes may have theirs there too. Only the server whose session it is counts:
 * a target that matches nothing can still print (empty) formats with exit code 0.
 */
async function display(s: TmuxSession, format: string): Promise<string> {
  for (const d of await readdir(tmpdir())) {
    if (!d.startsWith('npd-tmux-')) continue;
    const sock = join(tmpdir(), d, 'sock');
    const out = await execFileP('tmux', ['-S', sock, 'display-message', '-p', '-t', `=${s.name}:`, `#{session_name}\t${format}`]).then(
      (r) => r.stdout.trim(),
      () => '', // no server there (any more)
    );
    const [session, value] = out.split('\t');
    if (session === s.name && value !== undefined) return value;
  }
  throw new Error(`no tmux server found for ${s.name}`);
}

test('types into a program, reads its screen, and gets its exit code', async (t) => {
  const s = await start(t, {
    command: ['sh', '-c', 'printf "hello\\n"; stty size; read x; echo "got:$x"; exit 7'],
    cols: 80,
    rows: 24,
  });
  if (!s) return;
  assert.match(s.name, /^npd-\d+-\d+$/);
  await s.waitFor('hello');
  // The window, and the tty the program sees (stty size = rows cols), are exactly as asked: no
  // status line eating a row.
  assert.equal(await display(s, '#{window_width}x#{window_height}'), '80x24');
  assert.equal(await display(s, '#{pane_width}x#{pane_height}'), '80x24');
  await s.waitFor('24 80');
  await s.sendText('-abc \'"$x'); // leading '-' and shell metacharacters go through literally
  await s.send('Enter');
  const screen = await s.waitFor('got:');
  assert.match(screen, /^got:-abc '"\$x$/m);
  assert.equal(await s.waitForExit(), 7);
  // The dead pane is kept: its last screen is still readable.
  assert.match(await s.screen(), /^hello\n24 80\n-abc '"\$x\ngot:-abc '"\$x$/);
});

test('resize changes the size the program sees', async (t) => {
  const s = await start(t, {
    command: ['sh', '-c', 'while true; do printf "\\rsize %s %s   " $(tput cols) $(tput lines); sleep 0.1; done'],
    cols: 80,
    rows: 24,
  });
  if (!s) return;
  await s.waitFor('size 80 24');
  await s.resize(120, 40);
  await s.waitFor('size 120 40');
  assert.equal(await display(s, '#{window_width}x#{window_height}'), '120x40');
});

test('waitFor times out with what it waited for and the last screen', async (t) => {
  const s = await start(t, { command: ['sh', '-c', 'echo on-screen; sleep 30'], cols: 40, rows: 10 });
  if (!s) return;
  await s.waitFor('on-screen');
  const started = Date.now();
  await assert.rejects(s.waitFor('never-shown', 300), (err: Error) => {
    assert.match(err.message, /"never-shown"/);
    assert.match(err.message, /300 ms/);
    assert.match(err.message, /on-screen/);
    return true;
  });
  assert.ok(Date.now() - started < 3000, 'the timeout is honoured');
  await assert.rejects(s.waitFor(/never\d+/, 100), /\/never\\d\+\//);
  await assert.rejects(s.waitForExit(200), /still running[\s\S]*on-screen/);
  // RegExp and function predicates work too.
  assert.match(await s.waitFor(/on-\w+/), /on-screen/);
  assert.match(await s.waitFor((sc) => sc.startsWith('on-')), /on-screen/);
});

test('screenWithEscapes shows colours; screen() does not', async (t) => {
  const s = await start(t, {
    command: ['sh', '-c', "printf 'plain \\033[31mred\\033[0m \\033[7mrev\\033[0m\\n'; sleep 30"],
    cols: 60,
    rows: 10,
  });
  if (!s) return;
  assert.equal(await s.waitFor('rev'), 'plain red rev');
  const raw = await s.screenWithEscapes();
  assert.ok(raw.includes('\x1b[31mred'), JSON.stringify(raw));
  assert.ok(raw.includes('\x1b[7mrev'), JSON.stringify(raw));
});

test('C-c kills the program, reported as 128 + SIGINT', async (t) => {
  const s = await start(t, { command: ['sh', '-c', 'echo sleeping; exec sleep 30'], cols: 40, rows: 10 });
  if (!s) return;
  await s.waitFor('sleeping');
  await s.send('C-c');
  assert.equal(await s.waitForExit(), 130);
});

test('argv elements reach the program unchanged (no shell word-splitting or expansion)', async (t) => {
  const s = await start(t, { command: ['printf', '[%s]\\n', "it's", 'a $HOME', '*', ''], cols: 40, rows: 10 });
  if (!s) return;
  assert.equal(await s.waitForExit(), 0);
  assert.equal(await s.screen(), "[it's]\n[a $HOME]\n[*]\n[]");
});

test('env: opts.env over process.env, without CI; a real colour tty for node', async (t) => {
  const saved = process.env.CI;
  process.env.CI = 'true';
  t.after(() => {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  });
  process.env.NPD_TMUX_INHERITED = 'yes';
  t.after(() => delete process.env.NPD_TMUX_INHERITED);
  const s = await start(t, {
    command: [
      process.execPath,
      '-e',
      'console.log(`ci=${process.env.CI ?? "unset"} foo=${process.env.FOO} inh=${process.env.NPD_TMUX_INHERITED}`);' +
        'console.log(`term=${process.env.TERM} tty=${process.stdout.isTTY} depth=${process.stdout.getColorDepth()} cwd=${process.cwd()}`)',
    ],
    cwd: tmpdir(),
    env: { FOO: 'bar baz' },
    cols: 100,
    rows: 10,
  });
  if (!s) return;
  assert.equal(await s.waitForExit(), 0);
  const screen = await s.screen();
  assert.match(screen, /^ci=unset foo=bar baz inh=yes$/m);
  assert.match(screen, new RegExp(`^term=xterm-256color tty=true depth=8 cwd=${tmpdir()}$`, 'm'));
});

test('kill is idempotent and takes the tmux server down', async (t) => {
  const s = await start(t, { command: ['sleep', '30'], cols: 40, rows: 10 });
  if (!s) return;
  await s.screen();
  await Promise.all([s.kill(), s.kill()]);
  await s.kill();
  await assert.rejects(s.screen());
  await assert.rejects(display(s, '#{pid}'), /no tmux server found/);
});
