/**
 * The step of gathering a GatherError is about, as data: an API request (RBAC's words: verb,
 * resource with its group, namespace, name), reading kube-proxy's configuration, choosing the nodes
 * to read, or reading a node (one of its commands). Readers match on the step; `what` is the same
 * step in words, for people.
 *
 * Snapshots written before the step was stored have only the words. stepOf() reads them back, here
 * and nowhere else: the words of an API request are describeApiRequest()'s, so they parse exactly.
 */
import { z } from 'zod';

export const API_VERBS = ['get', 'list', 'create', 'delete', 'exec'] as const;

const ApiRequestShape = {
  verb: z.enum(API_VERBS),
  resource: z.string().describe('plural, with the group for non-core resources, e.g. "networkpolicies.networking.k8s.io"'),
  namespace: z.string().optional(),
  name: z.string().optional(),
  allNamespaces: z.boolean().optional().describe('a namespaced resource listed across every namespace'),
};

export const GatherStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('api'), ...ApiRequestShape }),
  z.object({ kind: z.literal('kube-proxy-config') }).describe('reading kube-proxy\'s configuration from its ConfigMap'),
  z.object({ kind: z.literal('plan') }).describe('choosing the nodes to read'),
  z.object({ kind: z.literal('node'), command: z.string().optional().describe('the command id (NodeState.commands) whose output is at fault') })
    .describe('reaching or reading a node (GatherError.node)'),
]);

export type GatherStep = z.infer<typeof GatherStepSchema>;
export type ApiStep = Extract<GatherStep, { kind: 'api' }>;
/** One API request, as gathering makes it and a GatherError names it. */
export type ApiRequest = Omit<ApiStep, 'kind'>;

export function describeApiRequest(r: ApiRequest): string {
  const obj = r.name === undefined ? r.resource : `${r.resource} ${r.name}`;
  const where = r.namespace !== undefined ? ` in namespace ${r.namespace}` : r.allNamespaces ? ' in all namespaces' : '';
  return `${r.verb} ${obj}${where}`;
}

/** The stored fields stepOf() reads. */
interface Recorded {
  stage: 'cluster' | 'node';
  what: string;
  step?: GatherStep | undefined;
}

/**
 * The step of a gather error: the stored one, or for a snapshot from before steps were stored,
 * the one its words name. null: words np-doctor never wrote (an edited file).
 */
export function stepOf(e: Recorded): GatherStep | null {
  if (e.step !== undefined) return e.step;
  if (e.stage === 'node') return /^(find node |find the node with address |choose nodes to read$)/.test(e.what) ? { kind: 'plan' } : { kind: 'node' };
  if (e.what.startsWith('read kube-proxy\'s ')) return { kind: 'kube-proxy-config' };
  return apiRequestIn(e.what);
}

const VERB = API_VERBS.join('|');
const API_WORDS = new RegExp(`^(${VERB}) (\\S+)(?: (\\S+))?(?: in namespace (\\S+)| in (all namespaces))?$`);

/** describeApiRequest() read backwards. */
function apiRequestIn(what: string): ApiStep | null {
  const m = API_WORDS.exec(what);
  if (m === null) return null;
  const [, verb, resource, name, namespace, all] = m;
  return {
    kind: 'api', verb: verb as ApiStep['verb'], resource: resource!,
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(all !== undefined ? { allNamespaces: true } : {}),
  };
}
