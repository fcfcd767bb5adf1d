/** Shared by the Ink tests: the demo snapshot in a Session, the App rendered into ink-testing-library, keys. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { CHECKS } from '../../checks/index.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import App, { type Props as AppProps } from '../../src/tui/App.js';
import { Session, type SessionOptions } from '../../src/tui/state/session.js';

export const DEMO = 'examples/demo.json';

export const KEY = { up: '\x1b[A', down: '\x1b[B', right: '\x1b[C', left: '\x1b[D', enter: '\r', escape: '\x1b', tab: '\t', ctrlC: '\x03', backspace: '\x7f', pageUp: '\x1b[5~', pageDown: '\x1b[6~' } as const;

/** How long waitFor waits by default: far beyond a handled key or a replay, even on a loaded machine. */
const BOUND_MS = 15_000;
/** Between two looks: waitFor polls for what it waits for; it never waits a fixed time for a result. */
const POLL_MS = 20;

/**
 * Resolves with `probe()`'s first value that is not undefined, null or false, looking again every few ms;
 * after `timeoutMs` it fails, naming `what` and `detail()` (the last frame, say).
 */
export async function waitFor<T>(probe: () => T | undefined | null | false, what: string, opts: { timeoutMs?: number; detail?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? BOUND_MS);
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`waited ${opts.timeoutMs ?? BOUND_MS} ms for ${what}${opts.detail ? `; last frame:\n${opts.detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** One turn of the event loop: Ink hands on a lone ESC once no more bytes follow it in this turn. */
const nextTurn = () => new Promise((r) => setImmediate(r));

export async function demoSession(extra: Partial<SessionOptions> = {}): Promise<Session> {
  const cwd = mkdtempSync(join(tmpdir(), 'np-doctor-tui-'));
  return new Session({ checks: CHECKS, snapshot: await loadSnapshot(DEMO), file: DEMO, namespace: 'shop', cwd, ...extra });
}

export type Rendered = ReturnType<typeof render> & {
  /**
   * Types keys one write each, with no pause, as a fast typist does; the keys are handled in order
   * whatever the screen has drawn meanwhile. Only after Escape does it let the event loop turn, or
   * the next key would make it Alt-key (a terminal reads ESC x so too).
   */
  press(...keys: string[]): Promise<void>;
  /** The last frame once it satisfies the predicate (fails with the frame after `timeoutMs`, 15 s by default). */
  until(what: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  frame(): string;
};

/** `columns`: the terminal's width (ink-testing-library's is 100); its height is 24. */
export function renderApp(session: Session, props: Partial<AppProps> = {}, columns?: number): Rendered {
  const r = render(<App session={session} {...props} />);
  if (columns !== undefined) {
    Object.defineProperty(r.stdout, 'columns', { value: columns });
    r.stdout.emit('resize');
  }
  const frame = () => r.lastFrame() ?? '';
  const until = (what: string | RegExp | ((f: string) => boolean), timeoutMs = BOUND_MS) => {
    const test = typeof what === 'string' ? (f: string) => f.includes(what) : what instanceof RegExp ? (f: string) => what.test(f) : what;
    return waitFor(() => (test(frame()) ? frame() : undefined), `the screen to show ${typeof what === 'function' ? 'what the test asks' : String(what)}`, { timeoutMs, detail: frame });
  };
  return Object.assign(r, {
    frame, until,
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        if (k === KEY.escape) await nextTurn();
      }
    },
  });
}
