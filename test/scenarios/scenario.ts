/**
 * A scenario of the corpus: a cluster described with the scenario kit, the question asked, and
 * the findings expected. `npm run scenarios [NAME…]` turns the spec into `snapshot.json` next to
 * it (no root: the kit prints every dump as the real tools do, which
 * test/kernel/scenario-corpus.test.ts checks against the kernel); the corpus test diagnoses that
 * snapshot.
 */
import type { Ask } from '../../src/run/question.js';
import type { ClusterSpec } from '../support/scenario-kit/index.js';

export interface Scenario {
  /** One line: what is broken (or that nothing is). */
  about: string;
  spec: ClusterSpec;
  /** The Service asked about; default shop/frontend. */
  target?: { namespace: string; service: string };
  /** What the snapshot was gathered for, when not the target (null service: a whole-namespace scan). */
  gather?: { namespace: string | null; service: string | null };
  /** Question flags beyond the target (node, nodeIp, from, port…). */
  ask?: Omit<Ask, 'namespace' | 'service'>;
  expect: {
    /** The first finding's id; null for a healthy cluster (no warning or error at all). */
    top: string | null;
    /** Every check id expected at warning or error, top included. */
    findings: string[];
    /** Every check id expected at info, when the scenario is about one (otherwise info is not compared). */
    info?: string[];
  };
}

export const DEFAULT_TARGET = { namespace: 'shop', service: 'frontend' } as const;
