/**
 * The real kube-proxy for one lab node, run inside the node's network namespace (`ip netns exec`),
 * reaching the apiserver over the lab's LAN with its own client certificate (CN system:kube-proxy,
 * which the bootstrap ClusterRoleBinding system:node-proxier authorizes).
 *
 * Outside the initial network namespace kube-proxy may not touch the global conntrack knobs
 * (nf_conntrack_max is read-only there, the hashsize parameter is global): a zero in each
 * conntrack field tells it to leave that knob alone. It needs the Node object (named by
 * hostnameOverride) with an InternalIP, and it exits when that Node's addresses change or it is
 * deleted (newer releases), so the lab never edits a Node under a running kube-proxy.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../kernel/lab/exec.js';
import { binary } from './binaries.js';
import type { ControlPlane } from './control-plane.js';
import { clientCert, writeKubeconfig } from './pki.js';
import { waitFor, type LabProcess } from './processes.js';

export type ProxyMode = 'iptables' | 'nftables';

export interface KubeProxyOptions {
  node: string;
  /** The node's network namespace. */
  ns: string;
  mode: ProxyMode;
  clusterCIDR: string;
  /** KubeProxyConfiguration.nodePortAddresses; absent: the mode's default (iptables: every address, nftables: "primary"). */
  nodePortAddresses?: string[];
  /** More KubeProxyConfiguration fields, as the ConfigMap's config.conf would carry them. */
  extra?: Record<string, unknown>;
  /** Names its files and log when several kube-proxies stand for one node (in separate namespaces). Default: the node. */
  instance?: string;
}

export interface KubeProxy {
  options: KubeProxyOptions;
  process: LabProcess;
  /** The configuration file it read (JSON is YAML), as a ConfigMap's config.conf would hold it. */
  config: Record<string, unknown>;
}

/** The KubeProxyConfiguration a lab kube-proxy runs with. */
export function kubeProxyConfig(o: KubeProxyOptions, kubeconfig: string): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: o.mode,
    clusterCIDR: o.clusterCIDR,
    hostnameOverride: o.node,
    clientConnection: { kubeconfig },
    ...(o.nodePortAddresses !== undefined ? { nodePortAddresses: o.nodePortAddresses } : {}),
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    // Per network namespace, so every node may use the defaults' ports; loopback keeps them off the LAN.
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    ...o.extra,
  };
}

export async function startKubeProxy(cp: ControlPlane, o: KubeProxyOptions): Promise<KubeProxy> {
  const file = `kube-proxy-${o.instance ?? o.node}`;
  const cert = await clientCert(cp.pki, file, 'system:kube-proxy');
  const kubeconfig = await writeKubeconfig(join(cp.dir, `${file}.kubeconfig`), cp.server, cp.pki, cert, 'system:kube-proxy');
  const config = kubeProxyConfig(o, kubeconfig);
  const configFile = join(cp.dir, `${file}.conf`);
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const process = cp.processes.start(file, binary(cp.version, 'kube-proxy'), [`--config=${configFile}`, '--v=2'], { ns: o.ns });
  return { options: o, process, config };
}

/** What the node's rules hold now: iptables-save in iptables mode, `nft list table ip kube-proxy` in nftables mode. */
export async function proxyRules(p: KubeProxy): Promise<string> {
  const r = p.options.mode === 'iptables'
    ? await run('iptables-save', [], { ns: p.options.ns })
    : await run('nft', ['list', 'table', 'ip', 'kube-proxy'], { ns: p.options.ns, allowFail: true });
  return r.stdout;
}

/**
 * Waits until kube-proxy's rules satisfy `synced` (say, they carry a Service's nodePort): that is
 * when kube-proxy has synced what the test just changed. Never a fixed sleep.
 */
export async function waitForRules(p: KubeProxy, what: string, synced: (rules: string) => boolean, timeoutMs = 60_000): Promise<string> {
  let rules = '';
  await waitFor(`kube-proxy on ${p.options.node} (${p.options.mode}) to ${what}`, async () => synced((rules = await proxyRules(p))), { watch: [p.process], timeoutMs });
  return rules;
}
