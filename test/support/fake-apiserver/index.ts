/**
 * A fake kube-apiserver for tests that drive the real @kubernetes/client-node (DESIGN.md §4).
 *
 *   const api = await startFakeApiserver({ objects: apiClusterObjects() });   // the scenario kit's cluster (../api-cluster.ts)
 *   const kc = new k8s.KubeConfig();
 *   kc.loadFromFile(await api.writeKubeconfig({ context: 'lab', namespace: 'shop' }));
 *   ... api.fail({ path: /networkpolicies/, status: 403 }); api.requests; await api.stop();
 */
export { startFakeApiserver } from './server.js';
export type { FakeApiserver, FakeApiserverOptions, KubeconfigRequest, RequestRecord } from './server.js';
export { ExecutableNotFound } from './exec.js';
export type { ExecHandler, ExecResult } from './exec.js';
export { netnsExecHandler, hostCommand } from './netns-exec.js';
export type { ContinueRule, DelayRule, FailRule, FaultHandle } from './faults.js';
export type { DeletionRecord, PodStartOutcome } from './pods.js';
export { ObjectStore, kubeTime } from './store.js';
export { RESOURCES, resourceAt, resourceOfObject } from './resources.js';
export type { ResourceType } from './resources.js';
export { writeKubeconfig } from './kubeconfig.js';
export type { KubeconfigOptions } from './kubeconfig.js';
export { CONTINUE_EXPIRED } from './status.js';
export type { Status } from './status.js';
export type { KubeObject, ObjectMeta, OwnerReference } from './types.js';
