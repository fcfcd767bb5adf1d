/**
 * A string from the command line, a cluster or a snapshot, bounded for a message: its first `max`
 * characters, then `…` when there was more. (A terminal column layout cuts by display width with
 * wrap.ts's truncate instead.)
 */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
