/**
 * The interactive session's state and everything it does, outside React: it holds the snapshot,
 * gathers again when asked (through the function the CLI hands it), runs the first pass over every
 * Service, and replays what-if questions against the snapshot it already has. Views subscribe to it
 * and call its methods; they never fetch or diagnose themselves.
 */
import type { Progress } from '../../collect/gather-progress.js';
import type { Protocol } from '../../engine/packet/contract.js';
import { ClusterModel } from '../../model/cluster.js';
import { healthOf, type Health } from '../../report/health.js';
import type { Report } from '../../report/model.js';
import type { Check } from '../../check-kit/define.js';
import { diagnose } from '../../diagnose.js';
import { QuestionError, type Ask } from '../../run/question.js';
import type { Snapshot } from '../../snapshot/schema.js';
import { ProgressStore } from './progress-store.js';
import { saveSession, type SaveResult } from './save.js';
import { namespacesOf, serviceRows, type ServiceRow } from './services.js';

/**
 * Gathers a fresh snapshot of one namespace (null: all), with --probe's probes for `probe` when
 * given (and only then: without it no packet is sent). Throws an Error whose message is for a person.
 */
export type Gatherer = (namespace: string | null, progress: Progress, signal: AbortSignal, probe?: Ask) => Promise<Snapshot>;

/** What the user may change and replay without gathering again. */
export interface WhatIf {
  node?: string;
  nodeIp?: string;
  from?: string;
  port?: string;
  protocol?: Protocol;
  /** Ask.returningClient: a client that connected before (session affinity). */
  returningClient?: boolean;
  /** One address family of a dual-stack Service (else an IPv6 --from / node IP decides, else each it has). */
  family?: 4 | 6;
}

export interface Diagnosis {
  /** Bumped by every question asked: views showing an answer key on it. */
  seq: number;
  row: ServiceRow;
  whatIf: WhatIf;
  report: Report | null;
  /** The checks running live while the report is being made. */
  progress: ProgressStore;
  error: string | null;
}

/** What the first pass found for one Service. */
export interface FirstPass {
  health: Health;
  /** The top finding's check id. */
  top: string | null;
}

export interface Notice {
  text: string;
  tone: 'info' | 'error';
}

export interface SessionState {
  /** gathering: a (re-)gather is running, shown with `progress`. */
  phase: 'gathering' | 'ready' | 'empty';
  progress: ProgressStore | null;
  snapshot: Snapshot | null;
  /** The snapshot file replayed, null when gathered live. */
  file: string | null;
  /** The namespace shown, null: all the snapshot holds. */
  namespace: string | null;
  namespaces: readonly string[];
  services: readonly ServiceRow[];
  /** First-pass health per ServiceRow.key; absent while it is being worked out. */
  health: Readonly<Record<string, FirstPass>>;
  diagnosis: Diagnosis | null;
  notice: Notice | null;
}

export interface SessionOptions {
  checks: readonly Check[];
  snapshot?: Snapshot;
  file?: string | null;
  /** Live sessions gather; offline ones (a snapshot file) cannot. */
  gather?: Gatherer;
  /** The namespace to gather or show first (null: all). */
  namespace: string | null;
  /** Where `s` saves, relative paths from here. */
  cwd: string;
}

/** `; 12 probes: 10 connected, 2 timed-out (below the findings)`, or nothing without probes. */
function probeSummary(probes: Snapshot['probes']): string {
  if (probes === undefined) return '';
  const counts = new Map<string, number>();
  for (const p of probes) counts.set(p.result, (counts.get(p.result) ?? 0) + 1);
  return `; ${probes.length} probe${probes.length === 1 ? '' : 's'}: ${[...counts].map(([r, n]) => `${n} ${r}`).join(', ') || 'none planned'} (listed below the detail)`;
}

/**
 * The question a diagnosis asks: its Service, with the what-if changes (none: the default nodes,
 * every node of a snapshot of up to 16, as `diagnose` and `scan` replay them).
 */
function askOf(row: ServiceRow, whatIf: WhatIf): Ask {
  return { namespace: row.namespace, service: row.name, ...whatIf };
}

export class Session {
  private state: SessionState;
  private readonly listeners = new Set<() => void>();
  private cluster: ClusterModel | null = null;
  private gathering: AbortController | null = null;
  /** Bumped by every new snapshot, so a first pass over an old one stops. */
  private generation = 0;
  private seq = 0;
  /** The first pass's reports: opening a Service as it is asks the same question. */
  private readonly firstReports = new Map<string, Report>();

  constructor(private readonly opts: SessionOptions) {
    this.state = {
      phase: 'empty', progress: null, snapshot: null, file: opts.file ?? null, namespace: opts.namespace,
      namespaces: [], services: [], health: {}, diagnosis: null, notice: null,
    };
    if (opts.snapshot) this.useSnapshot(opts.snapshot, opts.file ?? null);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): SessionState => this.state;

  /** Where `s` saves relative names. */
  get cwd(): string {
    return this.opts.cwd;
  }

  get live(): boolean {
    return this.opts.gather !== undefined;
  }

  /** Nodes of the snapshot, for the what-if node choice. */
  nodeNames(): string[] {
    return this.cluster?.nodes.map((n) => n.name) ?? [];
  }

  /** The model of the current snapshot (the path view reads chains from it). */
  model(): ClusterModel | null {
    return this.cluster;
  }

  /**
   * Gathers (live) and replaces the snapshot; with `probe`, also probes the wire for that question.
   * Resolves when done, failed or stopped.
   */
  async regather(namespace = this.state.namespace, probe?: Ask): Promise<void> {
    const gather = this.opts.gather;
    if (gather === undefined) {
      this.notify({ text: 'offline: this session replays a snapshot file; run np-doctor tui without --snapshot to gather live', tone: 'error' });
      return;
    }
    if (this.gathering !== null) return;
    const progress = new ProgressStore();
    const abort = new AbortController();
    this.gathering = abort;
    this.set({ phase: 'gathering', progress, notice: null });
    try {
      const snapshot = await gather(namespace, progress, abort.signal, probe);
      // An interrupted gathering can still return what it had: half a snapshot is not an answer.
      if (abort.signal.aborted) throw new Error('stopped');
      this.set({ namespace });
      this.useSnapshot(snapshot, null);
      const errors = snapshot.errors;
      const when = `gathered ${new Date(snapshot.createdAt).toLocaleTimeString()}${probeSummary(snapshot.probes)}`;
      this.notify(errors.length === 0
        ? { text: when, tone: 'info' }
        : { text: `${when}; ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.node ? `${e.node}: ` : ''}${e.what}: ${e.why}`).join('; ')}`, tone: 'error' });
    } catch (e) {
      const stopped = abort.signal.aborted;
      this.set({ phase: this.state.snapshot === null ? 'empty' : 'ready' });
      this.notify({ text: stopped ? 'gathering stopped' : `cannot gather: ${(e as Error).message}`, tone: 'error' });
    } finally {
      progress.stop();
      this.gathering = null;
    }
  }

  /** Gathers again, probing the wire (--probe) for the open diagnosis's question. */
  async probe(): Promise<void> {
    const d = this.state.diagnosis;
    if (d === null) return;
    if (!this.live) {
      this.notify({ text: 'probes need a live cluster: this session replays a snapshot file (np-doctor diagnose --probe, or np-doctor tui without --snapshot)', tone: 'error' });
      return;
    }
    await this.regather(this.state.namespace, askOf(d.row, d.whatIf));
  }

  /** Shows one namespace (null: all). A namespace the snapshot does not hold is gathered, when live. */
  async setNamespace(namespace: string | null): Promise<void> {
    const held = this.state.snapshot?.target.namespace;
    if (held === null || held === namespace) {
      this.set({ namespace, notice: null });
      return;
    }
    if (this.live) {
      await this.regather(namespace);
      return;
    }
    this.notify({ text: `this snapshot holds namespace ${held ?? '?'} only (np-doctor snapshot -A saves every namespace)`, tone: 'error' });
  }

  /** Opens a Service's diagnosis, replaying it with the what-if changes (none: every node). */
  async open(row: ServiceRow, whatIf: WhatIf = {}): Promise<void> {
    const snapshot = this.state.snapshot;
    if (snapshot === null || this.cluster === null) return;
    const previous = this.state.diagnosis?.row.key === row.key ? this.state.diagnosis : null;
    const progress = new ProgressStore();
    const seq = ++this.seq;
    const known = Object.keys(whatIf).length === 0 ? this.firstReports.get(row.key) : undefined;
    // While the new answer is worked out there is none: the old one under the new question would mislead.
    this.set({ diagnosis: { seq, row, whatIf, report: known ?? null, progress, error: null } });
    if (known !== undefined) return;
    try {
      const report = await diagnose(snapshot, askOf(row, whatIf), { checks: this.opts.checks, snapshotFile: this.state.file, cluster: this.cluster, onCheck: progress.check });
      if (this.state.diagnosis?.seq !== seq) return; // another question was asked meanwhile
      this.set({ diagnosis: { seq, row, whatIf, report, progress, error: null } });
    } catch (e) {
      if (this.state.diagnosis?.seq !== seq) return;
      const why = e instanceof QuestionError ? e.message : `np-doctor failed: ${(e as Error).message}`;
      // Keep the last good answer; say why the new question cannot be asked.
      const keep = previous?.report ? previous : { seq, row, whatIf: {}, report: null, progress, error: null };
      this.set({ diagnosis: { ...keep, seq, error: why } });
      this.notify({ text: `cannot replay that: ${why}`, tone: 'error' });
    }
  }

  close(): void {
    this.set({ diagnosis: null });
  }

  /**
   * Writes the snapshot and the open diagnosis's report next to each other. An existing file is
   * replaced only with `overwrite`; without it the answer says which files exist, so the view can ask.
   */
  async save(base: string, overwrite = false): Promise<SaveResult | null> {
    const { snapshot, diagnosis } = this.state;
    if (snapshot === null) return null;
    try {
      const saved = await saveSession(this.opts.cwd, base, snapshot, diagnosis?.report ?? null, overwrite);
      if (saved.kind === 'saved') this.notify({ text: `saved ${saved.files.join(' and ')}`, tone: 'info' });
      return saved;
    } catch (e) {
      this.notify({ text: `cannot save: ${(e as Error).message}`, tone: 'error' });
      return null;
    }
  }

  notify(notice: Notice | null): void {
    this.set({ notice });
  }

  /**
   * Ends the session's work: the first pass stops, and a running gathering is aborted and awaited
   * until it has cleaned up (its debug pods are deleted).
   */
  async stop(): Promise<void> {
    this.generation++;
    const g = this.gathering;
    if (g === null) return;
    g.abort(new Error('the session is ending'));
    while (this.gathering !== null) await new Promise((r) => setTimeout(r, 20));
  }

  private useSnapshot(snapshot: Snapshot, file: string | null): void {
    this.generation++;
    this.firstReports.clear();
    this.cluster = new ClusterModel(snapshot);
    const services = serviceRows(this.cluster);
    const held = snapshot.target.namespace;
    const namespace = held ?? this.state.namespace;
    const reopen = this.state.diagnosis;
    this.set({
      phase: 'ready', snapshot, file, services, health: {}, diagnosis: null,
      namespaces: namespacesOf(snapshot, this.cluster),
      namespace: namespace !== null && services.some((s) => s.namespace === namespace) ? namespace : held,
    });
    if (reopen !== null) {
      const row = services.find((s) => s.key === reopen.row.key);
      if (row !== undefined) void this.open(row, reopen.whatIf);
    }
    void this.firstPass(this.generation);
  }

  /**
   * Every Service replayed on every node, one at a time so the screen stays responsive; the
   * namespace shown first, so its badges come first. All share the session's one model, so each
   * node's dumps are parsed once for the whole pass.
   */
  private async firstPass(generation: number): Promise<void> {
    const snapshot = this.state.snapshot;
    if (snapshot === null || this.cluster === null) return;
    const shown = this.state.namespace;
    const rows = [...this.state.services].sort((a, b) => Number(b.namespace === shown) - Number(a.namespace === shown));
    for (const row of rows) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (generation !== this.generation) return;
      let report: Report;
      try {
        report = await diagnose(snapshot, askOf(row, {}),
          { checks: this.opts.checks, snapshotFile: this.state.file, cluster: this.cluster });
      } catch (e) {
        this.notify({ text: `${row.key}: np-doctor failed: ${(e as Error).message}`, tone: 'error' });
        continue;
      }
      if (generation !== this.generation) return;
      this.firstReports.set(row.key, report);
      this.set({ health: { ...this.state.health, [row.key]: { health: healthOf(report), top: report.findings[0]?.id ?? null } } });
    }
  }

  private set(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
}
