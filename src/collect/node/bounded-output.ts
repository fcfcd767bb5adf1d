/**
 * What a node command prints, kept up to a limit per stream. A node is untrusted: one that prints
 * gigabytes must not exhaust memory, nor make a string longer than V8 allows (ERR_STRING_TOO_LONG,
 * about 512 MiB). Past the limit the first bytes are kept, the rest is dropped, and the result
 * says so (`truncated`); the shells then stop the command, since its output is unusable as a
 * whole anyway.
 */
import { formatBytes, utf8Prefix } from '../untrusted-text.js';
import type { CommandResult } from './shell.js';

/** Per stream, per command. A kube-proxy dump of 10,000 Services is a few tens of MiB. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;

export class BoundedOutput {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #over = false;

  constructor(readonly limitBytes: number) {
    if (!Number.isInteger(limitBytes) || limitBytes <= 0) throw new RangeError(`output limit must be a positive integer, got ${limitBytes}`);
  }

  /** Adds a chunk; returns false once the stream has gone past the limit (the chunk is cut or dropped). */
  push(chunk: Buffer): boolean {
    if (this.#over) return false;
    const room = this.limitBytes - this.#kept;
    if (chunk.length <= room) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
      return true;
    }
    // Copy the part kept: a subarray would pin the whole (possibly large) chunk in memory.
    if (room > 0) this.#chunks.push(Buffer.from(chunk.subarray(0, room)));
    this.#kept = this.limitBytes;
    this.#over = true;
    return false;
  }

  get truncated(): boolean {
    return this.#over;
  }

  /** The bytes kept, as UTF-8; a cut never leaves half a character behind. */
  text(): string {
    const all = Buffer.concat(this.#chunks, this.#kept);
    return (this.#over ? utf8Prefix(all, this.limitBytes) : all).toString('utf8');
  }
}

/** The two streams of one command, with the same limit. */
export class CommandCapture {
  readonly stdout: BoundedOutput;
  readonly stderr: BoundedOutput;

  constructor(readonly limitBytes: number) {
    this.stdout = new BoundedOutput(limitBytes);
    this.stderr = new BoundedOutput(limitBytes);
  }

  get truncated(): boolean {
    return this.stdout.truncated || this.stderr.truncated;
  }

  /** The stream(s) that went past the limit, for the note in stderr: `stdout`, `stderr and stdout`. */
  overflowed(): string {
    return [this.stdout.truncated ? 'stdout' : '', this.stderr.truncated ? 'stderr' : ''].filter((s) => s !== '').join(' and ');
  }

  /** np-doctor's own line for stderr when it stopped the command because of the limit. */
  stopNote(argv: readonly string[]): string {
    return `np-doctor: "${argv.join(' ')}" printed more than ${formatBytes(this.limitBytes)} on ${this.overflowed()}; np-doctor kept the first ${formatBytes(this.limitBytes)} and stopped it`;
  }

  /**
   * The result: the kept text, `note` (np-doctor's own words, never cut) appended to stderr on a
   * line of its own, and `truncated` when a stream was cut.
   */
  result(exitCode: number | null, note?: string): CommandResult {
    const stderr = this.stderr.text();
    const r: CommandResult = {
      stdout: this.stdout.text(),
      stderr: note === undefined ? stderr : `${stderr}${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}${note}\n`,
      exitCode,
    };
    if (this.truncated) r.truncated = { stdout: this.stdout.truncated, stderr: this.stderr.truncated, limitBytes: this.limitBytes };
    return r;
  }
}
