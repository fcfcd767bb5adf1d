import type { MatchSpec, Rule, RuleOption, TargetSpec } from './ruleset.js';
import { tokenize, UNSUPPORTED_REVISION, type Token } from './tokenize.js';

/** Core options that take one value, with their long spellings. */
const CORE_WITH_VALUE: Record<string, string> = {
  '-s': '-s', '--source': '-s', '--src': '-s',
  '-d': '-d', '--destination': '-d', '--dst': '-d',
  '-p': '-p', '--protocol': '-p',
  '-i': '-i', '--in-interface': '-i',
  '-o': '-o', '--out-interface': '-o',
};

/** `-p tcp --dport 80` loads the tcp match implicitly; iptables-save prints `-m tcp`, hand-written files may not. */
const IMPLICIT_PROTOCOL_MODULE: Record<string, string> = {
  tcp: 'tcp', udp: 'udp', sctp: 'sctp', udplite: 'udplite', dccp: 'dccp',
  icmp: 'icmp', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6',
};

/** Thrown inside this module, turned into a ParseError with the line by the caller. */
export class RuleSyntaxError extends Error {}

const isOptionWord = (t: Token | undefined): boolean =>
  t !== undefined && !t.quoted && t.text.length > 1 && t.text.startsWith('-') && !/^-\d/.test(t.text);

/**
 * Turns one rule line (`-A CHAIN …`, already stripped of a `[p:b]` counter prefix) into matches
 * and a target. The grammar is iptables-restore's: `[!] -opt [!] value…`, `-m MODULE options…`,
 * `-j TARGET options…` or `-g CHAIN`. Options of unknown modules are kept as they are, so a vendor
 * match parses and the walk can say it cannot evaluate it.
 */
export function parseRule(table: string, chain: string, line: number, text: string): Rule {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') throw new RuleSyntaxError(tokens);
  if (tokens[0]?.text !== '-A' || tokens[1] === undefined) throw new RuleSyntaxError('a rule must start with -A CHAIN');
  if (tokens[1].text !== chain) throw new RuleSyntaxError(`rule of chain ${tokens[1].text} listed under ${chain}`);

  const core: MatchSpec = { module: '', options: [] };
  const matches: MatchSpec[] = [core];
  let target: TargetSpec | null = null;
  let current: MatchSpec | TargetSpec | null = null;
  let i = 2;

  const takeValue = (opt: string): { negated: boolean; value: string } => {
    let negated = false;
    // Old iptables (< 1.4.3) wrote the `!` after the option: `-s ! 10.0.0.0/8`.
    if (tokens[i]?.text === '!' && !tokens[i]?.quoted) {
      negated = true;
      i++;
    }
    const v = tokens[i];
    if (v === undefined || (isOptionWord(v) && !v.quoted)) throw new RuleSyntaxError(`${opt} needs a value`);
    i++;
    return { negated, value: v.text };
  };

  while (i < tokens.length) {
    const tok = tokens[i] as Token;
    let negated = false;
    let word = tok;
    if (tok.text === '!' && !tok.quoted) {
      negated = true;
      i++;
      const next = tokens[i];
      if (!isOptionWord(next)) throw new RuleSyntaxError(`"!" must be followed by an option, found ${next ? JSON.stringify(next.text) : 'the end of the rule'}`);
      word = next as Token;
    }
    if (word.quoted || !isOptionWord(word)) throw new RuleSyntaxError(`unexpected word ${JSON.stringify(word.text)}`);
    const name = word.text;
    i++;

    const coreName = CORE_WITH_VALUE[name];
    if (coreName) {
      const v = takeValue(name);
      core.options.push({ name: coreName, negated: negated || v.negated, values: [v.value] });
      continue;
    }
    if (name === '-f' || name === '--fragment') {
      core.options.push({ name: '-f', negated, values: [] });
      continue;
    }
    if (name === '-c' || name === '--set-counters') {
      i += 2; // packet and byte counters; they do not change what the rule matches
      continue;
    }
    if (name === '-m' || name === '--match') {
      const mod = tokens[i];
      if (mod === undefined || isOptionWord(mod)) throw new RuleSyntaxError('-m needs a module name');
      i++;
      const spec: MatchSpec = { module: mod.text, options: [] };
      if (tokens[i]?.text === UNSUPPORTED_REVISION) {
        spec.unsupportedRevision = true;
        i++;
      }
      matches.push(spec);
      current = spec;
      continue;
    }
    if (name === '-j' || name === '--jump' || name === '-g' || name === '--goto') {
      if (target) throw new RuleSyntaxError('a rule has at most one -j/-g');
      const t = tokens[i];
      if (t === undefined || isOptionWord(t)) throw new RuleSyntaxError(`${name} needs a target`);
      i++;
      target = { name: t.text, goto: name === '-g' || name === '--goto', options: [] };
      if (tokens[i]?.text === UNSUPPORTED_REVISION) {
        target.unsupportedRevision = true;
        i++;
      }
      current = target;
      continue;
    }

    // A module or target option: `--opt [!] value…` (values run until the next option or `!`).
    const opt: RuleOption = { name, negated, values: [] };
    if (tokens[i]?.text === '!' && !tokens[i]?.quoted && tokens[i + 1] && !isOptionWord(tokens[i + 1])) {
      opt.negated = true;
      i++;
    }
    while (i < tokens.length) {
      const v = tokens[i] as Token;
      if (!v.quoted && (v.text === '!' || isOptionWord(v))) break;
      opt.values.push(v.text);
      i++;
    }
    let owner = current;
    if (owner === null) {
      const proto = core.options.find((o) => o.name === '-p')?.values[0];
      const implicit = proto === undefined ? undefined : IMPLICIT_PROTOCOL_MODULE[proto.toLowerCase()];
      if (implicit === undefined) throw new RuleSyntaxError(`option ${name} belongs to no match: add -m MODULE (or -p PROTO for port options)`);
      owner = matches.find((m) => m.module === implicit) ?? null;
      if (owner === null) {
        owner = { module: implicit, options: [] };
        matches.push(owner);
      }
    }
    owner.options.push(opt);
  }

  return { table, chain, line, text, matches: core.options.length ? matches : matches.slice(1), target };
}
