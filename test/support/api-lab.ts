/**
 * The fake API server a test file of the CLI talks to: apiClusterObjects() served from before the
 * file's first test, a kubeconfig for it (context lab, namespace shop), and a temporary directory;
 * the server stopped and the directory removed after the last test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { apiClusterObjects } from './api-cluster.js';
import { startFakeApiserver, type FakeApiserver } from './fake-apiserver/index.js';

export interface ApiLab {
  /** Set in before(): read it inside tests only. */
  server: FakeApiserver;
  kubeconfig: string;
  dir: string;
}

export function apiLabPerFile(dirPrefix: string): ApiLab {
  const lab = { dir: mkdtempSync(join(tmpdir(), dirPrefix)) } as ApiLab;
  before(async () => {
    lab.server = await startFakeApiserver({ objects: apiClusterObjects() });
    lab.kubeconfig = await lab.server.writeKubeconfig({ context: 'lab', namespace: 'shop' });
  });
  after(async () => {
    await lab.server.stop();
    rmSync(lab.dir, { recursive: true, force: true });
  });
  return lab;
}
