/**
 * The words of a dumped iptables rule, to hand back to iptables (`iptables -D CHAIN <words>`
 * deletes exactly that rule). The rule comes from a node's dump, so it is untrusted twice over:
 * its words are quoted when printed (sh`…` does that), and it must not smuggle in one of iptables'
 * own options. `--modprobe=/tmp/x` runs a program as root when iptables loads a module, `-t`
 * switches the table, a second command flag changes what the line does. iptables-save never
 * prints any of those inside a rule, so a rule that holds one (or a NUL, which no argv can carry)
 * gets no command at all.
 */
import { tokenize } from './engine.js';

/** Short options a saved rule uses: addresses, protocol, interfaces, fragments, modules, target, goto. */
const RULE_SHORT = new Set(['-s', '-d', '-p', '-i', '-o', '-f', '-m', '-j', '-g']);

/**
 * iptables' own long options (iptables/xshared.c), which getopt also accepts abbreviated to any
 * unambiguous prefix: `--modp` is `--modprobe`.
 */
const GLOBAL_LONG = [
  'append', 'check', 'delete', 'insert', 'replace', 'list', 'list-rules', 'flush', 'zero', 'new-chain',
  'delete-chain', 'rename-chain', 'policy', 'table', 'modprobe', 'set-counters', 'wait', 'wait-interval',
  'verbose', 'numeric', 'exact', 'line-numbers', 'version', 'help', 'ipv4', 'ipv6',
];
/** Option names iptables-save prints that also begin a global option's name (`-m recent --set`). */
const RULE_LONG_SHARING_A_PREFIX = new Set(['set']);

/** The words after `-A CHAIN`, or null when the rule cannot be passed back safely. */
export function ruleSpecWords(rule: string, chain: string): string[] | null {
  const tokens = tokenize(rule);
  if (typeof tokens === 'string' || tokens[0]?.text !== '-A' || tokens[1]?.text !== chain) return null;
  const rest = tokens.slice(2);
  // A quoted word is a value (a comment); iptables-save quotes nothing else.
  if (rest.some((t) => (!t.quoted && !safeWord(t.text)) || t.text.includes('\0'))) return null;
  return rest.map((t) => t.text);
}

function safeWord(word: string): boolean {
  if (!word.startsWith('-') || /^-\d/.test(word)) return true;
  if (!word.startsWith('--')) return RULE_SHORT.has(word);
  const name = word.slice(2).split('=')[0]!;
  if (word.includes('=') || name === '') return false;
  if (RULE_LONG_SHARING_A_PREFIX.has(name)) return true;
  return !GLOBAL_LONG.some((g) => g.startsWith(name));
}
