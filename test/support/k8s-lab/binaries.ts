/**
 * Where `npm run lab:build` (scripts/lab-build.sh) puts the real Kubernetes binaries, and which
 * versions are pinned: one Go module per version under test/k8s-lab/.
 */
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PROGRAMS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kubectl'] as const;
export type Program = (typeof PROGRAMS)[number];

export function k8sCache(): string {
  return process.env.NP_DOCTOR_K8S_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'np-doctor', 'k8s');
}

/** The pinned versions, oldest first (v1.34.4, v1.37.2). */
export function pinnedVersions(): string[] {
  const key = (v: string) => v.slice(1).split('.').map(Number);
  return readdirSync('test/k8s-lab').filter((d) => /^v\d+\.\d+\.\d+$/.test(d)).sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return (x[0]! - y[0]!) || (x[1]! - y[1]!) || (x[2]! - y[2]!);
  });
}

export function binary(version: string, program: Program): string {
  return join(k8sCache(), version, 'bin', program);
}

/** Why `version` cannot run here (not built, or built from another go.sum), or null. */
export function missingBinaries(version: string): string | null {
  const missing = PROGRAMS.filter((p) => {
    try {
      accessSync(binary(version, p), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) return `Kubernetes ${version} is not built (missing ${missing.join(', ')} in ${join(k8sCache(), version, 'bin')}): run npm run lab:build`;
  let stamp = '';
  try {
    stamp = readFileSync(join(k8sCache(), version, 'VERSION'), 'utf8');
  } catch {
    // reported below
  }
  if (!stamp.startsWith(`${version} `)) return `${join(k8sCache(), version)} holds no build of ${version}: run npm run lab:build`;
  return null;
}
