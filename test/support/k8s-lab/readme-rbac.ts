/**
 * The RBAC objects README.md documents, read out of its "RBAC" section (so a test proves the
 * README as written, not a copy of it), applied to a real API server with the real kubectl, and
 * bound to a user the way the README says: a ClusterRoleBinding for the ClusterRole, a RoleBinding
 * for each Role in its namespace.
 */
import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.js';
import { waitFor } from './processes.js';

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface RbacRole {
  apiVersion: string;
  kind: 'ClusterRole' | 'Role';
  metadata: { name: string; namespace?: string };
  rules: RbacRule[];
}

export interface ReadmeRbac {
  /** The read-only ClusterRole and the kube-system Role, in README order. */
  read: RbacRole[];
  /** The Role `--collect debug-pod` needs in the debug pods' namespace. */
  debugPods: RbacRole;
}

/** The YAML blocks of README.md's "### RBAC" section, parsed. */
export function readmeRbac(readme = 'README.md'): ReadmeRbac {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const start = lines.indexOf('### RBAC');
  if (start < 0) throw new Error(`${readme} has no "### RBAC" section`);
  // The section ends at the next heading; a `#` inside a code block is a YAML comment, not a heading.
  const blocks: RbacRole[][] = [];
  let yaml: string[] | null = null;
  let fenced = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('```')) {
      if (yaml !== null) blocks.push(loadAllYaml(yaml.join('\n')) as RbacRole[]);
      yaml = !fenced && line === '```yaml' ? [] : null;
      fenced = !fenced;
    } else if (fenced) yaml?.push(line);
    else if (/^#{1,3} /.test(line)) break;
  }
  const [read, debug] = blocks;
  if (blocks.length !== 2 || read === undefined || debug?.length !== 1) {
    throw new Error(`${readme}'s RBAC section should hold two YAML blocks (the read roles, the debug-pod Role); found ${blocks.map((b) => b.length).join(', ')} documents`);
  }
  for (const r of [...read, ...debug]) {
    if (r.kind !== 'ClusterRole' && r.kind !== 'Role') throw new Error(`${readme}'s RBAC section holds a ${String(r.kind)}`);
  }
  return { read, debugPods: debug[0]! };
}

/** A copy of `role` under another name (and namespace, for a Role): one user's own variant. */
export function variant(role: RbacRole, o: { name?: string; namespace?: string; rules?: RbacRule[] }): RbacRole {
  const copy = structuredClone(role);
  if (o.name !== undefined) copy.metadata.name = o.name;
  if (o.namespace !== undefined && copy.kind === 'Role') copy.metadata.namespace = o.namespace;
  if (o.rules !== undefined) copy.rules = o.rules;
  return copy;
}

/** `role` without the rule(s) `drop` picks; fails if it picks none (the test would prove nothing). */
export function withoutRule(role: RbacRole, drop: (r: RbacRule) => boolean, name: string): RbacRole {
  const rules = role.rules.filter((r) => !drop(r));
  if (rules.length === role.rules.length) throw new Error(`${role.kind} ${role.metadata.name} has no such rule`);
  return variant(role, { name, rules });
}

/** One access a rule grants, as a SubjectAccessReview asks about it. */
interface Access {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

function accessesOf(role: RbacRole, clusterNamespace: string): Access[] {
  const namespace = role.metadata.namespace ?? clusterNamespace;
  return role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((res) => {
    const [resource, subresource] = res.split('/') as [string, string | undefined];
    return rule.verbs.flatMap((verb) => (rule.resourceNames ?? [undefined]).map((name): Access => ({
      verb, group, resource, namespace,
      ...(subresource !== undefined ? { subresource } : {}),
      ...(name !== undefined ? { name } : {}),
    })));
  })));
}

/** What the authorizer answers for `user` (a SubjectAccessReview, asked as the admin). */
export async function allowed(cp: ControlPlane, user: string, a: Access): Promise<boolean> {
  const r = await cp.api('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, resourceAttributes: a },
  });
  if (r.status !== 201) throw new Error(`SubjectAccessReview: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { status?: { allowed?: boolean } }).status?.allowed === true;
}

/**
 * Applies `roles` with kubectl, binds each to `user`, and waits until the authorizer grants every
 * access they name (RBAC reads roles and bindings through informers, so a grant takes effect a
 * moment after the write). ClusterRole accesses are checked in `probeNamespace`.
 */
export async function grant(cp: ControlPlane, user: string, roles: RbacRole[], probeNamespace: string): Promise<void> {
  await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: roles }) });
  for (const role of roles) {
    const binding = `${role.metadata.name}-${user}`;
    await cp.kubectl(role.kind === 'ClusterRole'
      ? ['create', 'clusterrolebinding', binding, `--clusterrole=${role.metadata.name}`, `--user=${user}`]
      : ['create', 'rolebinding', binding, '-n', role.metadata.namespace ?? 'default', `--role=${role.metadata.name}`, `--user=${user}`]);
  }
  const all = roles.flatMap((r) => accessesOf(r, probeNamespace));
  await waitFor(`RBAC to grant ${user} the ${all.length} accesses of ${roles.map((r) => `${r.kind} ${r.metadata.name}`).join(', ')}`, async () => {
    for (const a of all) if (!(await allowed(cp, user, a))) return false;
    return true;
  }, { watch: cp.processes.list(), timeoutMs: 30_000 });
}
