/**
 * `np-doctor completion bash|zsh|fish`: a script for the shell that asks np-doctor itself what may
 * come next (`np-doctor __complete WORDS…`), so commands, each command's own flags and the values
 * np-doctor knows (-o formats, --fail-on levels, --collect modes…) always match this version.
 * The answer is cobra's (kubectl's) format: one candidate a line, then `:DIRECTIVE`, 4 for "no
 * file names", 0 for "file names may follow". kubectl's plugin completion reads the same answer
 * from an executable named kubectl_complete-np_doctor (src/kubectl-complete.ts).
 */
import { SNAPSHOT_FORMATS } from '../snapshot/stream-format.js';
import { EXIT } from '../exit.js';
import { command } from './command.js';
import { commandNamed, COMMANDS, COMPLETE_COMMAND } from './commands.js';
import { COLLECT } from './gather-flags.js';
import { FILE_FLAGS } from './input-files.js';
import { UsageError } from './io.js';
import { OUTPUT_FORMATS } from '../report/formats.js';
import { FAIL_ON_LEVELS } from './output-values.js';

export const COMPLETION_HELP = `Usage: np-doctor completion bash|zsh|fish

Prints a shell completion script: commands, each command's flags, and the values np-doctor knows
(-o formats, --fail-on levels, --collect modes, --format). Load it with the line for your shell:
  source <(np-doctor completion bash)   # bash: put this line in ~/.bashrc
  np-doctor completion zsh > "\${fpath[1]}/_np-doctor"   # zsh: then restart zsh
  np-doctor completion fish > ~/.config/fish/completions/np-doctor.fish   # fish

As a kubectl plugin (kubectl np-doctor …), kubectl 1.26 and later complete it through the
executable kubectl_complete-np_doctor that np-doctor's package installs next to np-doctor.
`;

/** cobra's ShellCompDirective values, as kubectl reads them. */
const NO_FILES = 4;
const FILES = 0;

/** Values of flags np-doctor knows (-o's depend on the command: outputValues). */
const VALUES: Record<string, readonly string[]> = {
  'fail-on': FAIL_ON_LEVELS,
  collect: COLLECT,
  format: SNAPSHOT_FORMATS,
  protocol: ['tcp', 'udp', 'sctp'],
  proto: ['tcp', 'udp', 'sctp', 'icmp'],
  family: ['4', '6'],
  // --snapshot also takes a file: the scripts add file names to it (directive 0).
  snapshot: ['demo'],
};

/** Commands whose -o prints text or json only; snapshot's -o is a file. */
const TEXT_OR_JSON = new Set(['checks', 'trace', 'version']);

function outputValues(command: string): readonly string[] {
  return TEXT_OR_JSON.has(command) ? ['text', 'json'] : OUTPUT_FORMATS;
}

const FILE_VALUED = new Set<string>([...FILE_FLAGS, 'save-snapshot', 'file', 'node-dump']);

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** The answer to `__complete WORDS…`: WORDS are what follows `np-doctor`, the last one being completed ('' after a space). */
export async function completeWords(words: readonly string[]): Promise<string> {
  const answer = (candidates: readonly string[], cur: string, directive: number) =>
    `${candidates.filter((c) => c.startsWith(cur)).map((c) => `${c}\n`).join('')}:${directive}\n`;
  const cur = words.at(-1) ?? '';
  if (words.length <= 1) {
    return answer(cur.startsWith('-') ? ['--help', '--version'] : [...Object.keys(COMMANDS), 'help'], cur, NO_FILES);
  }
  const name = words[0]!;
  if (name === 'help') return answer(words.length === 2 ? Object.keys(COMMANDS) : [], cur, NO_FILES);
  const entry = commandNamed(name);
  if (entry === undefined) return answer([], cur, NO_FILES);
  if (name === 'completion') return answer(words.length === 2 ? SHELLS : [], cur, NO_FILES);
  const flags = (await entry.load()).run.flags;
  const prev = words.at(-2)!;
  const prevFlag = flagNamed(prev, flags);
  if (prevFlag !== undefined && flags[prevFlag]?.type === 'string') {
    const isFile = FILE_VALUED.has(prevFlag) || (prevFlag === 'output' && name === 'snapshot');
    if (isFile) return answer(prevFlag === 'snapshot' ? VALUES.snapshot! : [], cur, FILES);
    return answer(prevFlag === 'output' ? outputValues(name) : VALUES[prevFlag] ?? [], cur, NO_FILES);
  }
  if (cur.startsWith('-')) {
    const used = new Set(words.slice(1, -1).map((w) => flagNamed(w, flags)));
    return answer(Object.entries(flags).filter(([f, o]) => o.multiple === true || !used.has(f)).map(([f]) => `--${f}`), cur, NO_FILES);
  }
  return answer([], cur, NO_FILES);
}

/** The flag a word names (`--node`, `-n`), or undefined. */
function flagNamed(word: string, flags: Record<string, { short?: string | undefined }>): string | undefined {
  if (word.startsWith('--')) return Object.hasOwn(flags, word.slice(2)) ? word.slice(2) : undefined;
  if (/^-[a-zA-Z]$/.test(word)) return Object.entries(flags).find(([, o]) => o.short === word.slice(1))?.[0];
  return undefined;
}

export const run = command({
  help: COMPLETION_HELP,
  flags: {},
  positionals: true,
  run({ positionals }, io) {
    const shell = SHELLS.find((s) => s === positionals[0]);
    if (shell === undefined || positionals.length !== 1) throw new UsageError(`which shell? np-doctor completion ${SHELLS.join('|')}`);
    io.stdout(SCRIPTS[shell]);
    return EXIT.ok;
  },
});

/**
 * Each script hands the words typed so far to np-doctor (the program as typed, so a local
 * ./node_modules/.bin/np-doctor answers for itself) and offers what comes back; with directive 0,
 * file names too (--snapshot: demo or a file). bash inserts file names quoted (-o filenames): a
 * file named `$(touch x).json` stays a name.
 */
const SCRIPTS: Record<(typeof SHELLS)[number], string> = {
  bash: `# np-doctor bash completion: source <(np-doctor completion bash)
_np_doctor_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} line
  local -a out=()
  while IFS= read -r line; do out+=("$line"); done < <("\${COMP_WORDS[0]}" ${COMPLETE_COMMAND} "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  local n=\${#out[@]} directive=4
  if (( n > 0 )) && [[ \${out[n-1]} == :* ]]; then directive=\${out[n-1]#:}; unset "out[n-1]"; fi
  COMPREPLY=("\${out[@]}")
  if [[ $directive == 0 ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t -O "\${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _np_doctor_complete np-doctor
`,
  zsh: `#compdef np-doctor
# np-doctor zsh completion: np-doctor completion zsh > "\${fpath[1]}/_np-doctor"
_np_doctor() {
  local -a out
  out=("\${(@f)$(\${words[1]} ${COMPLETE_COMMAND} "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local directive=\${out[-1]#:}
  out=("\${(@)out[1,-2]}")
  local ret=1
  (( \${#out} )) && compadd -- "\${out[@]}" && ret=0
  [[ $directive == 0 ]] && _files && ret=0
  return $ret
}
# Autoloaded from fpath, this file is the body of _np-doctor, run on the first Tab: complete now.
if [[ $funcstack[1] == _np-doctor ]]; then _np_doctor "$@"; else compdef _np_doctor np-doctor; fi
`,
  fish: `# np-doctor fish completion: np-doctor completion fish > ~/.config/fish/completions/np-doctor.fish
function __np_doctor_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] ${COMPLETE_COMMAND} $words[2..-1] 2>/dev/null)
    set -l directive (string replace -- ':' '' $out[-1])
    set -e out[-1]
    if test (count $out) -gt 0
        printf '%s\\n' $out
    end
    if test "$directive" = 0
        __fish_complete_path (commandline -ct)
    end
end
complete -c np-doctor -f -a '(__np_doctor_complete)'
`,
};
