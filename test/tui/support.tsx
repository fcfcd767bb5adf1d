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

export const KEY = { up: '\x1b[A', down: '\x1b[B', right: '\x1b[C', left: '\x1b[D', enter: '\r', escape: '\x1b', tab: '\t', ctrlC: '\x03', backspace: '\x7f' } as const;

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

export async function demoSession(extra: Partial<SessionOptions> = {}): Promise<Session> {
  const cwd = mkdtempSync(join(tmpdir(), 'np-doctor-tui-'));
  return new Session({ checks: CHECKS, snapshot: await loadSnapshot(DEMO), file: DEMO, namespace: 'shop', cwd, ...extra });
}

export type Rendered = ReturnType<typeof render> & {
  /** Types keys one at a time, as a person does, waiting for each to be handled. */
  press(...keys: string[]): Promise<void>;
  /** The last frame once it satisfies the predicate (polls; fails with the frame after `timeoutMs`, 3 s by default). */
  until(what: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  frame(): string;
  /**
   * Presses a key and waits for the screen it should show. Ink can drop a key typed while it
   * re-binds a view's input handler (a loaded machine), so a key whose screen has not come after
   * until()'s 3 s is pressed again, twice at most: a handled key renders long before that.
   */
  pressUntil(key: string, what: string | RegExp): Promise<string>;
};

export async function renderApp(session: Session, props: Partial<AppProps> = {}): Promise<Rendered> {
  const r = render(<App session={session} {...props} />);
  const frame = () => r.lastFrame() ?? '';
  const until = async (what: string | RegExp | ((f: string) => boolean), timeoutMs = 3000) => {
    const test = typeof what === 'string' ? (f: string) => f.includes(what) : what instanceof RegExp ? (f: string) => what.test(f) : what;
    for (let i = 0; i < timeoutMs / 30; i++) {
      if (test(frame())) return frame();
      await tick(30);
    }
    throw new Error(`screen never showed ${String(what)}; last frame:\n${frame()}`);
  };
  await tick(); // let useInput subscribe before the first key
  return Object.assign(r, {
    frame, until,
    async pressUntil(key: string, what: string | RegExp) {
      for (let attempt = 0; ; attempt++) {
        r.stdin.write(key);
        try {
          return await until(what);
        } catch (e) {
          if (attempt === 2) throw e;
        }
      }
    },
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await tick(k === KEY.escape ? 80 : 50);
      }
    },
  });
}
