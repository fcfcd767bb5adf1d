/**
 * The floors of np-doctor, bottom first. A file may import files of its own room and of any room
 * on a lower floor: never upward, and never a sibling room on its own floor. Globs match paths
 * from the repository root without the file extension (`*` within a name, `**` across folders).
 * Every file under src/ and checks/ must be in exactly one room. eslint/import-floors.js enforces it.
 */

/** @typedef {{ room: string, files: string[] }} Room */
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
  // The engine: its vocabulary, then the evaluators side by side, then the walk that runs them.
  { floor: 'engine leaves', rooms: [{ room: 'engine leaves', files: ['src/engine/address', 'src/engine/errors'] }] },
  // The packet, a branch's state, and the machinery both chain runners share.
  { floor: 'engine packet', rooms: [{ room: 'packet', files: ['src/engine/packet/**'] }] },
  {
    floor: 'engine evaluators',
    rooms: [
      { room: 'iptables', files: ['src/engine/iptables/**'] },
      { room: 'nft', files: ['src/engine/nft/**'] },
      { room: 'ipvs', files: ['src/engine/ipvs/**'] },
      { room: 'netpol', files: ['src/engine/netpol/**'] },
    ],
  },
  { floor: 'engine walk', rooms: [{ room: 'walk', files: ['src/engine/walk/**'] }] },
  { floor: 'engine path', rooms: [{ room: 'path', files: ['src/engine/path'] }] },
  { floor: 'snapshot', rooms: [{ room: 'snapshot', files: ['src/snapshot/**'] }] },
  {
    floor: 'model and gathering',
    rooms: [
      { room: 'model', files: ['src/model/**'] },
      { room: 'collect', files: ['src/collect/**'] },
    ],
  },
  // What a check sees: the finding model, defineCheck, the context's queries (built-in checks and plugins alike).
  { floor: 'check kit', rooms: [{ room: 'check kit', files: ['src/check-kit/**'] }] },
  { floor: 'run', rooms: [{ room: 'run', files: ['src/run/**'] }] },
  { floor: 'report', rooms: [{ room: 'report', files: ['src/report/**'] }] },
  { floor: 'api', rooms: [{ room: 'api', files: ['src/api'] }] },
  { floor: 'checks', rooms: [{ room: 'checks', files: ['checks/**'] }] },
  { floor: 'diagnose', rooms: [{ room: 'diagnose', files: ['src/diagnose'] }] },
  { floor: 'tui', rooms: [{ room: 'tui', files: ['src/tui/**'] }] },
  { floor: 'cli', rooms: [{ room: 'cli', files: ['src/cli/**'] }] },
  { floor: 'main', rooms: [{ room: 'main', files: ['src/main'] }] },
  { floor: 'process entry', rooms: [{ room: 'entry', files: ['src/cli', 'src/kubectl-complete'] }] },
];
