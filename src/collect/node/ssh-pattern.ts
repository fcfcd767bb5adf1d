/**
 * OpenSSH host patterns, as used by known_hosts host fields and ssh_config `Host` lines
 * (ssh_config(5) "PATTERNS"): `*` matches any run of characters (also none), `?` exactly one,
 * a list is comma- or space-separated, and a matching `!pattern` rejects the whole list no matter
 * what else matches. OpenSSH lowercases host names before matching, so matching ignores case.
 */

/** Whether `text` matches one wildcard pattern (no `!`, no list). */
export function matchPattern(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  // Iterative glob with backtracking to the last `*`: linear in practice, no regex escaping.
  let ti = 0;
  let pi = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    const pc = p[pi];
    if (pc === '*') {
      starP = pi++;
      starT = ti;
    } else if (pc !== undefined && (pc === '?' || pc === t[ti])) {
      pi++;
      ti++;
    } else if (starP >= 0) {
      pi = starP + 1;
      ti = ++starT;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

/**
 * Whether `text` matches a pattern list: true when some positive pattern matches and no negated
 * one does. `matchOne` lets known_hosts plug in hashed entries.
 */
export function matchPatternList(
  text: string,
  patterns: readonly string[],
  matchOne: (text: string, pattern: string) => boolean = matchPattern,
): boolean {
  let matched = false;
  for (const raw of patterns) {
    if (raw === '') continue;
    if (raw.startsWith('!')) {
      if (matchOne(text, raw.slice(1))) return false;
    } else if (matchOne(text, raw)) {
      matched = true;
    }
  }
  return matched;
}
