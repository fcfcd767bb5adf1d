/**
 * A probe saw something the replay rules out, and no known cause explains it: it connects where
 * the replay drops or rejects, or it is refused or times out where the replay delivers. Either the
 * nodes changed after they were gathered, or np-doctor replays their rules wrongly. Both deserve a
 * look, so this finding is an error and lists every such probe: an analysis that disagrees with
 * the wire must never read as a clean bill.
 */
import { defineCheck, isIp, probeEvidence, probeTargetText, sh, type Evidence } from '../src/check-kit/index.js';
import { readProbes, replayEvidence } from './lib/wire.js';

/** At most this many probes named in the message (every one stays in the evidence). */
const MAX_NAMED = 6;
/** At most this many characters of a probe's own explanation in the message. */
const MAX_DETAIL = 200;

export default defineCheck({
  id: 'replay-contradicts-wire',
  title: 'The replay disagrees with the wire',
  description: 'With --probe: a probe connects where the replay drops or rejects, or is refused or times out where the replay delivers, and nothing np-doctor knows explains it.',
  severity: 'error',
  stage: 'network',
  requires: ['paths'],
  messages: {
    contradicts: 'The replay of the nodes\' rules disagrees with what the probes saw on the wire: {{probes}}. Nothing np-doctor knows explains it: the nodes\' rules or pods changed after they were gathered, or np-doctor replays them wrongly.{{from}} Gather a snapshot again with the probes; if they still disagree, please attach it to an np-doctor bug report.',
  },
  run(ctx) {
    const contradictions = readProbes(ctx).filter((r) => r.class === 'contradiction');
    if (contradictions.length === 0) return [];
    // Names from the replay (validated), and the probe's own words cut short: a snapshot is untrusted.
    const named = contradictions.slice(0, MAX_NAMED).map((r) =>
      `${r.probe.kind} from ${r.probe.kind === 'client-to-node' ? 'here' : r.expected.path?.node ?? 'a node'} to ${probeTargetText(r.probe)} ${r.probe.result}${r.probe.detail ? ` (${r.probe.detail.slice(0, MAX_DETAIL)})` : ''}, where ${r.expected.verdict}`);
    const more = contradictions.length - named.length;
    const client = ctx.question.client.ip;
    // The address this machine's probe left from, when it is a valid one other than the replay's client.
    const elsewhere = contradictions.map((r) => (r.probe.kind === 'client-to-node' ? r.probe.fromAddress ?? null : null))
      .find((a): a is string => a !== null && a !== client && isIp(a));
    const { namespace, service } = ctx.question;
    const paths = [...new Map(contradictions.flatMap((r) => { const e = replayEvidence(r); return e === null ? [] : [[`${e.node}\0${e.summary}`, e] as const]; })).values()];
    const nodes = [...new Set(contradictions.map((r) => r.expected.path?.node ?? r.probe.node))];
    const evidence: Evidence[] = [
      ...contradictions.map((r) => probeEvidence(r.probe)),
      // What the nodes answered themselves, beside what contradicts the replay.
      ...(ctx.probes ?? []).filter((p) => p.kind === 'node-to-self' && nodes.includes(p.node)).map(probeEvidence),
      ...paths,
    ];
    return [{
      messageId: 'contradicts',
      ...(nodes.length === 1 && nodes[0] !== undefined ? { node: nodes[0] } : {}),
      data: {
        probes: `${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
        from: elsewhere === undefined ? '' : ` The probe from here left from ${elsewhere}, but the replay follows a client at ${client}: diagnose again with --from ${elsewhere}, so both ask about the same client.`,
      },
      evidence,
      remediation: {
        summary: 'Gather again with --probe and compare; if the replay still disagrees with the wire, attach the snapshot file to a bug report (add --redact to replace names and addresses first).',
        commands: [
          sh`np-doctor snapshot svc/${service} -n ${namespace} --probe -o np-doctor-snapshot.json`,
          ...(elsewhere === undefined ? [] : [sh`np-doctor diagnose svc/${service} -n ${namespace} --probe --from ${elsewhere}`]),
        ],
      },
    }];
  },
});
