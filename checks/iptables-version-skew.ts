/**
 * kube-proxy writes rules with the iptables in its image; the node's own iptables reads them back.
 * When the node's is older, iptables-save prints what it cannot decode as `[unsupported revision]`
 * (or refuses a table as "incompatible"), and an iptables-save | iptables-restore round trip on the
 * node (firewall reloads, backups) rewrites kube-proxy's rules wrongly. np-doctor then cannot
 * replay those rules either.
 */
import { contentKey, defineCheck, sh, type Command, type CommandOutput, type Evidence, type FindingInput } from '../src/check-kit/index.js';
import { ingressAndEndpointNodes } from './lib/path-nodes.js';

const DUMPS = ['iptables-nft-save', 'iptables-legacy-save', 'iptables-save'] as const;
const UNSUPPORTED = '[unsupported revision]';
/** stderr lines of iptables-save that mean "this tool cannot read what is in the kernel". */
const TROUBLE = /unsupported revision|is incompatible, use 'nft' tool|Extension .* revision .* not supported|Couldn't load (match|target)/i;
const MAX_LINES = 5;

type Dump = (typeof DUMPS)[number];
// A command's program is a literal word: the dump's tool is named by its command id, never by the
// argv a snapshot says it ran.
const SHOW_UNSUPPORTED: Record<Dump, Command> = {
  'iptables-nft-save': sh`iptables-nft-save | grep -n -F ${UNSUPPORTED}`,
  'iptables-legacy-save': sh`iptables-legacy-save | grep -n -F ${UNSUPPORTED}`,
  'iptables-save': sh`iptables-save | grep -n -F ${UNSUPPORTED}`,
};
const TOOL_VERSION: Record<Dump, Command> = {
  'iptables-nft-save': sh`iptables-nft-save --version`,
  'iptables-legacy-save': sh`iptables-legacy-save --version`,
  'iptables-save': sh`iptables-save --version`,
};

const MESSAGES = {
  unsupported: '{{node}}\'s {{tool}} ({{version}}) cannot decode {{count}} rule{{s}} in its dump and prints them as "[unsupported revision]", e.g. {{table}}/{{chain}} line {{line}}. The rules were written by a newer iptables (kube-proxy\'s image brings its own) than the node\'s. Replaying them is impossible, and any iptables-save | iptables-restore on {{node}} with this tool would write them back wrong.',
  incompatible: '{{tool}} on {{node}} reports that it cannot read the kernel\'s rules: "{{excerpt}}". Something wrote them with a newer iptables or with nft directly, so this dump is incomplete and iptables tools on {{node}} cannot safely rewrite them.',
  versionDiffers: 'On {{node}} `iptables` is {{hostVersion}} but {{tool}} is {{dumpVersion}}: two iptables installations of different versions share the node. Rules written by one can be misread or rewritten wrongly by the other.',
} as const;

export default defineCheck({
  id: 'iptables-version-skew',
  title: "The node's iptables cannot read kube-proxy's rules",
  description: 'A node\'s iptables-save prints "[unsupported revision]" or compatibility errors, or its iptables differs in version from the save tools: the node\'s and kube-proxy\'s iptables are skewed.',
  severity: 'warning',
  stage: 'kube-proxy',
  requires: ['nodeState', 'endpointSlices', 'kubeProxy'],
  messages: MESSAGES,
  run(ctx) {
    const findings: FindingInput<typeof MESSAGES>[] = [];
    for (const node of ingressAndEndpointNodes(ctx)) {
      const data = ctx.nodeState(node);
      if (data.unavailable !== null) continue;
      const versionOut = data.command('iptables-version');
      const hostVersion = versionOut?.exitCode === 0 ? versionOut.stdout.trim() : null;
      const host = hostVersion === null ? null : majorMinor(hostVersion);
      const pod = ctx.kubeProxy.podsOn(node)[0];
      const commands = [
        sh`iptables --version`,
        ...(pod !== undefined ? [sh`kubectl -n kube-system exec ${pod.name} -- iptables --version`] : []),
      ];
      const summary = `Use the same iptables on ${node} as in kube-proxy's image: upgrade the node's iptables package (or run a kube-proxy release whose iptables is not newer), and do not save and restore kube-proxy's rules with the node's older tool.`;

      for (const id of DUMPS) {
        const out = data.command(id);
        if (out === undefined) continue;
        const tool = out.argv[0] ?? id;
        const { header, hasTable, unsupported: found } = factsOf(out);
        const [first] = found;
        if (first !== undefined) {
          const evidence: Evidence[] = found.slice(0, MAX_LINES).map((f) => ({ kind: 'rule', node, source: `${node}:${id}`, table: f.table, chain: f.chain, line: f.line, rule: f.text }));
          if (hostVersion !== null) evidence.push({ kind: 'output', node, command: 'iptables --version', excerpt: hostVersion });
          findings.push({
            messageId: 'unsupported', node,
            data: {
              node, tool, version: header !== null ? `v${header}` : hostVersion ?? 'unknown version', count: found.length, s: found.length === 1 ? '' : 's',
              table: first.table, chain: first.chain, line: first.line,
            },
            evidence,
            remediation: { summary, commands: [...commands, SHOW_UNSUPPORTED[id]] },
          });
          continue;
        }
        const trouble = out.stderr.split('\n').map((l) => l.trim()).filter((l) => TROUBLE.test(l));
        const [firstTrouble] = trouble;
        if (firstTrouble !== undefined) {
          findings.push({
            messageId: 'incompatible', node,
            data: { node, tool, excerpt: firstTrouble },
            evidence: [{ kind: 'output', node, command: out.argv.join(' '), excerpt: trouble.slice(0, MAX_LINES).join('\n') }],
            remediation: { summary, commands: [...commands, sh`nft list ruleset | head -50`] },
          });
          continue;
        }
        if (header !== null && hostVersion !== null && host !== null && majorMinor(header) !== host && hasTable) {
          findings.push({
            messageId: 'versionDiffers', node,
            data: { node, tool, hostVersion, dumpVersion: `v${header}` },
            evidence: [
              { kind: 'output', node, command: 'iptables --version', excerpt: hostVersion },
              { kind: 'output', node, command: out.argv.join(' '), excerpt: `# Generated by ${tool} v${header}` },
            ],
            remediation: { summary: `Remove one of the two iptables installations on ${node} (or make both the same version) so every tool reads and writes rules the same way.`, commands: [sh`iptables --version`, TOOL_VERSION[id], sh`which -a iptables`, sh`update-alternatives --display iptables`] },
          });
        }
      }
    }
    return findings;
  },
});

const majorMinor = (v: string): string | null => /v?(\d+)\.(\d+)/.exec(v)?.slice(1, 3).join('.') ?? null;

type Unsupported = { table: string; chain: string; line: number; text: string }[];

/** What the check reads in a dump: the version in its header, whether it holds a table, its "[unsupported revision]" rules. */
interface DumpFacts {
  header: string | null;
  hasTable: boolean;
  unsupported: Unsupported;
}

/**
 * Per dump content (contentKey: a stored dump's chunk ids): a dump is read once, not once per
 * Service (a 10,000-Service dump is 17 MB of text), and nodes or backends that print the same
 * dump (iptables-save is iptables-nft-save) once between them. Bounded: a long session gathers
 * again and again.
 */
const read = new Map<string, DumpFacts>();
const MAX_READ = 4096;

function factsOf(out: CommandOutput): DumpFacts {
  const key = contentKey(out);
  let facts = read.get(key);
  if (facts === undefined) {
    const text = out.stdout;
    facts = {
      header: /^# Generated by \S+ v(\d+\.\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? null,
      hasTable: /^\*/m.test(text),
      unsupported: unsupportedLines(text),
    };
    if (read.size >= MAX_READ) read.clear();
    read.set(key, facts);
  }
  return facts;
}

/** Rule lines printed with "[unsupported revision]", with their table and chain. */
function unsupportedLines(dump: string): Unsupported {
  if (!dump.includes(UNSUPPORTED)) return [];
  const out: Unsupported = [];
  let table = '';
  for (const [i, raw] of dump.split('\n').entries()) {
    const line = raw.replace(/^\[\d+:\d+\] /, '');
    if (line.startsWith('*')) table = line.slice(1).trim();
    else if (line.startsWith('-A ') && line.includes(UNSUPPORTED)) out.push({ table, chain: line.split(' ')[1] ?? '', line: i + 1, text: line });
  }
  return out;
}
