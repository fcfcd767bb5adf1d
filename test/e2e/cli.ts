/** Runs the built CLI as a user would, against a cluster lab. */
import { spawn } from 'node:child_process';
import type { ClusterLab } from '../support/cluster-lab.js';

export const CLI = 'dist/src/cli.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no KUBECONFIG, no agent, an empty HOME (no ~/.ssh/config or known_hosts). */
export function cli(lab: ClusterLab, args: string[], onSpawn?: (kill: (s: NodeJS.Signals) => void) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: lab.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.((s) => child.kill(s));
  });
}
