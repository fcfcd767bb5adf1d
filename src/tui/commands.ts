/** The `:` command line, in k9s's words: `:ns NAME`, `:ns` (all namespaces), `:svc`, `:q`. */
import type { Session, SessionState } from './state/session.js';

export interface CommandContext {
  readonly session: Session;
  readonly state: SessionState;
  /** Back to the Service list. */
  readonly list: () => void;
  readonly quit: () => void;
}

/** What `:ns` takes for every namespace (k9s: `:ns all`; kubectl: -A). */
const ALL = new Set(['all', '-A', '*']);
const NAMESPACE = new Set(['ns', 'namespace', 'namespaces']);
const SERVICES = new Set(['svc', 'svcs', 'service', 'services']);
const QUIT = new Set(['q', 'q!', 'quit']);
/** Namespaces named in a message, at most. */
const MAX_LISTED = 8;

export const COMMAND_HELP = ':ns NAME, :ns (all namespaces), :svc (the list), :q (quit)';

/** Runs one typed command line; what goes wrong is said in the session's notice. */
export function runCommand(line: string, { session, state, list, quit }: CommandContext): void {
  const [verb, ...args] = line.trim().split(/\s+/).filter((w) => w !== '');
  if (verb === undefined) return;
  if (QUIT.has(verb) && args.length === 0) return quit();
  const wrong = (text: string) => session.notify({ text, tone: 'error' });
  if (SERVICES.has(verb) && args.length === 0) return list();
  if (NAMESPACE.has(verb) && args.length <= 1) {
    if (state.phase !== 'ready') return wrong(`:${verb} waits for the gathering to end`);
    const ns = args[0];
    if (ns === undefined || ALL.has(ns)) {
      list();
      return void session.setNamespace(null);
    }
    if (state.namespaces.length > 0 && !state.namespaces.includes(ns)) {
      const known = state.namespaces.slice(0, MAX_LISTED).join(', ') + (state.namespaces.length > MAX_LISTED ? ', …' : '');
      return wrong(`no namespace ${ns}; there are: ${known}`);
    }
    list();
    return void session.setNamespace(ns);
  }
  wrong(`unknown command :${line.trim()}; the commands are ${COMMAND_HELP}`);
}
