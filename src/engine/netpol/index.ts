/** NetworkPolicy evaluation: pure, no I/O. */
export { evaluateEgress, evaluateIngress } from './evaluate.js';
export type { PolicyDecision, PolicyPod, PolicyProtocol, PolicyRef, PolicyWorld } from './types.js';
