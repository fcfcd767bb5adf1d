/**
 * Drive a real program inside a real terminal (tmux), the way a person would: type keys, read the
 * screen, resize the window, wait for the program to exit.
 *
 *   const tty = await startTmux({ command: ['node', 'dist/src/cli.js'], cols: 80, rows: 24 });
 *   try { await tty.waitFor('ready'); await tty.send('j', 'Enter'); ... } finally { await tty.kill(); }
 *
 * Every session gets its own tmux server on a private socket in a fresh temp dir (`-S`) and reads
 * no config (`-f /dev/null`), so tests never touch a user's tmux and never see their settings.
 *
 * The program's environment is process.env with `opts.env` merged over it, except that these
 * inherited variables are dropped so the program behaves as in a person's terminal:
 *   - CI (programs turn off spinners/interactivity when they see it),
 *   - COLUMNS / LINES (tput and others prefer them over the tty's real size, so a resize would
 *     go unnoticed),
 *   - TMUX / TMUX_PANE (they belong to the tmux the test runner may itself run in).
 * Any of them given explicitly in `opts.env` is kept. TERM is the pane's terminal type, which tmux
 * sets itself (option default-terminal): xterm-256color unless `opts.env.TERM` says otherwise.
 *
 * Every tmux call is asynchronous (execFile): some tests host servers in this same process, and a
 * blocking child-process call would stall them while the program under test waits on them.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TmuxSession {
  /** tmux session name (unique per call, e.g. npd-<pid>-<counter>). */
  readonly name: string;
  /** Send keys as tmux send-keys arguments, e.g. send('j'), send('Enter'), send('C-c'), send('Escape'). Literal text: sendText('abc') uses send-keys -l. */
  send(...keys: string[]): Promise<void>;
  sendText(text: string): Promise<void>;
  /** Paste text as a terminal does (set-buffer, paste-buffer -p): bracketed when the program asked for it (mode 2004). */
  paste(text: string): Promise<void>;
  /** The visible screen as plain text (capture-pane -p, no escapes), lines right-trimmed, trailing empty lines dropped. */
  screen(): Promise<string>;
  /** The visible screen WITH escape sequences (capture-pane -p -e), to check colours/highlighting (e.g. reverse video or red). */
  screenWithEscapes(): Promise<string>;
  /** Polls screen() every 50 ms until predicate (string → includes, RegExp → test, or function) holds; rejects after timeoutMs (default 10000) with an Error whose message includes what was awaited and the last screen. Returns the screen. */
  waitFor(what: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Resize the window: tmux resize-window -t name -x cols -y rows (needs window-size manual, see below). */
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the program's exit code once it has exited (128 + signal number if a signal killed it, as a shell reports it); rejects after timeoutMs (default 10000) with the last screen in the message. The screen stays readable after the exit. */
  waitForExit(timeoutMs?: number): Promise<number>;
  /** Kills the tmux session if still there (idempotent). Always call it in a finally / t.after. */
  kill(): Promise<void>;
}

const POLL_MS = 50;
let counter = 0;

/** Servers not yet killed, so a test run that dies early does not leave tmux servers behind. */
const live = new Map<string, { dir: string; serverPid: number }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible in 'exit': signal the servers, remove their temp dirs.
  process.on('exit', () => {
    for (const { dir, serverPid } of live.values()) {
      try {
        process.kill(serverPid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Single-quote for a POSIX shell: 'it'\''s'. */
const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(what: string | RegExp | ((screen: string) => boolean)): string {
  if (typeof what === 'string') return JSON.stringify(what);
  if (what instanceof RegExp) return what.toString();
  return `predicate ${what.name || what.toString()}`;
}

export async function startTmux(opts: {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  cols: number;
  rows: number;
}): Promise<TmuxSession> {
  if (opts.command.length === 0) throw new Error('startTmux: empty command');
  const name = `npd-${process.pid}-${++counter}`;
  const dir = await mkdtemp(join(tmpdir(), 'npd-tmux-'));
  const socket = join(dir, 'sock');
  // `=name:` = exactly the session called name (a bare name also matches by prefix, and
  // `=name` without the colon would be read as a window name).
  const target = `=${name}:`;

  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of ['CI', 'COLUMNS', 'LINES', 'TMUX', 'TMUX_PANE']) delete env[k];
  Object.assign(env, opts.env);
  const term = opts.env?.TERM ?? 'xterm-256color';

  const tmux = async (...args: string[]): Promise<string> => {
    // The server inherits this env when the first call starts it; panes get it from the server.
    const { stdout } = await execFileP('tmux', ['-S', socket, '-f', '/dev/null', ...args], { env, timeout: 10_000 });
    return stdout;
  };

  // The program runs under a POSIX sh that writes its exit status to a file when it ends. Why
  // not tmux's own #{pane_dead_status} (with remain-on-exit)? tmux 3.3a sometimes misses the
  // SIGCHLD: the pane's process stays a zombie and the status never appears (seen in about a
  // third of runs here). The trap keeps the wrapper alive through C-c / C-\ (sh is in the
  // program's foreground process group, so it gets the SIGINT too; without a trap dash dies of
  // it before writing the file). A trap with a handler, unlike `trap '' INT`, is not inherited
  // across exec, so the program still gets the default SIGINT behaviour. `$?` is 128 + signal
  // number when a signal killed the program. tmp + mv so a poll never reads a half-written file.
  const exitFile = join(dir, 'exit');
  const shellCommand =
    `trap : INT QUIT; ${opts.command.map(shQuote).join(' ')}; ` +
    `echo $? > ${shQuote(exitFile + '.tmp')}; mv ${shQuote(exitFile + '.tmp')} ${shQuote(exitFile)}`;

  // One command list, so the options are in place before the program can run (and exit):
  // - default-shell /bin/sh: tmux runs the command as `<default-shell> -c <command>`, and
  //   default-shell defaults to the user's $SHELL (bash, zsh, fish...); our quoting is POSIX.
  // - status off: the status line would otherwise take one of the `rows` rows from the pane.
  // - remain-on-exit on: keep the dead pane, so its last screen stays readable (and the session,
  //   so the other calls still find it); remain-on-exit-format '' (tmux >= 3.3) blanks the
  //   "Pane is dead ..." line tmux would otherwise write on the pane's bottom row.
  // - window-size manual: a detached session may otherwise size its window from (absent)
  //   clients rather than -x/-y, and resize-window wants it. It is set AFTER new-session:
  //   tmux 3.3a's server segfaults ("server exited unexpectedly") when new-session runs with
  //   window-size manual already set globally.
  try {
    await tmux(
      'start-server', ';',
      'set-option', '-g', 'default-shell', '/bin/sh', ';',
      'set-option', '-g', 'default-terminal', term, ';',
      'set-option', '-g', 'status', 'off', ';',
      'set-option', '-g', 'remain-on-exit', 'on', ';',
      'set-option', '-gq', 'remain-on-exit-format', '', ';', // -q: unknown option before tmux 3.3
      'new-session', '-d', '-s', name, '-x', String(opts.cols), '-y', String(opts.rows),
      ...(opts.cwd ? ['-c', opts.cwd] : []), shellCommand, ';',
      'set-option', '-g', 'window-size', 'manual',
    );
    const serverPid = Number((await tmux('display-message', '-p', '-t', target, '#{pid}')).trim());
    live.set(name, { dir, serverPid });
    installExitHook();
  } catch (err) {
    await tmux('kill-server').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const screen = async (): Promise<string> => {
    const out = await tmux('capture-pane', '-p', '-t', target);
    return out
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  };

  let killing: Promise<void> | undefined;

  return {
    name,
    async send(...keys) {
      if (keys.length > 0) await tmux('send-keys', '-t', target, ...keys);
    },
    async sendText(text) {
      // `--` so text starting with '-' is not taken for an option.
      if (text !== '') await tmux('send-keys', '-t', target, '-l', '--', text);
    },
    async paste(text) {
      const buffer = `${name}-paste`;
      await tmux('set-buffer', '-b', buffer, '--', text);
      // -p: bracketed paste if the pane's program turned it on; -d: the buffer is deleted after.
      await tmux('paste-buffer', '-p', '-d', '-b', buffer, '-t', target);
    },
    screen,
    async screenWithEscapes() {
      return tmux('capture-pane', '-p', '-e', '-t', target);
    },
    async waitFor(what, timeoutMs = 10_000) {
      const test =
        typeof what === 'string' ? (s: string) => s.includes(what) : what instanceof RegExp ? (s: string) => what.test(s) : what;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await screen();
        if (test(s)) return s;
        if (Date.now() >= deadline) {
          throw new Error(`tmux ${name}: timed out after ${timeoutMs} ms waiting for ${describe(what)}; screen:\n${s}`);
        }
        await sleep(POLL_MS);
      }
    },
    async resize(cols, rows) {
      await tmux('resize-window', '-t', target, '-x', String(cols), '-y', String(rows));
    },
    async waitForExit(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const code = await readFile(exitFile, 'utf8').then(
          (text) => Number(text.trim()),
          () => undefined,
        );
        if (code !== undefined) return code;
        if (Date.now() >= deadline) {
          throw new Error(`tmux ${name}: program still running after ${timeoutMs} ms; screen:\n${await screen()}`);
        }
        await sleep(POLL_MS);
      }
    },
    kill() {
      killing ??= (async () => {
        live.delete(name);
        await tmux('kill-server').catch(() => undefined); // already gone is fine
        await rm(dir, { recursive: true, force: true });
      })();
      return killing;
    },
  };
}

/**
 * True when tmux can be run here (tmux -V succeeds). Probed once, at import, asynchronously (see
 * the note at the top about blocking calls); the answer is cached.
 */
const tmuxAvailable: boolean = await execFileP('tmux', ['-V'], { timeout: 10_000 }).then(
  () => true,
  () => false,
);
export function haveTmux(): boolean {
  return tmuxAvailable;
}
