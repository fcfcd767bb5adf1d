/**
 * Rebuilds examples/demo-cluster/frontend.snapshot.json, the snapshot `npm run demo` replays: the
 * two-node lab of test/support/cluster-lab.ts gathered over SSH by the built CLI. Needs root
 * (network namespaces, sshd); run with `node --import tsx scripts/make-demo-snapshot.ts`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { startClusterLab } from '../test/support/cluster-lab.js';

const OUT = 'examples/demo-cluster/frontend.snapshot.json';
mkdirSync('examples/demo-cluster', { recursive: true });
const lab = await startClusterLab();
try {
  // Asynchronous: the fake API server answers from this same process.
  const { stderr } = await promisify(execFile)(process.execPath, [
    'dist/src/cli.js', 'snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '-o', OUT, '--all-nodes',
    '--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', lab.userKey.privatePath, '--ssh-known-hosts', lab.knownHosts,
  ], { env: { PATH: process.env.PATH, HOME: lab.home } });
  process.stderr.write(stderr);
} finally {
  await lab.close();
}
