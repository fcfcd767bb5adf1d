/**
 * The built np-doctor (`npm run build` → dist/src/cli.js) as a user runs it against a real lab:
 * a child process with a clean environment (no KUBECONFIG, an empty HOME), so only the flags given
 * say which cluster and which credentials it uses.
 */
import { spawn } from 'node:child_process';

export const CLI = 'dist/src/cli.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function npDoctor(args: string[], home: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
