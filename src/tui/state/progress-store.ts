/**
 * Gathering steps and check runs as they happen, held for an Ink view. It is the `Progress` that
 * gathering reports to (the TUI's counterpart of the ora spinner), plus the runner's per-check
 * events. Every change makes a new immutable view, so React's useSyncExternalStore sees it.
 */
import { performance } from 'node:perf_hooks';
import type { Progress } from '../../collect/gather-progress.js';
import type { RunOptions } from '../../run/runner.js';

export type StepState = 'running' | 'ok' | 'warn' | 'fail' | 'stopped';

export interface Step {
  id: string;
  text: string;
  state: StepState;
  /** Time taken, once the step has ended. */
  ms: number | null;
}

export type CheckEvent = Parameters<NonNullable<RunOptions['onCheck']>>[0];

export interface ProgressView {
  steps: readonly Step[];
  /** Steps in the order they ended: only ever appended to (Ink's <Static> prints each once). */
  ended: readonly Step[];
  checks: readonly CheckEvent[];
}

export class ProgressStore implements Progress {
  private view: ProgressView = { steps: [], ended: [], checks: [] };
  private readonly startedAt = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): ProgressView => this.view;

  start(id: string, text: string): void {
    // Gathering restarts a node's step for each command it runs; the step's clock keeps going.
    if (!this.startedAt.has(id)) this.startedAt.set(id, performance.now());
    this.setStep(id, text, 'running');
  }

  succeed(id: string, text: string): void {
    this.setStep(id, text, 'ok');
  }

  warn(id: string, text: string): void {
    this.setStep(id, text, 'warn');
  }

  fail(id: string, text: string): void {
    this.setStep(id, text, 'fail');
  }

  stop(): void {
    const stopped = this.view.steps.filter((s) => s.state === 'running').map((s) => ({ ...s, state: 'stopped' as const, ms: this.elapsed(s.id) }));
    const steps = this.view.steps.map((s) => stopped.find((x) => x.id === s.id) ?? s);
    this.update({ ...this.view, steps, ended: [...this.view.ended, ...stopped] });
  }

  readonly check = (event: CheckEvent): void => {
    const checks = this.view.checks.filter((c) => c.id !== event.id);
    this.update({ ...this.view, checks: [...checks, event] });
  };

  private setStep(id: string, text: string, state: StepState): void {
    const step: Step = { id, text, state, ms: state === 'running' ? null : this.elapsed(id) };
    const i = this.view.steps.findIndex((s) => s.id === id);
    const steps = i < 0 ? [...this.view.steps, step] : this.view.steps.map((s, j) => (j === i ? step : s));
    const ended = state === 'running' ? this.view.ended : [...this.view.ended, step];
    this.update({ ...this.view, steps, ended });
  }

  private elapsed(id: string): number {
    const t = this.startedAt.get(id);
    return t === undefined ? 0 : Math.round(performance.now() - t);
  }

  private update(view: ProgressView): void {
    this.view = view;
    for (const l of this.listeners) l();
  }
}
