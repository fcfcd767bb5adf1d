/**
 * The check API. A check is one diagnosis: metadata plus a pure `run` that reads the analysis
 * context and returns findings. Checks in checks/ and plugins loaded with --plugin use the same
 * `defineCheck`, so a plugin is validated exactly like a built-in one. In TypeScript, defineCheck
 * also infers the check's messages and requirements: a finding must name one of its messages and
 * give every `{{placeholder}}` of it, and `run` sees the context narrowed by `requires`.
 */
import type { CheckContext, FullCheckContext } from './context.js';
import { SEVERITIES, STAGES, type Evidence, type Remediation, type Severity, type Stage } from './model.js';

/**
 * Data a check needs. When it is missing (not gathered, RBAC refused, node unreachable) the runner
 * skips the check and says why; a check never passes for lack of data. A check reads only what it
 * requires (test/checks/meta.test.ts holds every check to that).
 *  - service: the target Service exists; nodePort: and the port asked about has a nodePort
 *  - services, endpointSlices, pods, nodes, networkPolicies, kubeProxy, coreDns, apiServer: those
 *    API reads succeeded (ctx.services, ctx.endpointSlices… offer them only then)
 *  - nodeState: at least one node of the question was gathered (ctx.nodeState answers per node)
 *  - paths: at least one ingress node's path could be replayed
 */
export const REQUIREMENTS = [
  'service', 'nodePort', 'services', 'endpointSlices', 'pods', 'nodes', 'networkPolicies', 'kubeProxy', 'coreDns', 'apiServer', 'nodeState', 'paths',
] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/** messageId → template; `{{name}}` is replaced by the finding's data. */
export type Messages = Readonly<Record<string, string>>;

type Trim<S extends string> = S extends ` ${infer T}` | `${infer T} ` ? Trim<T> : S;
/** The `{{name}}` placeholders of a message template, as formatMessage finds them. */
export type Placeholders<T extends string> = T extends `${string}{{${infer P}}}${infer Rest}` ? Trim<P> | Placeholders<Rest> : never;

/** What a finding's data must give for a template: every placeholder. */
export type MessageData<T extends string> = { [P in Placeholders<T>]: string | number };

interface FindingFields {
  /** The node the finding is about: where the fault is. */
  node?: string;
  /** Nodes through which the same connection works (where to connect meanwhile). */
  workingNodes?: string[];
  /** Overrides the check's severity for this finding. */
  severity?: Severity;
  evidence: Evidence[];
  remediation: Remediation;
}

/** A template known only as `string` (a plain-JavaScript plugin, a test) may take any data; a literal one takes its placeholders. */
type DataFor<T extends string> = string extends T ? { data?: Record<string, string | number> }
  : [Placeholders<T>] extends [never] ? { data?: Record<string, never> } : { data: MessageData<T> };

/** One of the check's messages with the data its template needs. */
export type FindingMessage<M extends Messages = Messages> = { [Id in keyof M & string]: { messageId: Id } & DataFor<M[Id]> }[keyof M & string];

/** What `run` returns for one finding. */
export type FindingInput<M extends Messages = Messages> = FindingFields & FindingMessage<M>;

export interface CheckDefinition<R extends Requirement = Requirement, M extends Messages = Messages> {
  /** Equals the file name in checks/ and the page docs/checks/<id>.md. */
  id: string;
  title: string;
  /** One line for `np-doctor checks`. */
  description: string;
  severity: Severity;
  stage: Stage;
  requires: readonly R[];
  messages: M;
  /** Overrides the runner's default timeout (ms). */
  timeoutMs?: number;
  run(ctx: CheckContext<R>): FindingInput<M>[] | Promise<FindingInput<M>[]>;
}

/** A validated check, as the runner holds it. */
export interface Check<M extends Messages = Messages> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly stage: Stage;
  readonly requires: readonly Requirement[];
  readonly messages: M;
  readonly timeoutMs?: number;
  /** Called only when every requirement is available: that is what narrows the context `run` declared. */
  run(ctx: FullCheckContext): FindingInput[] | Promise<FindingInput[]>;
}

export class CheckDefinitionError extends Error {
  override readonly name = 'CheckDefinitionError';
}

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Validates a check's metadata once, at load time, so a bad plugin (plain JavaScript has no types)
 * fails with a clear message.
 */
export function defineCheck<const R extends Requirement, const M extends Messages>(def: CheckDefinition<R, M>): Check<M> {
  const where = `check "${String((def as { id?: unknown }).id)}"`;
  const fail = (why: string) => {
    throw new CheckDefinitionError(`${where}: ${why}`);
  };
  if (typeof def.id !== 'string' || !ID.test(def.id)) fail('id must be kebab-case (a-z, 0-9, dashes)');
  if (typeof def.title !== 'string' || def.title === '') fail('title is required');
  if (typeof def.description !== 'string' || def.description === '' || def.description.includes('\n')) fail('description must be one line');
  if (!SEVERITIES.includes(def.severity)) fail(`severity must be one of ${SEVERITIES.join(', ')}`);
  if (!STAGES.includes(def.stage)) fail(`stage must be one of ${STAGES.join(', ')}`);
  if (!Array.isArray(def.requires) || (def.requires as unknown[]).some((r) => !(REQUIREMENTS as readonly unknown[]).includes(r))) fail(`requires may list only ${REQUIREMENTS.join(', ')}`);
  if (typeof def.messages !== 'object' || def.messages === null || Object.keys(def.messages).length === 0) fail('messages must name at least one message');
  if (typeof def.run !== 'function') fail('run must be a function');
  if (def.timeoutMs !== undefined && !(Number.isInteger(def.timeoutMs) && def.timeoutMs > 0)) fail('timeoutMs must be a positive integer');
  return Object.freeze({
    ...def,
    requires: Object.freeze([...def.requires]),
    messages: Object.freeze({ ...def.messages }),
    // The runner calls run only once `requires` holds, which is the narrowing CheckContext<R> states.
    run: (ctx: FullCheckContext) => def.run(ctx as CheckContext<R>),
  });
}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** Fills `{{name}}` placeholders; an unknown name is left visible rather than silently blanked. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(PLACEHOLDER, (all, name: string) => (name in data ? String(data[name]) : all));
}

/** The names of a template's `{{name}}` placeholders, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1] ?? ''))];
}
