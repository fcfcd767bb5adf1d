/**
 * Text from outside np-doctor (API server Status messages, kubelet reasons, SSH disconnect
 * reasons, a node's stderr) is kept as data, but never unbounded: a message stored in a
 * GatherError is cut at MAX_MESSAGE_BYTES of UTF-8 and says that it was cut. Control characters
 * are left alone here; they are made visible where a person reads them (src/text/sanitize.ts).
 */

export const MAX_MESSAGE_BYTES = 4096;

/** Bytes as a person reads a limit: `64 MiB`, `4 KiB`, `100 bytes`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size) return `${(n / size).toFixed(1)} ${unit}`;
  }
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/**
 * The longest prefix of `buf` of at most `max` bytes that does not end inside a UTF-8 sequence,
 * so decoding it adds no replacement character at the cut.
 */
export function utf8Prefix(buf: Buffer, max: number): Buffer {
  const cut = buf.subarray(0, Math.min(max, buf.length));
  // The last lead byte within the last 4 bytes, and how long its sequence should be.
  for (let i = cut.length - 1; i >= 0 && i >= cut.length - 4; i--) {
    const b = cut[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // continuation byte 10xxxxxx
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return cut.length - i < need ? cut.subarray(0, i) : cut;
  }
  return cut;
}

/** `text` when it fits in `max` bytes of UTF-8, else its first bytes and a note of how much was cut. */
export function boundMessage(text: string, max = MAX_MESSAGE_BYTES): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= max) return text;
  const kept = utf8Prefix(Buffer.from(text, 'utf8'), max);
  return `${kept.toString('utf8')}… [np-doctor cut ${bytes - kept.length} more bytes]`;
}
