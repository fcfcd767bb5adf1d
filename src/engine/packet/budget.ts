/**
 * How much work one walk may do. Rules come from the node, so they are attacker-controlled: a few
 * dozen forking rules would otherwise make the walk enumerate 2^n branches. A walk has three
 * budgets: branches created (every fork, wherever it happens), rule evaluations (steps), and time.
 * The engine has no clock: the caller injects one. Past any budget the walk stops exploring, and
 * every branch still in flight is pooled into one INDETERMINATE outcome that names the budget.
 */
export interface WalkLimits {
  /** Most branches one walk may create, counting the first (default 4096). */
  maxBranches?: number;
  /** Most rule evaluations over all branches (default 250 000). */
  maxSteps?: number;
  /** The caller's monotonic clock in milliseconds (`performance.now`); with `timeLimitMs`, the walk times itself. */
  now?: () => number;
  /** How long one walk may take, measured with `now` from the start of the walk. */
  timeLimitMs?: number;
  /** Any other stop the caller owns: true once the walk must stop (an absolute deadline, a cancel). */
  deadline?: () => boolean;
}

const DEFAULT_MAX_BRANCHES = 4096;
const DEFAULT_MAX_STEPS = 250_000;
/**
 * The time budget callers with a clock give one walk. Walks of real dumps take milliseconds; the
 * branch and step budgets bound a hostile dump's work, and this bounds the wall time on a slow or
 * loaded machine.
 */
export const DEFAULT_TIME_LIMIT_MS = 5000;

/** Reading a clock costs more than a rule: the time budget is looked at every this many steps or forks. */
const CLOCK_EVERY = 256;

/** What was left when a budget ran out: its total probability and the most probable branch. */
export interface Abandoned<B> {
  probability: number;
  why: string;
  representative: B;
}

/** One walk's budget, shared by all its branches `B` (forks copy the reference). */
export class Budget<B extends { probability: number }> {
  branches = 1;
  steps = 0;
  /** Why the walk stopped exploring; null while it may go on. */
  exhausted: string | null = null;
  private readonly maxBranches: number;
  private readonly maxSteps: number;
  private readonly started: number;
  /** Starts full, so the first step or fork already looks at the clock. */
  private ticks = CLOCK_EVERY;
  private pooled = 0;
  private best: B | null = null;

  constructor(private readonly limits: WalkLimits = {}) {
    this.maxBranches = limits.maxBranches ?? DEFAULT_MAX_BRANCHES;
    this.maxSteps = limits.maxSteps ?? DEFAULT_MAX_STEPS;
    this.started = limits.now && limits.timeLimitMs !== undefined ? limits.now() : 0;
  }

  /** Counts `n` rule evaluations. */
  step(n = 1): void {
    this.steps += n;
    if (this.exhausted === null && this.steps > this.maxSteps) {
      this.exhausted = `the walk gave up after ${this.maxSteps} rule evaluations (its step budget)`;
    }
    this.tick(n);
  }

  /** Counts one more branch. */
  forked(): void {
    this.branches++;
    if (this.exhausted === null && this.branches > this.maxBranches) {
      this.exhausted = `the walk gave up after ${this.maxBranches} branches (its branch budget)`;
    }
    this.tick(1);
  }

  /** True once the walk must stop exploring. */
  get over(): boolean {
    return this.exhausted !== null;
  }

  /** Takes a branch out of the walk: it joins what was left unexplored. */
  abandon(b: B): void {
    this.pooled += b.probability;
    if (this.best === null || b.probability > this.best.probability) this.best = b;
  }

  abandonAll(bs: Iterable<B>): void {
    for (const b of bs) this.abandon(b);
  }

  /** Everything abandoned, as one outcome's worth of facts; null when nothing was. */
  leftOver(): Abandoned<B> | null {
    if (this.best === null) return null;
    const why = `${this.exhausted ?? 'the walk stopped'}: the paths still open then were not followed, so what happens to this share of packets is not known`;
    return { probability: this.pooled, why, representative: this.best };
  }

  private tick(n: number): void {
    this.ticks += n;
    if (this.ticks < CLOCK_EVERY || this.exhausted !== null) return;
    this.ticks = 0;
    const { now, timeLimitMs, deadline } = this.limits;
    if (now && timeLimitMs !== undefined && now() - this.started > timeLimitMs) {
      this.exhausted = `the walk gave up after ${timeLimitMs} ms (its time budget), with ${this.branches} branches and ${this.steps} rule evaluations`;
    } else if (deadline?.()) {
      this.exhausted = `the walk gave up when its time budget ran out, with ${this.branches} branches and ${this.steps} rule evaluations`;
    }
  }
}
