/**
 * metav1.Status bodies as kube-apiserver writes them (k8s.io/apimachinery/pkg/api/errors). Keys are
 * in the server's order; `details` keys with empty values are omitted, as Go's omitempty does
 * (so a core-group 404 has no `group` key at all).
 */
import { qualifiedResource } from './resources.js';
import type { RequestInfo } from './request-info.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An HTTP reply the fake will send: a status code and a JSON body (an object or a Status). */
export interface Reply {
  code: number;
  body: unknown;
}

function details(group: string, kind: string, name: string): StatusDetails {
  const d: StatusDetails = {};
  if (name !== '') d.name = name;
  if (group !== '') d.group = group;
  if (kind !== '') d.kind = kind;
  return d;
}

function failure(code: number, reason: string | undefined, message: string, d?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
  if (reason !== undefined) s.reason = reason;
  if (d !== undefined) s.details = d;
  // Re-create in the server's key order: ..., message, reason, details, code.
  const { code: c, ...rest } = s;
  return { ...rest, code: c };
}

export const statusReply = (s: Status): Reply => ({ code: s.code, body: s });

/** errors.NewNotFound: `pods "x" not found`, details {name, group?, kind: <plural resource>}. */
export function notFound(group: string, resource: string, name: string): Status {
  return failure(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, details(group, resource, name));
}

/** A path under /api or /apis that names no served resource. */
export function unknownResource(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(group: string, resource: string, name: string): Status {
  return failure(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, details(group, resource, name));
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(): Status {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** The authenticator's reply to a missing or wrong bearer token. */
export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

/** errors.NewForbidden(groupResource, name, err): `<resource[.group]> ["name"] is forbidden: <err>`. */
export function forbidden(group: string, resource: string, name: string, why: string): Status {
  const subject = name === '' ? qualifiedResource(group, resource) : `${qualifiedResource(group, resource)} "${name}"`;
  return failure(403, 'Forbidden', `${subject} is forbidden: ${why}`, details(group, resource, name));
}

/**
 * The RBAC authorizer's refusal (responsewriters.forbiddenMessage): the quoted resource joins the
 * subresource (`pods/exec`) while the message subject and details name the resource alone.
 */
export function rbacForbidden(info: RequestInfo, user: string): Status {
  const resource = info.subresource === '' ? info.resource : `${info.resource}/${info.subresource}`;
  const scope = info.namespace === '' ? 'at the cluster scope' : `in the namespace "${info.namespace}"`;
  const why = `User "${user}" cannot ${info.verb} resource "${resource}" in API group "${info.group}" ${scope}`;
  return forbidden(info.group, info.resource, info.name, why);
}

/** The refusal for a non-resource URL (`/version`, `/metrics`): no resource, so no subject. */
export function forbiddenPath(user: string, verb: string, path: string): Status {
  return failure(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"`, {});
}

/** etcd3 store, continue token older than the compaction revision (storage/etcd3/errors.go). */
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
export const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without ' +
  'the continue parameter, or use the continue token in this response to retrieve the remainder of the results. ' +
  'Continuing with the provided token results in an inconsistent list - objects that were created, modified, or ' +
  'deleted between the time the first chunk was returned and now may show up in the list.';

/** 410 Gone, reason Expired. With `resumeToken` the server offers an inconsistent continuation. */
export function expired(resumeToken?: string): Status {
  if (resumeToken === undefined) return failure(410, 'Expired', CONTINUE_EXPIRED);
  const s = failure(410, 'Expired', INCONSISTENT_CONTINUE);
  s.metadata = { continue: resumeToken };
  return s;
}

/** errors.NewInternalError: the message is prefixed, and the bare error is the only cause. */
export function internalError(err: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${err}`, { causes: [{ message: err }] });
}

/** errors.NewInvalid: 422 with one cause per field error. */
export function invalid(kind: string, name: string, causes: Required<StatusCause>[]): Status {
  const summary = causes.map((c) => `${c.field}: ${c.message}`);
  const message =
    summary.length === 1 ? `${kind} "${name}" is invalid: ${summary[0]}` : `${kind} "${name}" is invalid: [${summary.join(', ')}]`;
  return failure(422, 'Invalid', message, { ...details('', kind, name), causes });
}
