/**
 * One real cluster for the kit-vs-real comparison: a lab LAN (kit-lan.ts), the control plane of
 * one version listening on it, the comparison spec's objects applied (kit-to-api.ts) and settled
 * (the real slices give the kit's endpoints), then one real kube-proxy per run, each in a
 * namespace holding its node's addresses: started after the objects settled, so its first (full)
 * sync already holds every Service and endpoint.
 *
 * The kit's view of a run is the spec with that run's configuration, the real apiserver's own
 * endpoint for default/kubernetes, and the namespace's lab0 address among the node's addresses
 * (kube-proxy sees it like any other local address).
 */
import { interfacesOf } from '../scenario-kit/host.js';
import { findNode, type ClusterSpec } from '../scenario-kit/index.js';
import { servicePortName } from '../scenario-kit/spec.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { comparisonCluster, type KitRun } from './kit-comparison.js';
import { kitKubeProxyOptions } from './kit-kube-proxy.js';
import { createKitLan, type KitLan } from './kit-lan.js';
import { apiServerEndpoint, applySpec, waitForKitEndpoints, withApiServerEndpoint } from './kit-to-api.js';
import { startKubeProxy, waitForRules, type KubeProxy } from './kube-proxy.js';

export interface StartedRun {
  run: KitRun;
  /** The spec as this run's kube-proxy sees the cluster (configuration, apiserver endpoint, lab0). */
  spec: ClusterSpec;
  ns: string;
  proxy: KubeProxy;
}

export interface KitLab {
  version: string;
  cp: ControlPlane;
  runs: StartedRun[];
  /** Waits until the run's kube-proxy has synced every service port of the spec, and returns its rules text. */
  synced(r: StartedRun): Promise<string>;
  stop(): Promise<void>;
}

/**
 * How each service port of the spec shows in the run's rules, as alternatives: an iptables comment;
 * in nftables mode its chains' names, or the comment of its no-endpoints element.
 */
function markers(r: StartedRun): string[][] {
  return r.spec.services.flatMap((svc) => svc.ports.map((p) => (r.run.mode === 'iptables'
    ? [servicePortName(svc, p)]
    : [`${svc.namespace}/${svc.name}/${(p.protocol ?? 'TCP').toLowerCase()}/${p.name ?? ''}`, `"${servicePortName(svc, p)}"`])));
}

export async function startKitLab(version: string, runs: KitRun[]): Promise<KitLab> {
  const lan = await createKitLan();
  let cp: ControlPlane | undefined;
  const stop = async (): Promise<void> => {
    await cp?.stop();
    await lan.stop();
  };
  try {
    const base = comparisonCluster(version);
    cp = await startControlPlane({ version, bindAddress: lan.hostAddress, serviceCIDR: base.serviceCIDR });
    const spec = withApiServerEndpoint(base, await apiServerEndpoint(cp));
    await applySpec(cp, spec);
    await waitForKitEndpoints(cp, spec);
    // One after the other: each signs a client certificate with the lab CA's shared serial file.
    const started: StartedRun[] = [];
    for (const [i, run] of runs.entries()) started.push(await startRun(cp, lan, spec, run, i));
    const synced = (r: StartedRun): Promise<string> => {
      const wanted = markers(r);
      return waitForRules(r.proxy, 'carry every service port of the spec', (rules) => wanted.every((any) => any.some((x) => rules.includes(x))));
    };
    return { version, cp, runs: started, synced, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startRun(cp: ControlPlane, lan: KitLan, cluster: ClusterSpec, run: KitRun, index: number): Promise<StartedRun> {
  const spec = structuredClone(cluster);
  run.configure(spec);
  const node = findNode(spec, run.node);
  const { ns, linkAddress } = await lan.addNode(run.node, interfacesOf(spec, node));
  node.extraAddresses = [...(node.extraAddresses ?? []), { iface: 'lab0', ip: linkAddress, prefix: 24 }];
  const proxy = await startKubeProxy(cp, { ...kitKubeProxyOptions(spec, run.node, ns), instance: `${index}-${run.mode}-${run.node}` });
  return { run, spec, ns, proxy };
}

