/**
 * What a check reads. The runner builds one Analysis per question (the snapshot, its ClusterModel,
 * the question, the target Service, the replayed paths) and hands every check the same
 * FullCheckContext made from it: the question and the paths as they are, each node's gathered
 * state through nodeState(), and the API objects only through queries, one member per requirement
 * that guards them. A check's `run` is typed with CheckContext<R>, which keeps only the members its
 * requirements R guard and narrows the Service and its port, so reading API data a check does not
 * require is a type error.
 */
import type { ClusterModel } from '../model/cluster.js';
import type { Family } from '../model/node-data.js';
import type { ServiceInfo, ServicePort } from '../model/kube.js';
import type { Probe } from '../snapshot/probe.js';
import type { Snapshot } from '../snapshot/schema.js';
import {
  endpointSlicesOf, kubeProxyOf, networkPoliciesOf, nodesOf, podsOf, servicesOf,
  type ApiServer, type CoreDns, type EndpointSlices, type KubeProxy, type NetworkPolicies, type Nodes, type Pods, type Services,
} from './cluster-queries.js';
import type { Requirement } from './define.js';
import type { Hop, NodePath } from './engine.js';
import type { Evidence } from './model.js';
import { gatheredNode, type GatheredNode } from './node-state.js';
import { hopEvidence } from './rules.js';

/** The question being diagnosed. */
export interface Question {
  namespace: string;
  service: string;
  /** The Service port asked about (--port), or its only/first port. */
  port: ServicePort | null;
  /**
   * The address family replayed: the client, the ingress addresses, the rules (ip6tables, `table
   * ip6 kube-proxy`) and the EndpointSlices are all of it. A dual-stack Service is asked once per family.
   */
  family: Family;
  client: { ip: string; port: number };
  /** Ingress nodes and the address the client dials on each. */
  ingress: { node: string; address: string }[];
  /** --node-ip named an address no node has, but that is a Service's ClusterIP (the client dials the wrong thing). */
  wrongTarget?: { address: string; clusterIpOf: string };
  /** The Service has no address of this family, so no node serves its nodePort in it (loopback aside): nothing is replayed. */
  unserved?: true;
  /** A default replay of a large snapshot (run/question.ts DEFAULT_REPLAY_NODES): the nodes left out, which --all-nodes replays. */
  notReplayed?: { count: number; why: string };
}

/** One question answered against one snapshot: what the runner checks and the report describes. */
export interface Analysis {
  snapshot: Snapshot;
  cluster: ClusterModel;
  question: Question;
  /** The target Service, null when it was not found. */
  service: ServiceInfo | null;
  /** One per ingress node, in question order. */
  paths: NodePath[];
}

/** The question as a check sees it (the port is `ctx.port`, narrowed by requires). */
export interface CheckQuestion extends Omit<Question, 'port'> {
  /** What the snapshot was gathered for: a namespace (null: every one) and a Service (null: a scan). */
  gatheredFor: { namespace: string | null; service: string | null };
}

/** The gathered data, one member per requirement that guards it. */
export interface ClusterData {
  services: Services;
  endpointSlices: EndpointSlices;
  pods: Pods;
  nodes: Nodes;
  networkPolicies: NetworkPolicies;
  kubeProxy: KubeProxy;
  coreDns: CoreDns;
  apiServer: ApiServer;
}

/**
 * The requirements that guard a member of ClusterData: an API list that was not read looks like
 * an empty one, so a check may read it only when the read succeeded. The others narrow `service`
 * and `port`, or promise at least one gathered node (nodeState) or replayed path (paths).
 */
export const DATA_REQUIREMENTS = [
  'services', 'endpointSlices', 'pods', 'nodes', 'networkPolicies', 'kubeProxy', 'coreDns', 'apiServer',
] as const satisfies readonly (Requirement & keyof ClusterData)[];
export type DataRequirement = (typeof DATA_REQUIREMENTS)[number];

/** A port with a nodePort. */
export type NodePortOf = ServicePort & { nodePort: number };

interface Always {
  question: CheckQuestion;
  /** One per ingress node, in question order; empty when nothing could be replayed. */
  paths: NodePath[];
  /** Evidence citing a hop of a walk on `node`, with the dump it came from. */
  hopEvidence(node: string, hop: Hop): Evidence;
  /**
   * What was gathered on a node. Any node may be asked: one that was not reached answers
   * "unknown" (null, undefined) to every query, never "nothing there".
   */
  nodeState(node: string): GatheredNode;
  /**
   * What --probe saw on the wire, every probe with its result; null when it was not given (a
   * snapshot without probes, or gathered without --probe: then nothing was sent).
   */
  probes: readonly Probe[] | null;
}

/** Everything, as the runner hands it to every check. */
export interface FullCheckContext extends Always, ClusterData {
  /** The target Service, null when it was not found. */
  service: ServiceInfo | null;
  /** The Service port asked about, null when the Service has none (or was not found). */
  port: ServicePort | null;
}

/** The context a check with requirements R reads. */
export type CheckContext<R extends Requirement = never> = Always & Pick<ClusterData, Extract<R, DataRequirement>> & {
  service: [Extract<R, 'service' | 'nodePort'>] extends [never] ? ServiceInfo | null : ServiceInfo;
  port: 'nodePort' extends R ? NodePortOf : ServicePort | null;
};

export function checkContext(analysis: Analysis): FullCheckContext {
  const { cluster, snapshot, question: { port, ...question } } = analysis;
  const nodes = new Map<string, GatheredNode>();
  const nodeState = (name: string): GatheredNode => {
    let n = nodes.get(name);
    if (n === undefined) nodes.set(name, (n = gatheredNode(cluster, name, question.family)));
    return n;
  };
  return {
    question: { ...question, gatheredFor: snapshot.target },
    service: analysis.service,
    port,
    paths: analysis.paths,
    hopEvidence: (node, hop) => hopEvidence(node, hop, nodeState(node).rulesets?.[0]?.source),
    nodeState,
    probes: snapshot.probes ?? null,
    services: servicesOf(cluster),
    endpointSlices: endpointSlicesOf(cluster, question.family),
    pods: podsOf(cluster),
    nodes: nodesOf(cluster),
    networkPolicies: networkPoliciesOf(cluster),
    kubeProxy: kubeProxyOf(cluster),
    coreDns: snapshot.cluster.coreDns,
    apiServer: snapshot.cluster.apiServer,
  };
}
