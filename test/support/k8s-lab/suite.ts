/**
 * The frame of a real-cluster test file: one cluster per pinned Kubernetes version × kube-proxy
 * mode, started before the suite's tests and stopped after them, so scenarios share it. Each
 * suite is gated (labGate): without root, the lab tools, sshd or the built binaries it skips
 * loudly, or fails under NP_DOCTOR_REQUIRE_KERNEL=1. The versions that really ran are printed
 * (`# kube-apiserver v1.37.2, kube-proxy v1.37.2 (nftables)`), so a CI log shows these tests ran.
 */
import { existsSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { run } from '../../kernel/lab/exec.js';
import { labGate, missingPrerequisites } from '../../kernel/lab/prereq.js';
import { binary, missingBinaries, pinnedVersions } from './binaries.js';
import { startRealCluster, type RealCluster, type RealClusterOptions } from './cluster.js';
import type { ProxyMode } from './kube-proxy.js';

export const PROXY_MODES: ProxyMode[] = ['iptables', 'nftables'];

export interface SuiteOptions {
  versions?: string[];
  modes?: ProxyMode[];
  nodes?: number;
}

/** Why a real cluster cannot run here, or null. */
export function realClusterProblem(version: string): string | null {
  return missingPrerequisites() ?? (existsSync('/usr/sbin/sshd') ? null : 'missing /usr/sbin/sshd (openssh-server)') ?? missingBinaries(version);
}

/** NP_DOCTOR_K8S_VERSIONS / NP_DOCTOR_K8S_MODES (comma-separated) narrow a run by hand; unset, all run. */
function only<T extends string>(env: string, all: T[]): T[] {
  const want = process.env[env]?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (want === undefined || want.length === 0) return all;
  console.log(`# ${env}=${want.join(',')}: running ${all.filter((x) => want.includes(x)).join(', ') || 'nothing'} of ${all.join(', ')}`);
  return all.filter((x) => want.includes(x));
}

/**
 * Starts the cluster, once more if the first start fails. A real control plane, kube-proxies and
 * sshds starting on a busy 2-core machine can miss one of their readiness bounds; a failed `before`
 * would cancel every test of the suite (node:test counts them "cancelled", not failed, and prints
 * the reason far from the summary). The first failure is printed as a TAP comment, so a CI log
 * says what went wrong; a second failure fails the suite.
 */
async function startWithRetry(o: RealClusterOptions): Promise<RealCluster> {
  try {
    return await startRealCluster(o);
  } catch (e) {
    const why = ((e as Error).stack ?? String(e)).split('\n').slice(0, 8).join('\n# ');
    console.log(`# the ${o.version} ${o.mode} cluster did not start, trying once more: ${why}`);
    return startRealCluster(o);
  }
}

/**
 * Declares `describe(title: version, mode)` for every version × mode, with `cluster()` giving the
 * running cluster inside its tests.
 */
export function realClusterSuites(title: string, body: (cluster: () => RealCluster, on: { version: string; mode: ProxyMode }) => void, o: SuiteOptions = {}): void {
  for (const version of only('NP_DOCTOR_K8S_VERSIONS', o.versions ?? pinnedVersions())) {
    for (const mode of only('NP_DOCTOR_K8S_MODES', o.modes ?? PROXY_MODES)) {
      const name = `${title}: Kubernetes ${version}, kube-proxy ${mode}`;
      const runs = labGate(name, realClusterProblem(version), 'root, the kernel lab tools, openssh-server and the real Kubernetes (npm run lab:build)');
      describe(name, { skip: !runs }, () => {
        let c: RealCluster | undefined;
        let started = 0;
        before(async () => {
          started = Date.now();
          c = await startWithRetry({ version, mode, ...(o.nodes !== undefined ? { nodes: o.nodes } : {}) });
          const server = (await c.cp.api('GET', '/version')).body as { gitVersion?: string };
          const proxy = (await run(binary(version, 'kube-proxy'), ['--version'])).stdout.trim().replace(/^Kubernetes /, '');
          console.log(`# kube-apiserver ${server.gitVersion ?? '?'}, kube-proxy ${proxy} (${mode}): ${c.nodes.length} nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
        after(async () => {
          await c?.close();
          if (c !== undefined) console.log(`# ${version} ${mode}: cluster ran ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
        body(() => {
          if (c === undefined) throw new Error(`the ${version} ${mode} cluster did not start`);
          return c;
        }, { version, mode });
      });
    }
  }
}
