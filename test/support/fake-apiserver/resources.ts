/**
 * The resource types the fake serves. Kubernetes addresses a type three ways, and the fake needs
 * all three: by URL (group, version, plural resource name), by object (apiVersion + kind), and in
 * messages (the "qualified resource": `resource.group`, or just `resource` for the core group).
 */
import type { ObjectStore } from './store.js';

export interface ResourceType {
  /** API group; '' is the core ("legacy") group served under /api. */
  group: string;
  version: string;
  /** Plural, lowercase, as it appears in URLs and RBAC rules. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
];

export const apiVersionOf = (t: ResourceType): string => (t.group === '' ? t.version : `${t.group}/${t.version}`);

/** `networkpolicies.networking.k8s.io`, `pods`: the form apiserver messages use (GroupResource.String()). */
export const qualifiedResource = (group: string, resource: string): string => (group === '' ? resource : `${resource}.${group}`);

export function resourceAt(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function resourceOfObject(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

export const PODS = resourceAt('', 'v1', 'pods') as ResourceType;

/** The debug pods np-doctor created that are still in the store (tests assert none are left). */
export function debugPodsIn(store: ObjectStore): string[] {
  return store.entries(PODS, '').filter(([, p]) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'np-doctor').map(([key]) => key);
}
export const NAMESPACES = resourceAt('', 'v1', 'namespaces') as ResourceType;
export const NODES = resourceAt('', 'v1', 'nodes') as ResourceType;
