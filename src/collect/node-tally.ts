/**
 * How many of the planned nodes are done, as one progress step ("nodes 37/100 read, 2 failed"):
 * on a 100-node cluster the per-node lines scroll past, and this is the line that says how far
 * the gathering is. Shared by every gatherNodes call of one gathering (dump files, then a shell).
 */
import type { Progress } from './gather-progress.js';

export const NODES_STEP = 'nodes';

export class NodeTally {
  private read = 0;
  private failed = 0;

  constructor(private readonly progress: Progress, private readonly total: number) {}

  /** Shows the count before the first node ends. */
  begin(): void {
    if (this.total > 0) this.progress.start(NODES_STEP, this.text());
  }

  /** One node ended: read (perhaps with problems of its own), or not read at all. */
  done(how: 'read' | 'failed'): void {
    if (how === 'read') this.read++;
    else this.failed++;
    if (this.read + this.failed < this.total) this.progress.start(NODES_STEP, this.text());
    else if (this.failed > 0) this.progress.warn(NODES_STEP, this.text());
    else this.progress.succeed(NODES_STEP, this.text());
  }

  text(): string {
    return `nodes ${this.read}/${this.total} read${this.failed > 0 ? `, ${this.failed} failed` : ''}`;
  }
}
