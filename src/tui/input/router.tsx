/**
 * Every key of the session goes through here, one at a time and in order, to the handlers that
 * listen when it comes.
 *
 * Why not Ink's useInput: it hands a whole chunk to a handler as one input (`j\r`, a paste), and a
 * handler is the closure of the render before, re-subscribed after the screen is drawn, so a key
 * that comes in between acts on what the screen showed before the previous key. Here a chunk is
 * split into keys, and the next key is dispatched once the updates of the one before are
 * rendered, to the handlers of that render. Whether React commits a key's updates at once or in a
 * batch, KeyInput's own update comes after them, so its commit says when the next key may go. A
 * handler is read when it is called: a listener later in the same key's dispatch already sees
 * what an earlier one changed.
 *
 * A paste is text, not keys: the session asks the terminal for bracketed paste (xterm's mode 2004,
 * which wraps a paste in ESC [ 200 ~ … ESC [ 201 ~), and only a text field takes what is pasted,
 * its printable characters alone. A pasted `q` does not quit, a pasted newline does not submit.
 */
import { useStdin, useStdout } from 'ink';
import { createContext, useContext, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { parseKey, splitKeys, type Key } from './split.js';

export type KeyHandler = (input: string, key: Key) => void;

interface Listener {
  handle: KeyHandler;
  active: boolean;
  /** A text field: it takes a paste's printable characters; nothing else hears a paste. */
  takesPaste: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Keys waiting to be handled; beyond this a flood (a huge paste) is cut. */
const MAX_QUEUE = 4096;

export class KeyRouter {
  private readonly listeners = new Set<Listener>();
  private readonly queue: string[] = [];
  /** A key is being handled: from its dispatch until the render after it has been committed. */
  private busy = false;
  /** Between a paste's start and end markers. */
  private pasting = false;

  /** `render` asks for a render that commits after every update a key's handlers made (KeyInput). */
  constructor(private readonly render: () => void) {}

  add(l: Listener): void {
    this.listeners.add(l);
  }

  delete(l: Listener): void {
    this.listeners.delete(l);
  }

  /** A chunk as the terminal sent it; its keys are handled in order, each after the last one's render. */
  push(chunk: string): void {
    // A paste's end marker is kept even past the bound: without it, keys would stay a paste.
    for (const k of splitKeys(chunk)) if (this.queue.length < MAX_QUEUE || k === PASTE_END) this.queue.push(k);
    if (this.busy) return;
    this.busy = true;
    setImmediate(() => this.next());
  }

  /** KeyInput's render after a key is committed: so are the key's updates, and its handlers are the new ones. */
  rendered(): void {
    if (!this.busy) return;
    // Not from inside the commit: an update there would render at once, nested in this one.
    setImmediate(() => this.next());
  }

  private next(): void {
    const k = this.queue.shift();
    if (k === undefined) {
      this.busy = false;
      return;
    }
    try {
      this.dispatch(k);
    } finally {
      // Queued behind the handlers' updates: its commit comes with or after theirs.
      this.render();
    }
  }

  /**
   * A key goes to the handlers that listened when it came and still do: a view the key opens does
   * not also take it (Enter on a namespace goes back to the list; the list must not open a
   * Service with the same Enter).
   */
  private dispatch(seq: string): void {
    if (seq === PASTE_START || seq === PASTE_END) {
      this.pasting = seq === PASTE_START;
      return;
    }
    const { input, key } = parseKey(seq);
    if (this.pasting && (input === '' || key.ctrl || key.meta)) return;
    const listening = [...this.listeners].filter((l) => l.active && (l.takesPaste || !this.pasting));
    for (const l of listening) if (this.listeners.has(l) && l.active) l.handle(input, key);
  }
}

const RouterContext = createContext<KeyRouter | null>(null);

/** Reads the terminal's keys for everything under it that calls useKeys. */
export function KeyInput({ children }: { readonly children: ReactNode }) {
  const [turn, setTurn] = useState(0);
  const [router] = useState(() => new KeyRouter(() => setTurn((t) => t + 1)));
  useLayoutEffect(() => router.rendered(), [router, turn]);
  // Ink's parsed input events (it keeps an escape sequence cut between two reads whole); the chunk
  // as it came, which useInput does not give.
  const { internal_eventEmitter: events, setRawMode } = useStdin();
  const { stdout } = useStdout();
  // A layout effect: listening by the time render() returns, so no key typed at once is missed.
  useLayoutEffect(() => {
    setRawMode(true);
    const onInput = (chunk: string) => router.push(chunk);
    events.on('input', onInput);
    // Bracketed paste on a terminal only (a test's fake stdout has no use for it); off again on the way out.
    const bracketed = stdout.isTTY === true;
    if (bracketed) stdout.write('\x1b[?2004h');
    return () => {
      if (bracketed) stdout.write('\x1b[?2004l');
      events.off('input', onInput);
      setRawMode(false);
    };
  }, [events, setRawMode, router, stdout]);
  return <RouterContext.Provider value={router}>{children}</RouterContext.Provider>;
}

/**
 * Like Ink's useInput: `handle` gets each key while `isActive`; always the latest render's
 * `handle`. `takesPaste`: a text field, which also gets a paste's printable characters.
 */
export function useKeys(handle: KeyHandler, { isActive = true, takesPaste = false }: { isActive?: boolean; takesPaste?: boolean } = {}): void {
  const router = useContext(RouterContext);
  if (router === null) throw new Error('useKeys needs a <KeyInput> above it');
  const listener = useRef<Listener>({ handle, active: isActive, takesPaste }).current;
  // Layout effects run as the render is committed, before the next key is dispatched.
  useLayoutEffect(() => {
    listener.handle = handle;
    listener.active = isActive;
  });
  useLayoutEffect(() => {
    router.add(listener);
    return () => router.delete(listener);
  }, [router, listener]);
}
