/**
 * The floors of np-doctor, bottom first. A file may import files of its own room and of any room
 * on a lower floor: never upward, and never a sibling room on its own floor. Globs match paths
 * from the repository root without the file extension (`*` within a name, `**` across folders).
 * Every file under src/ and checks/ must be in exactly one room. eslint/import-floors.js enforces it.
 *
 * A room's `alsoImports` names sibling rooms it may still import today: a known debt, each with
 * the reason, to be emptied rather than added to.
 */

/** @typedef {{ room: string, files: string[], alsoImports?: string[] }} Room */
/** @typedef {{ floor: string, rooms: Room[] }} Floor */

/** @type {Floor[]} */
export const FLOOR_PLAN = [
  {
    floor: 'leaves',
    rooms: [
      { room: 'text', files: ['src/text/**'] },
      { room: 'version', files: ['src/version'] },
      { room: 'exit', files: ['src/exit'] },
    ],
  },
  // The engine's own floors, from today's tree: adjust after the engine refactor.
  {
    floor: 'engine core',
    rooms: [{
      room: 'engine core',
      files: [
        'src/engine/address', 'src/engine/errors', 'src/engine/inertness',
        // The packet, a branch's state, and the machinery both chain runners share.
        'src/engine/netfilter/types', 'src/engine/netfilter/state', 'src/engine/netfilter/budget', 'src/engine/netfilter/hooks',
        'src/engine/netfilter/merge', 'src/engine/netfilter/queue', 'src/engine/netfilter/nat', 'src/engine/netfilter/routing',
      ],
    }],
  },
  {
    floor: 'engine evaluators',
    rooms: [
      // netfilter/chain, compile and inert run iptables chains: they are iptables' runner.
      { room: 'iptables', files: ['src/engine/iptables/**', 'src/engine/netfilter/chain', 'src/engine/netfilter/compile', 'src/engine/netfilter/inert'] },
      {
        room: 'nft',
        files: ['src/engine/nft/**'],
        // Today nft/chain takes ChainEnd from netfilter/chain, and nft expressions use
        // iptables/matches' match results: the engine refactor moves both below the evaluators.
        alsoImports: ['iptables'],
      },
      { room: 'ipvs', files: ['src/engine/ipvs/**'] },
      { room: 'netpol', files: ['src/engine/netpol/**'] },
    ],
  },
  {
    floor: 'engine walk',
    rooms: [{ room: 'walk', files: ['src/engine/netfilter/stations', 'src/engine/netfilter/walk', 'src/engine/path'] }],
  },
  { floor: 'snapshot', rooms: [{ room: 'snapshot', files: ['src/snapshot/**'] }] },
  {
    floor: 'model and gathering',
    rooms: [
      { room: 'model', files: ['src/model/**'] },
      { room: 'collect', files: ['src/collect/**'] },
    ],
  },
  { floor: 'run', rooms: [{ room: 'run', files: ['src/run/**'] }] },
  { floor: 'report', rooms: [{ room: 'report', files: ['src/report/**'] }] },
  { floor: 'check kit', rooms: [{ room: 'api', files: ['src/api'] }] },
  { floor: 'checks', rooms: [{ room: 'checks', files: ['checks/**'] }] },
  { floor: 'diagnose', rooms: [{ room: 'diagnose', files: ['src/diagnose'] }] },
  { floor: 'tui', rooms: [{ room: 'tui', files: ['src/tui/**'] }] },
  { floor: 'cli', rooms: [{ room: 'cli', files: ['src/cli/**'] }] },
  { floor: 'main', rooms: [{ room: 'main', files: ['src/main'] }] },
  { floor: 'process entry', rooms: [{ room: 'entry', files: ['src/cli'] }] },
];
