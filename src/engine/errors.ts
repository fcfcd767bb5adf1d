/** A dump that iptables-save could not have printed. Names the source and the line at fault. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly problem: string,
    readonly text?: string,
  ) {
    super(`${source}:${line}: ${problem}${text === undefined ? '' : `\n  ${line} | ${text}`}`);
  }
}
