/**
 * Pod Security admission, for the checks a node-debug pod can trip. The namespace's labels choose
 * the level (`pod-security.kubernetes.io/enforce`) and version (`…/enforce-version`, default
 * "latest"). Upstream runs the baseline checks sorted by check ID and then the restricted ones
 * sorted by ID, skipping baseline checks a restricted check overrides, and joins the failures as
 * `reason (detail), reason (detail)` (k8s.io/pod-security-admission/policy). The fake keeps that
 * order and wording. Not emulated: AppArmor, SELinux, baseline's seccomp=Unconfined, procMount,
 * sysctls, runAsUser=0, Windows host process.
 */
import { isObject, type JsonObject, type KubeObject } from './types.js';

interface Container {
  name: string;
  ports: JsonObject[];
  sc: JsonObject;
}

const quote = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const plural = (one: string, many: string, n: number): string => (n === 1 ? one : many);
const asObj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function containersOf(spec: JsonObject): Container[] {
  return [...asArr(spec.initContainers), ...asArr(spec.containers), ...asArr(spec.ephemeralContainers)].map((c) => {
    const o = asObj(c);
    return { name: String(o.name), ports: asArr(o.ports).map(asObj), sc: asObj(o.securityContext) };
  });
}

type Check = (spec: JsonObject, cs: Container[]) => [reason: string, detail: string] | null;

/** `container "a"` / `containers "a", "b"`, as upstream's pluralize + joinQuote print them. */
const containersPhrase = (names: readonly string[]): string => `${plural('container', 'containers', names.length)} ${quote(names)}`;
const added = (c: Container): string[] => asArr(asObj(c.sc.capabilities).add).map(String);
const dropped = (c: Container): string[] => asArr(asObj(c.sc.capabilities).drop).map(String);
const sortedSet = (xs: string[]): string[] => [...new Set(xs)].sort();

// Capabilities a baseline pod may add (policy/check_capabilities_baseline.go).
const BASELINE_CAPS = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const capabilitiesBaseline: Check = (_s, cs) => {
  const bad = cs.filter((c) => added(c).some((a) => !BASELINE_CAPS.has(a)));
  if (bad.length === 0) return null;
  const caps = sortedSet(bad.flatMap(added).filter((a) => !BASELINE_CAPS.has(a)));
  return ['non-default capabilities', `${containersPhrase(bad.map((c) => c.name))} must not include ${quote(caps)} in securityContext.capabilities.add`];
};

const hostNamespaces: Check = (spec) => {
  const on = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec[k] === true).map((k) => `${k}=true`);
  return on.length === 0 ? null : ['host namespaces', on.join(', ')];
};

const hostPathVolumes: Check = (spec) => {
  const vols = asArr(spec.volumes).map(asObj).filter((v) => v.hostPath !== undefined).map((v) => String(v.name));
  return vols.length === 0 ? null : ['hostPath volumes', `${plural('volume', 'volumes', vols.length)} ${quote(vols)}`];
};

const hostPorts: Check = (_s, cs) => {
  const portsOf = (c: Container): string[] => c.ports.map((p) => p.hostPort).filter((h) => typeof h === 'number' && h !== 0).map(String);
  const bad = cs.filter((c) => portsOf(c).length > 0);
  if (bad.length === 0) return null;
  const ports = sortedSet(bad.flatMap(portsOf));
  const uses = plural('uses', 'use', bad.length);
  return ['hostPort', `${containersPhrase(bad.map((c) => c.name))} ${uses} ${plural('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}`];
};

const privileged: Check = (_s, cs) => {
  const bad = cs.filter((c) => c.sc.privileged === true).map((c) => c.name);
  return bad.length === 0 ? null : ['privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`];
};

/** Baseline checks, sorted by check ID as upstream orders them. */
const baseline: [id: string, check: Check][] = [
  ['capabilities_baseline', capabilitiesBaseline],
  ['hostNamespaces', hostNamespaces],
  ['hostPathVolumes', hostPathVolumes],
  ['hostPorts', hostPorts],
  ['privileged', privileged],
];

const allowPrivilegeEscalation: Check = (_s, cs) => {
  const bad = cs.filter((c) => c.sc.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (bad.length === 0) return null;
  return ['allowPrivilegeEscalation != false', `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`];
};

const capabilitiesRestricted: Check = (_s, cs) => {
  const noDrop = cs.filter((c) => !dropped(c).includes('ALL')).map((c) => c.name);
  const adders = cs.filter((c) => added(c).some((a) => a !== 'NET_BIND_SERVICE'));
  const parts: string[] = [];
  if (noDrop.length > 0) parts.push(`${containersPhrase(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adders.length > 0) {
    const caps = sortedSet(adders.flatMap(added).filter((a) => a !== 'NET_BIND_SERVICE'));
    parts.push(`${containersPhrase(adders.map((c) => c.name))} must not include ${quote(caps)} in securityContext.capabilities.add`);
  }
  return parts.length === 0 ? null : ['unrestricted capabilities', parts.join('; ')];
};

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

const restrictedVolumes: Check = (spec) => {
  const typed = asArr(spec.volumes).map(asObj).map((v) => ({ name: String(v.name), type: Object.keys(v).find((k) => k !== 'name') ?? 'unknown' }));
  const bad = typed.filter((v) => !ALLOWED_VOLUMES.has(v.type));
  if (bad.length === 0) return null;
  const types = sortedSet(bad.map((v) => v.type));
  const vols = `${plural('volume', 'volumes', bad.length)} ${quote(bad.map((v) => v.name))}`;
  return ['restricted volume types', `${vols} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.length)} ${quote(types)}`];
};

const runAsNonRoot: Check = (spec, cs) => {
  const pod = asObj(spec.securityContext).runAsNonRoot;
  const explicit = cs.filter((c) => c.sc.runAsNonRoot === false).map((c) => c.name);
  const setters = [...(pod === false ? ['pod'] : []), ...(explicit.length > 0 ? [containersPhrase(explicit)] : [])];
  if (setters.length > 0) return ['runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`];
  const implicit = pod === true ? [] : cs.filter((c) => c.sc.runAsNonRoot === undefined).map((c) => c.name);
  return implicit.length === 0 ? null : ['runAsNonRoot != true', `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`];
};

const seccompRestricted: Check = (spec, cs) => {
  const valid = (p: unknown): boolean => ['RuntimeDefault', 'Localhost'].includes(String(asObj(p).type));
  const podProfile = asObj(spec.securityContext).seccompProfile;
  const podSet = podProfile !== undefined && valid(podProfile);
  const implicit = podSet ? [] : cs.filter((c) => c.sc.seccompProfile === undefined).map((c) => c.name);
  if (implicit.length === 0) return null;
  return ['seccompProfile', `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`];
};

/** Restricted checks sorted by ID, each with the baseline check it replaces. */
const restricted: [id: string, overrides: string | null, check: Check][] = [
  ['allowPrivilegeEscalation', null, allowPrivilegeEscalation],
  ['capabilities_restricted', 'capabilities_baseline', capabilitiesRestricted],
  ['restrictedVolumes', 'hostPathVolumes', restrictedVolumes],
  ['runAsNonRoot', null, runAsNonRoot],
  ['seccompProfile_restricted', null, seccompRestricted],
];

/** The `violates PodSecurity …` text, or null when the namespace admits the pod. */
export function podSecurityViolation(namespace: KubeObject | undefined, pod: KubeObject): string | null {
  const labels = namespace?.metadata.labels ?? {};
  const level = labels['pod-security.kubernetes.io/enforce'];
  if (level !== 'baseline' && level !== 'restricted') return null;
  const version = labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
  const spec = asObj(pod.spec);
  const cs = containersOf(spec);
  const overridden = new Set(level === 'restricted' ? restricted.map(([, o]) => o).filter((o) => o !== null) : []);
  const checks: Check[] = [
    ...baseline.filter(([id]) => !overridden.has(id)).map(([, c]) => c),
    ...(level === 'restricted' ? restricted.map(([, , c]) => c) : []),
  ];
  const failures = checks.map((c) => c(spec, cs)).filter((f) => f !== null);
  if (failures.length === 0) return null;
  const detail = failures.map(([reason, d]) => (d === '' ? reason : `${reason} (${d})`)).join(', ');
  return `violates PodSecurity "${level}:${version}": ${detail}`;
}
