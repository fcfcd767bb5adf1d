/**
 * API discovery, as kubectl reads it before it can resolve `kubectl get services,pods`: /api
 * (APIVersions), /apis (APIGroupList), and one APIResourceList per group version, all derived
 * from RESOURCES. The unaggregated (v1) documents only: a client asking for aggregated discovery
 * (apidiscovery.k8s.io/v2) sees a plain application/json answer and falls back, as it does with an
 * apiserver older than 1.26.
 */
import { apiVersionOf, RESOURCES, type ResourceType } from './resources.js';

const VERBS = ['get', 'list', 'watch'];
const POD_VERBS = ['create', 'delete', 'get', 'list', 'watch'];

function resourceList(groupVersion: string, types: readonly ResourceType[]): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: types.map((t) => ({
      name: t.resource,
      singularName: t.kind.toLowerCase(),
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.resource === 'pods' ? POD_VERBS : VERBS,
    })),
  };
}

/** The discovery document at `path`, or undefined when `path` is not a discovery path. */
export function discovery(path: string, serverAddress: string): Record<string, unknown> | undefined {
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  const groups = [...new Set(RESOURCES.filter((t) => t.group !== '').map((t) => t.group))].sort();
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((name) => {
        const gv = { groupVersion: `${name}/v1`, version: 'v1' };
        return { name, versions: [gv], preferredVersion: gv };
      }),
    };
  }
  const gv = /^\/api\/(v1)$|^\/apis\/([^/]+\/v1)$/.exec(path);
  if (gv === null) return undefined;
  const groupVersion = gv[1] ?? gv[2]!;
  const types = RESOURCES.filter((t) => apiVersionOf(t) === groupVersion);
  return types.length === 0 ? undefined : resourceList(groupVersion, types);
}
