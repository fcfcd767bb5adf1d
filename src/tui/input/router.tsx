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
 * which wraps a paste in ESC [ 200 ~ … ESC [ 201 ~), and only a text field takes what is pasted:
 * its printable characters, as one edit when the paste ends. A pasted `q` does not quit, a pasted
 * newline does not submit.
 */
import { useStdin, useStdout } from 'ink';
import { createContext, useContext, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { MAX_CHUNK, NONE, parseKey, splitKeys, type Key } from './split.js';

export type KeyHandler = (input: string, key: Key) => void;

interface Listener {
  handle: KeyHandler;
  active: boolean;
  /** A text field: it takes a paste's printable characters, as one input; nothing else hears a paste. */
  takesPaste: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Keys waiting to be handled; beyond this a flood of keys is cut. */
const MAX_QUEUE = 4096;
/** A paste's characters kept (a text field holds 256). */
const MAX_PASTE = 4096;

/** What waits to be handled: a key as splitKeys gives it, or a whole paste's printable text. */
type Item = { key: string } | { paste: string };

export class KeyRouter {
  private readonly listeners = new Set<Listener>();
  private readonly queue: Item[] = [];
  /** A key is being handled: from its dispatch until the render after it has been committed. */
  private busy = false;
  /** The printable text of a paste being read; null outside one. */
  private paste: string | null = null;

  /** `render` asks for a render that commits after every update a key's handlers made (KeyInput). */
  constructor(private readonly render: () => void) {}

  add(l: Listener): void {
    this.listeners.add(l);
  }

  delete(l: Listener): void {
    this.listeners.delete(l);
  }

  /**
   * A chunk as the terminal sent it; its keys are handled in order, each after the last one's
   * render. A paste is read whole here and queued as one item when it ends, so a huge paste takes
   * one place in the queue and the keys typed after it are not cut.
   */
  push(chunk: string): void {
    const keys = splitKeys(chunk);
    // A chunk past MAX_CHUNK is cut: an end marker in what was cut still ends the paste.
    if (chunk.length > MAX_CHUNK && chunk.includes(PASTE_END, MAX_CHUNK - PASTE_END.length + 1)) keys.push(PASTE_END);
    for (const k of keys) {
      if (k === PASTE_START) this.paste = '';
      else if (k === PASTE_END) {
        if (this.paste !== null && this.paste !== '') this.enqueue({ paste: this.paste });
        this.paste = null;
      } else if (this.paste !== null) {
        const { input, key } = parseKey(k);
        if (input !== '' && !key.ctrl && !key.meta && this.paste.length < MAX_PASTE) this.paste += input;
      } else this.enqueue({ key: k });
    }
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    setImmediate(() => this.next());
  }

  private enqueue(item: Item): void {
    if (this.queue.length < MAX_QUEUE) this.queue.push(item);
  }

  /** KeyInput's render after a key is committed: so are the key's updates, and its handlers are the new ones. */
  rendered(): void {
    if (!this.busy) return;
    // Not from inside the commit: an update there would render at once, nested in this one.
    setImmediate(() => this.next());
  }

  /** Handles queued items until one reaches a handler, then waits for that one's render. */
  private next(): void {
    for (;;) {
      const item = this.queue.shift();
      if (item === undefined) {
        this.busy = false;
        return;
      }
      let heard = true;
      try {
        heard = this.dispatch(item);
      } finally {
        // Queued behind the handlers' updates: its commit comes with or after theirs. An item no
        // handler heard changed nothing: there is no render to wait for.
        if (heard) this.render();
      }
      if (heard) return;
    }
  }

  /**
   * A key goes to the handlers that listened when it came and still do: a view the key opens does
   * not also take it (Enter on a namespace goes back to the list; the list must not open a
   * Service with the same Enter). A paste goes to the text fields alone. True when one heard it.
   */
  private dispatch(item: Item): boolean {
    if ('paste' in item) return this.deliver(item.paste, NONE, (l) => l.takesPaste);
    const { input, key } = parseKey(item.key);
    return this.deliver(input, key, () => true);
  }

  private deliver(input: string, key: Key, hears: (l: Listener) => boolean): boolean {
    const listening = [...this.listeners].filter((l) => l.active && hears(l));
    for (const l of listening) if (this.listeners.has(l) && l.active) l.handle(input, key);
    return listening.length > 0;
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
