/**
 * Deterministic generator of an internally consistent snapshot of an N-node cluster with S
 * Services: what `np-doctor snapshot -A --all-nodes` would write for it. One cluster plan
 * (gen-dump.ts) gives the Services, their endpoints and every node's `iptables-nft-save`; the API
 * objects (Services, EndpointSlices, Pods, Nodes, Namespaces, kube-proxy's ConfigMap and pods) and
 * the other node commands come from the scenario kit's printers, so they match what the kit's
 * scenarios look like. Node states are generated one at a time, when iterated.
 *
 * Script use: node --import tsx bench/gen-snapshot.ts --nodes 3 --services 1000 [--endpoints 3]
 *             [--no-comments] [--seed 1] [--format v2|v1] -o FILE[.gz] [--overwrite]
 * The file is written as a stream (src/snapshot/stream-write.ts), one node at a time.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { KubeObject, NodeState, Snapshot } from '../src/snapshot/schema.js';
import { writeSnapshotStream } from '../src/snapshot/stream-write.js';
import { buildScenarioSnapshot } from '../test/support/scenario-kit/build.js';
import { nodeCommands } from '../test/support/scenario-kit/node-commands.js';
import { serviceObject, workloadPod } from '../test/support/scenario-kit/objects.js';
import { corefile, endpointSlice, type ClusterSpec, type NodeSpec, type PodSpec, type ServiceSpec } from '../test/support/scenario-kit/spec.js';
import { MAX_NODES, nodeIpOf, planCluster, renderDump, type ClusterPlan, type ServicePort } from './gen-dump.js';
import { NftJsonWriter } from './gen-nft-json.js';

export interface ScaleSnapshotOptions {
  nodes: number;
  services: number;
  endpointsPerService: number;
  /** false = kube-proxy's large-cluster mode (no comments on endpoint rules). Default true. */
  comments?: boolean;
  seed?: number;
}

/** What a diagnosis of one Service through one node should conclude. */
export interface ScaleCase {
  what: string;
  namespace: string;
  service: string;
  node: string;
  nodePort: number;
  /** 'ok': every replayed node delivers, no finding; else the check that must report an error. */
  expect: { health: 'ok' } | { health: 'error'; check: string };
}

export interface ScaleSnapshot {
  head: Omit<Snapshot, 'nodes'>;
  /** Every node's state, generated when iterated (one node's dumps in memory at a time). */
  nodes: () => Iterable<NodeState>;
  cases: ScaleCase[];
}

const IMAGE = 'registry.example/bench/app:1.0';
const CONTEXT = 'kubernetes-admin@bench-scale';
const SERVICE_CIDR = '172.20.0.0/16'; // gen-dump's ClusterIPs
const CLUSTER_CIDR = '10.0.0.0/8'; // gen-dump's detect-local CIDR; node-N's pods are 10.N.0.0/16

export const nodeName = (node: number): string => `node-${node}`;

export function generateScaleSnapshot(opts: ScaleSnapshotOptions): ScaleSnapshot {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) throw new RangeError(`nodes must be an integer in 1..${MAX_NODES}, got ${opts.nodes}`);
  const plan = planCluster({ services: opts.services, endpointsPerService: opts.endpointsPerService, comments: opts.comments ?? true, seed: opts.seed ?? 1, nodes: opts.nodes });
  const spec = clusterSpec(plan);
  const exposed = plan.services.filter((svc) => svc.type !== 'ClusterIP');
  const pods = plan.services.flatMap(podsOf);
  return {
    head: head(spec, exposed, pods),
    nodes: () => nodeStates(plan, spec, pods),
    cases: chooseCases(plan),
  };
}

/** The cluster as the scenario kit describes one: nodes, namespaces, kube-proxy's settings (no workloads: those come from the plan). */
function clusterSpec(plan: ClusterPlan): ClusterSpec {
  const namespaces = [...new Set(plan.services.map((svc) => svc.namespace))];
  const nodes: NodeSpec[] = Array.from({ length: plan.nodes }, (_, n) => ({
    name: nodeName(n),
    ip: nodeIpOf(n),
    prefix: 24,
    podCIDR: `10.${n}.0.0/16`,
    ...(n === 0 ? { controlPlane: true } : {}),
  }));
  return {
    context: CONTEXT,
    kubernetesVersion: 'v1.31.4',
    clusterCIDR: CLUSTER_CIDR,
    serviceCIDR: SERVICE_CIDR,
    nodePortRange: '30000-32767',
    cni: 'bridge',
    nodes,
    namespaces: ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...namespaces].map((name) => ({ name })),
    services: [],
    pods: [],
    networkPolicies: [],
    endpointSlicesOverride: {},
    kubeProxy: { mode: 'iptables', nodePortAddresses: null, masqueradeBit: 14, localhostNodePorts: true, masqueradeAll: false, tcpBeLiberal: false },
    coreDns: { corefile: corefile() },
  };
}

/** One Pod per endpoint, on the endpoint's node, listening on the target port. */
function podsOf(svc: ServicePort): PodSpec[] {
  return svc.endpoints.map((ep, k) => ({
    namespace: svc.namespace,
    name: `${svc.service}-${k}`,
    node: nodeName(ep.node),
    ip: ep.ip,
    labels: { app: svc.service },
    containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: svc.targetPort, protocol: svc.proto === 'udp' ? 'UDP' : 'TCP' }] }],
    owner: { kind: 'ReplicaSet', name: `${svc.service}-rs` },
  }));
}

function serviceSpec(svc: ServicePort): ServiceSpec {
  return {
    namespace: svc.namespace,
    name: svc.service,
    type: svc.type,
    clusterIP: svc.clusterIp,
    ports: [{
      ...(svc.portName === null ? {} : { name: svc.portName }),
      port: svc.port,
      targetPort: svc.targetPort,
      ...(svc.nodePort === 0 ? {} : { nodePort: svc.nodePort }),
      protocol: svc.proto === 'udp' ? 'UDP' : 'TCP',
    }],
    selector: { app: svc.service },
    ...(svc.type === 'ClusterIP' ? {} : { externalTrafficPolicy: svc.externalLocal ? 'Local' : 'Cluster' }),
    ...(svc.externalIps.length > 0 ? { externalIPs: svc.externalIps } : {}),
    ...(svc.lbVips.length > 0 ? { loadBalancerIngress: svc.lbVips } : {}),
    ...(svc.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...svc.sourceRanges] } : {}),
    ...(svc.clientIpAffinity ? { sessionAffinity: 'ClientIP' } : {}),
  };
}

function sliceOf(svc: ServicePort): KubeObject {
  return endpointSlice(
    svc.namespace,
    svc.service,
    svc.endpoints.map((ep, k) => ({ ip: ep.ip, node: nodeName(ep.node), pod: `${svc.service}-${k}` })),
    [{ ...(svc.portName === null ? {} : { name: svc.portName }), port: svc.targetPort, protocol: svc.proto === 'udp' ? 'UDP' : 'TCP' }],
    { name: `${svc.service}-${svc.hash.slice(0, 5).toLowerCase()}`, managedBy: 'endpointslice-controller.k8s.io' },
  );
}

/**
 * What `snapshot -A` keeps of the API: the NodePort and LoadBalancer Services, their slices, the
 * Pods of their namespaces; Nodes, Namespaces and kube-proxy's objects as the kit builds them.
 */
function head(spec: ClusterSpec, exposed: ServicePort[], pods: PodSpec[]): Omit<Snapshot, 'nodes'> {
  // The kit's snapshot of the cluster without workloads gives everything but the workloads.
  const { nodes: _built, ...base } = buildScenarioSnapshot({ ...spec, nodes: spec.nodes.map((n) => ({ ...n, access: false })) }, { target: { namespace: null, service: null } });
  const namespaces = new Set(exposed.map((svc) => svc.namespace));
  const order = new Map<string, number>();
  const cluster = {
    ...base.cluster,
    services: exposed.map((svc) => serviceObject(serviceSpec(svc), svc.healthCheckNodePort)),
    endpointSlices: exposed.map(sliceOf),
    pods: [
      ...base.cluster.pods,
      ...pods.filter((p) => namespaces.has(p.namespace)).map((p) => {
        const n = order.get(p.namespace) ?? 0;
        order.set(p.namespace, n + 1);
        return workloadPod(spec, p, n);
      }),
    ],
  };
  // The nodes were left out of the kit's build (unreachable): their gather errors go with them.
  return { ...base, cluster, errors: [] };
}

function* nodeStates(plan: ClusterPlan, spec: ClusterSpec, pods: PodSpec[]): Generator<NodeState> {
  const nft = new NftJsonWriter();
  const podsByNode = new Map<string, PodSpec[]>();
  for (const p of pods) {
    const list = podsByNode.get(p.node ?? '');
    if (list === undefined) podsByNode.set(p.node ?? '', [p]);
    else list.push(p);
  }
  for (let n = 0; n < plan.nodes; n++) {
    const node = spec.nodes[n] as NodeSpec;
    const dump = renderDump(plan, n).text;
    // The node's own pods are all the kit needs to print its interfaces and pod namespaces.
    const local = { ...spec, pods: podsByNode.get(node.name) ?? [] };
    const commands = nodeCommands(local, node, { nft: dump, legacy: '', nft6: '', legacy6: '', nftRuleset: nft.render(dump) });
    yield { name: node.name, address: node.ip, access: 'ssh', commands };
  }
}

/**
 * A healthy Cluster NodePort, asked through node-0; an eTP=Local NodePort with endpoints, asked
 * through a node that has none of them (kube-proxy drops external traffic there).
 */
function chooseCases(plan: ClusterPlan): ScaleCase[] {
  const plain = (svc: ServicePort): boolean => svc.type === 'NodePort' && svc.proto === 'tcp' && !svc.clientIpAffinity && svc.externalIps.length === 0 && svc.endpoints.length > 0;
  const cases: ScaleCase[] = [];
  const healthy = plan.services.find((svc) => plain(svc) && !svc.externalLocal);
  if (healthy !== undefined) {
    cases.push({ what: 'a Cluster NodePort with ready endpoints', namespace: healthy.namespace, service: healthy.service, node: nodeName(0), nodePort: healthy.nodePort, expect: { health: 'ok' } });
  }
  for (const svc of plan.services.filter((s) => plain(s) && s.externalLocal)) {
    const away = Array.from({ length: plan.nodes }, (_, n) => n).find((n) => !svc.endpoints.some((ep) => ep.node === n));
    if (away === undefined) continue;
    cases.push({
      what: `an eTP=Local NodePort whose endpoints are not on ${nodeName(away)}`,
      namespace: svc.namespace,
      service: svc.service,
      node: nodeName(away),
      nodePort: svc.nodePort,
      expect: { health: 'error', check: 'etp-local-no-local-endpoint' },
    });
    break;
  }
  return cases;
}

/** The whole snapshot in memory (v1 JSON): fine up to a few nodes of 10k Services. */
export function materialize(s: ScaleSnapshot): Snapshot {
  return { ...s.head, nodes: [...s.nodes()] };
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '3' },
      services: { type: 'string', default: '1000' },
      endpoints: { type: 'string', default: '3' },
      'no-comments': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      output: { type: 'string', short: 'o' },
      overwrite: { type: 'boolean', default: false },
      format: { type: 'string', default: 'v2' },
    },
  });
  if (values.output === undefined) throw new Error('-o FILE is required (FILE.gz writes gzip)');
  const generated = generateScaleSnapshot({
    nodes: Number(values.nodes),
    services: Number(values.services),
    endpointsPerService: Number(values.endpoints),
    comments: !values['no-comments'],
    seed: Number(values.seed),
  });
  if (values.format !== 'v1' && values.format !== 'v2') throw new Error(`--format must be v1 or v2, got ${values.format}`);
  await writeSnapshotStream(values.output, { head: generated.head, nodes: generated.nodes() }, { overwrite: values.overwrite, format: values.format });
  process.stdout.write(`${JSON.stringify({ file: values.output, cases: generated.cases })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`gen-snapshot: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
