/**
 * The openssl CLI for test PKIs (the fake API server's, the real control plane's). Argument
 * vectors through execFile, never a shell string.
 */
import { execFile } from 'node:child_process';

export function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`openssl ${args[0] ?? ''} failed: ${err.message}\n${stderr}`));
    });
  });
}

/** A new P-256 key, unencrypted: what `-newkey` takes for every certificate here. */
export const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'] as const;
