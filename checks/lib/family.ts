/** What differs per address family: the iptables program of a fix (ip6tables for IPv6), the pod CIDRs. */
import { familyOf, sh, type Command, type Interpolation } from '../../src/check-kit/index.js';

/** The pod CIDRs of one address family: a dual-stack node lists one per family (spec.podCIDRs). */
export function podCidrsOf(cidrs: readonly string[], family: 4 | 6 | null): string[] {
  return cidrs.filter((c) => familyOf(c.split('/')[0] ?? '') === family);
}

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
