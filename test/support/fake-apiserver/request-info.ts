/**
 * What a request asks for, derived from its method and path the way kube-apiserver's
 * RequestInfoFactory does it. Routing and the RBAC wording of injected 403s both use it, so a
 * Forbidden message names the same verb, resource and namespace a real authorizer would see.
 */

export interface RequestInfo {
  group: string;
  version: string;
  /** '' for cluster-scoped requests and for all-namespaces lists. */
  namespace: string;
  resource: string;
  /** '' for collection requests (list, create). */
  name: string;
  subresource: string;
  /** The RBAC verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
}

/** Resource requests only: `/api/v1/...` and `/apis/<group>/<version>/...`; anything else is null. */
export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo | null {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] as string;
    version = parts[2] as string;
    rest = parts.slice(3);
  } else {
    return null;
  }

  let namespace = '';
  // `/namespaces/{ns}/{resource}/...` is relative to the namespace; `/namespaces/{ns}` alone is
  // the Namespace object itself, and then the apiserver reports its name as the namespace too.
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1] as string;
    if (rest.length > 2) rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  if (extra.length > 0) return null;

  let verb: string;
  // Streaming subresources are authorized as `create` even over a GET WebSocket upgrade
  // (AuthorizePodWebsocketUpgradeCreatePermission, on by default since Kubernetes 1.30).
  if (method === 'GET' && resource === 'pods' && ['exec', 'attach', 'portforward'].includes(subresource)) {
    return { group, version, namespace, resource, name, subresource, verb: 'create' };
  }
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name !== '' ? 'get' : query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name !== '' ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return { group, version, namespace, resource, name, subresource, verb };
}
