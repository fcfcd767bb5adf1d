/**
 * The REST surface: GET one, GET list (namespaced and all-namespaces URLs), POST and DELETE for
 * pods. Everything else under /api and /apis answers like an apiserver that does not serve it.
 * List bodies follow the wire format: `kind: <Kind>List`, `metadata.resourceVersion`, and items
 * WITHOUT their own kind/apiVersion (the apiserver leaves those off list items).
 */
import { decodeContinue, paginate } from './pagination.js';
import type { PodLifecycle } from './pods.js';
import type { RequestInfo } from './request-info.js';
import { apiVersionOf, resourceAt, type ResourceType } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { badRequest, methodNotAllowed, notFound, statusReply, unknownResource, type Reply } from './status.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

export interface RestContext {
  store: ObjectStore;
  pods: PodLifecycle;
}

function list(store: ObjectStore, t: ResourceType, namespace: string, query: URLSearchParams): Reply {
  let labels;
  let fields;
  try {
    labels = parseLabelSelector(query.get('labelSelector') ?? '');
    fields = parseFieldSelector(query.get('fieldSelector') ?? '', t.resource);
  } catch (e) {
    if (e instanceof SelectorError) return statusReply(badRequest(e.message));
    throw e;
  }
  const limitText = query.get('limit') ?? '0';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) return statusReply(badRequest(`limit: Invalid value: "${limitText}"`));

  const cont = query.get('continue');
  let start: string | undefined;
  // A continued list reads at the first page's revision; a new list at the current one.
  let rv = store.resourceVersion;
  if (cont !== null && cont !== '') {
    const tok = decodeContinue(cont, store.compactedRevision);
    if ('code' in tok) return statusReply(tok);
    start = tok.start;
    rv = tok.rv;
  }
  const page = paginate(store.stored(t, namespace), {
    limit,
    start,
    rv,
    filtered: labels.length > 0 || fields.length > 0,
    matches: (o: KubeObject) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o),
  });
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (page.continue !== undefined) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  const items = page.items.map((o) => {
    const { apiVersion: _a, kind: _k, ...rest } = structuredClone(o);
    return rest;
  });
  return { code: 200, body: { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata, items } };
}

export function handleResource(ctx: RestContext, method: string, info: RequestInfo, query: URLSearchParams, body: unknown): Reply {
  const t = resourceAt(info.group, info.version, info.resource);
  if (t === undefined) return statusReply(unknownResource());
  if (info.subresource !== '') {
    if (t.resource === 'pods' && info.subresource === 'exec') return statusReply(badRequest('Upgrade request required'));
    return statusReply(unknownResource());
  }
  // `/api/v1/namespaces/{ns}` names the Namespace itself; any other cluster-scoped type under a
  // namespace, or a named namespaced object outside one, is not a URL the apiserver serves.
  const isNamespaceObject = t.resource === 'namespaces';
  if (!isNamespaceObject && !t.namespaced && info.namespace !== '') return statusReply(unknownResource());
  if (t.namespaced && info.namespace === '' && (info.name !== '' || method !== 'GET')) return statusReply(unknownResource());
  const ns = t.namespaced ? info.namespace : '';

  if (method === 'GET' && info.name !== '') {
    const o = ctx.store.get(t, ns, info.name);
    return o === undefined ? statusReply(notFound(t.group, t.resource, info.name)) : { code: 200, body: o };
  }
  if (method === 'GET') return list(ctx.store, t, ns, query);
  if (t.resource === 'pods' && method === 'POST' && info.name === '') return ctx.pods.create(ns, body);
  if (t.resource === 'pods' && method === 'DELETE' && info.name !== '') return ctx.pods.delete(ns, info.name, query, body);
  return statusReply(methodNotAllowed());
}
