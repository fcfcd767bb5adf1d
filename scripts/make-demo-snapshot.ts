/**
 * Rebuilds examples/demo-cluster/frontend.snapshot.json, a snapshot gathered for real: the
 * scenario kit's cluster as the lab of test/support/cluster-lab.ts (namespaces, the kit's rules
 * loaded into the kernel, real sshd), gathered over SSH by the built CLI. Unlike the kit-written
 * snapshots (scripts/make-scenarios.ts, make-demo-cluster.ts), this one needs root: it is what a
 * live gathering writes. Run with `node --import tsx scripts/make-demo-snapshot.ts`.
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
