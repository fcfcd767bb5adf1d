/**
 * One branch of a replayed path as a ladder a person reads top to bottom: the client, each leg of
 * the path (ingress node, backend node, NetworkPolicy, pod, the way back: the Report's `stages`)
 * and, under a node's leg, each rule the packet matched. Pure: the path view draws these rows and
 * moves a cursor over them.
 */
import type { Report } from '../../report/model.js';
import { backendText, clientText } from '../../report/text.js';

type NodePath = Report['paths'][number];
type Branch = NodePath['branches'][number];
type Leg = Branch['stages'][number];
/** Which leg: the Report names it `stage`. */
type LegName = Leg['stage'];
export type Hop = NonNullable<Leg['hops']>[number];

export type LadderRow =
  | { kind: 'client'; text: string }
  | { kind: 'leg'; leg: LegName; node: string | null; ok: boolean | null; text: string }
  /** culprit: the rule (or chain policy) that dropped or rejected the packet. */
  | { kind: 'hop'; node: string; hop: Hop; culprit: boolean; translates: boolean }
  | { kind: 'end'; result: Branch['result']; text: string };

const LEG_TITLE: Record<LegName, string> = {
  ingress: 'ingress node',
  'backend-node': 'backend node',
  policy: 'NetworkPolicy',
  pod: 'pod',
  return: 'reply',
};

export function legTitle(leg: LegName): string {
  return LEG_TITLE[leg];
}

/** Actions that end a packet: a rule's DROP/REJECT or a chain policy's DROP. */
const ENDS = /^(DROP|REJECT|POLICY DROP)\b/;

/** What the rule that ended a packet did to it: REJECT answers the client (refused), DROP is silence. */
export function stopped(hop: Hop): 'rejected' | 'dropped' {
  return /^REJECT\b/.test(hop.action) ? 'rejected' : 'dropped';
}

/** The client of a path's family (a dual-stack Service has one per family). */
export function pathClient(report: Report, path: NodePath): Report['target']['client'] {
  return report.verdict.families?.find((f) => f.family === path.family)?.client ?? report.target.client;
}

export function ladder(path: NodePath, branch: Branch, client: Report['target']['client']): LadderRow[] {
  const rows: LadderRow[] = [{ kind: 'client', text: `client ${clientText(client)} → ${clientText({ ip: path.address, port: path.port })}/${path.protocol}` }];
  for (const s of branch.stages) {
    const node = s.node ?? null;
    rows.push({ kind: 'leg', leg: s.stage, node, ok: s.ok, text: s.summary });
    const hops = s.hops ?? [];
    for (const [i, hop] of hops.entries()) {
      // The last rule of a leg that failed is what stopped the packet when it ends it.
      const culprit = s.ok === false && i === hops.length - 1 && ENDS.test(hop.action);
      rows.push({ kind: 'hop', node: node ?? path.node, hop, culprit, translates: /^(DNAT|SNAT|MASQUERADE)\b/.test(hop.action) });
    }
  }
  rows.push({ kind: 'end', result: branch.result, text: branch.result === 'delivered' ? deliveredText(branch) : branch.why });
  return rows;
}

function deliveredText(b: Branch): string {
  const to = b.backend ? backendText(b.backend) : 'a pod';
  return `delivered to ${to}${b.sourceAtPod ? `, which sees the source ${b.sourceAtPod}` : ''}`;
}

/** Where the cursor starts: the rule that stopped the packet, else the leg that failed, else the top. */
export function firstInterest(rows: readonly LadderRow[]): number {
  const culprit = rows.findIndex((r) => r.kind === 'hop' && r.culprit);
  if (culprit >= 0) return culprit;
  const failed = rows.findIndex((r) => r.kind === 'leg' && r.ok === false);
  return failed >= 0 ? failed : 0;
}

/** The branch a person most likely wants first: the most probable one that fails, else the most probable. */
export function firstBranch(path: NodePath): number {
  const order = path.branches.map((b, i) => ({ b, i })).sort((x, y) => y.b.probability - x.b.probability);
  return (order.find((x) => x.b.result !== 'delivered') ?? order[0])?.i ?? 0;
}
