/** What differs per address family in a fix: the iptables program (ip6tables for IPv6). */
import { sh, type Command, type Interpolation } from '../../src/check-kit/index.js';

/**
 * `sh` for the family's iptables: iptablesFor(6)`-t nat -S X` is `ip6tables -t nat -S X`. The
 * program is prepended to the literal text, so it stays the command's literal first word.
 */
export function iptablesFor(family: 4 | 6): (strings: TemplateStringsArray, ...values: Interpolation[]) => Command {
  const program = family === 4 ? 'iptables ' : 'ip6tables ';
  return (strings, ...values) => {
    const raw = [program + (strings.raw[0] ?? ''), ...strings.raw.slice(1)];
    const cooked = Object.assign([program + (strings[0] ?? ''), ...strings.slice(1)], { raw });
    return sh(cooked, ...values);
  };
}
