/**
 * List chunking (`limit` / `continue`) the way the etcd3 storage layer does it. The continue token
 * is what upstream mints: unpadded base64url of `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key>\u0000"}`
 * — clients must treat it as opaque, and tests should too. A token whose revision has been
 * compacted away gets 410 Expired; a token that does not decode gets 400.
 */
import { badRequest, expired, type Status } from './status.js';

export interface ContinueToken {
  rv: number;
  /** The first key the next page may contain. */
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  // `lastKey + "\0"` is the smallest key after lastKey, so the next page starts right after it.
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
}

export function decodeContinue(token: string, compactedRevision: number): ContinueToken | Status {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return badRequest('invalid continue token: continue key is not valid: incorrect encoding');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== 'meta.k8s.io/v1') return badRequest('invalid continue token: continue key is not valid: server does not recognize this encoded key');
  if (typeof p.rv !== 'number' || typeof p.start !== 'string' || p.start === '') {
    return badRequest('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (p.rv < compactedRevision) return expired();
  return { rv: p.rv, start: p.start };
}

export interface Page<T> {
  items: T[];
  /** Set when keys remain after this page, even if none of them will match the selectors. */
  continue?: string;
  /** Only without selectors: upstream cannot count matches it has not read. */
  remainingItemCount?: number;
}

/**
 * One page from key-ordered entries. Like etcd3's GetList it reads on past non-matching keys until
 * it has `limit` matches, and sets `continue` whenever any key is left after the last one read.
 */
export function paginate<T>(
  entries: readonly (readonly [string, T])[],
  opts: { limit: number; start?: string; rv: number; filtered: boolean; matches: (o: T) => boolean },
): Page<T> {
  const first = opts.start === undefined ? 0 : firstAtOrAfter(entries, opts.start);
  const items: T[] = [];
  let lastRead = first - 1;
  for (let i = first; i < entries.length; i++) {
    if (opts.limit > 0 && items.length >= opts.limit) break;
    const [, o] = entries[i]!;
    lastRead = i;
    if (opts.matches(o)) items.push(o);
  }
  const page: Page<T> = { items };
  const left = entries.length - (lastRead + 1);
  if (opts.limit > 0 && left > 0 && lastRead >= first) {
    page.continue = encodeContinue(opts.rv, entries[lastRead]![0]);
    if (!opts.filtered) page.remainingItemCount = left;
  }
  return page;
}

/** The index of the first key >= `start` in key-ordered entries (binary search: pages of a long list stay cheap). */
function firstAtOrAfter<T>(entries: readonly (readonly [string, T])[], start: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]![0] < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
