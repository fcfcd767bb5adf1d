/**
 * NetworkPolicy evaluation's public contract. Policies stay the raw networking.k8s.io/v1 JSON the API
 * serves: the evaluator reads them defensively, so one malformed policy makes a decision
 * indeterminate (naming the policy and field) rather than throwing.
 */

export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface PolicyPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** status.podIPs */
  ips: string[];
  nodeName?: string;
  hostNetwork?: boolean;
  containerPorts: { name?: string; port: number; protocol: PolicyProtocol }[];
}

export interface PolicyWorld {
  /** Raw NetworkPolicy objects. */
  policies: unknown[];
  /** Every pod np-doctor knows about (possibly only some namespaces). */
  pods: PolicyPod[];
  /** null: namespace labels were not gathered. */
  namespaces: { name: string; labels: Record<string, string> }[] | null;
  /** Node name → every address on that node (InternalIP, tunnel, CNI bridge…). */
  nodeAddresses: Record<string, string[]>;
  /** Cluster pod CIDRs, if known: an unknown address inside them may be a pod we did not read. */
  podCidrs?: string[];
}

export interface PolicyRef {
  namespace: string;
  name: string;
}

export interface PolicyDecision {
  verdict: 'allowed' | 'denied' | 'indeterminate';
  /** One sentence a human reads: why. */
  reason: string;
  /** Policies that select the pod for this direction (isolate it); empty = not isolated. */
  isolatedBy: PolicyRef[];
  /** The rule that allowed it: index into spec.ingress / spec.egress, and the peer that matched
   *  (index into from / to, or 'all' when the rule has no from / to). */
  allowedBy?: { policy: PolicyRef; rule: number; peer: number | 'all' };
  /** When indeterminate: what was missing or malformed. */
  unknowns?: string[];
  /** When denied: for each isolating policy, the closest rule and why it did not match.
   *  rule is -1 for a policy with no rules for this direction (it denies everything). */
  misses?: { policy: PolicyRef; rule: number; why: string }[];
}
