/** A GatherRequest for tests against the fake API server: nothing from the environment, every bound set; `o` overrides. */
import { hostname } from 'node:os';
import type { GatherRequest } from '../../src/collect/gather.js';
import { SILENT } from '../../src/collect/gather-progress.js';

export function testGatherRequest(kubeconfig: string, o: Partial<GatherRequest> = {}): GatherRequest {
  return {
    question: { namespace: 'shop', service: 'frontend' },
    namespaceFromKubeconfig: false,
    collect: 'none',
    nodes: { allNodes: false },
    kubeconfig: { kubeconfig, env: {}, homeDir: '/nonexistent' },
    requestTimeoutMs: 30_000,
    commandTimeoutMs: 30_000,
    timeoutMs: 60_000,
    outputLimitBytes: 64 * 2 ** 20,
    maxListItems: 100_000,
    nodeConcurrency: 2,
    ssh: {},
    debugPod: { namespace: undefined, image: 'busybox:test', activeDeadlineSeconds: 120, startTimeoutMs: 10_000, privileged: false, owner: { user: 'tester', host: hostname(), pid: process.pid } },
    nodeDumps: new Map(),
    localNodeName: 'here',
    signal: undefined,
    progress: SILENT,
    ...o,
  };
}
