/**
 * A list said in one line, bounded: the first few items, then how many more (`node-1, node-2,
 * node-3 and 97 more nodes`). A hundred node names on one line help nobody, and a hostile
 * snapshot could name thousands.
 */
export function firstFew(items: readonly string[], shown: number, noun?: { one: string; many: string }): string {
  const named = items.slice(0, shown).join(', ');
  const more = items.length - shown;
  if (more <= 0) return named;
  return `${named} and ${more} more${noun === undefined ? '' : ` ${more === 1 ? noun.one : noun.many}`}`;
}
