import type { Branch } from './branch.js';
import type { Budget } from './budget.js';
import { mergeSame } from './merge.js';

/**
 * Branches waiting at the rules of one chain, taken lowest rule first. Within a chain a branch only
 * moves forward, so every branch that can still reach rule i has done so when rule i is taken:
 * branches that reach the same rule in the same state meet there and are merged before it runs.
 */
export class RuleQueue<T> {
  private readonly at = new Map<number, T[]>();
  /** Binary min-heap of the indices in `at`. */
  private readonly heap: number[] = [];

  add(i: number, x: T): void {
    const list = this.at.get(i);
    if (list) {
      list.push(x);
      return;
    }
    this.at.set(i, [x]);
    const h = this.heap;
    h.push(i);
    for (let k = h.length - 1; k > 0;) {
      const parent = (k - 1) >> 1;
      if ((h[parent] as number) <= i) break;
      h[k] = h[parent] as number;
      h[parent] = i;
      k = parent;
    }
  }

  /** The lowest index and everything waiting there; null when empty. */
  take(): [number, T[]] | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      h[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < h.length && (h[l] as number) < (h[m] as number)) m = l;
        if (r < h.length && (h[r] as number) < (h[m] as number)) m = r;
        if (m === k) break;
        [h[k], h[m]] = [h[m] as number, h[k] as number];
        k = m;
      }
    }
    const list = this.at.get(top) as T[];
    this.at.delete(top);
    return [top, list];
  }

  /** Everything still waiting, emptying the queue. */
  drain(): T[] {
    const out = [...this.at.values()].flat();
    this.at.clear();
    this.heap.length = 0;
    return out;
  }
}

/**
 * The next rule and the branches waiting there, merged where they are in the same state; null when
 * nothing waits, or when the walk's budget ran out (every waiting branch is then handed to it).
 */
export function nextAtRule(queue: RuleQueue<Branch>, budget: Budget<Branch>): [number, Branch[]] | null {
  const next = queue.take();
  if (next === null) return null;
  if (budget.over) {
    budget.abandonAll(next[1]);
    budget.abandonAll(queue.drain());
    return null;
  }
  return [next[0], mergeSame(next[1], (b) => b)];
}
