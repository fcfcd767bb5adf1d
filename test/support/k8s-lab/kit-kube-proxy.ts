/**
 * The KubeProxyConfiguration a kit node's kube-proxy runs with, from the spec's ConfigMap
 * settings (KubeProxyConfigSpec) and the node's own knobs, as the raw configuration (say,
 * `nodePortAddresses: [primary]` unresolved: resolving it is kube-proxy's job, and the kit's model
 * of it is under test). Only what the lab needs besides: its kubeconfig, no global conntrack knobs
 * (kube-proxy.ts), `hostnameOverride` = the node's name unless the node's kube-proxy knob says otherwise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../kernel/lab/exec.js';
import { kubeProxyConfigYaml } from '../scenario-kit/objects.js';
import { findNode, type ClusterSpec } from '../scenario-kit/index.js';
import { binary } from './binaries.js';
import type { KubeProxyOptions, ProxyMode } from './kube-proxy.js';

/**
 * What the real kube-proxy of `version` says when it loads the kit's ConfigMap config.conf for
 * this spec: `--write-config-to` loads the file (strictly first: an unknown field is logged as
 * "strict decoding failed") and exits without starting anything. Its log comes back.
 */
export async function loadKitConfig(version: string, spec: ClusterSpec): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'npd-kit-config-'));
  try {
    await writeFile(join(dir, 'config.conf'), kubeProxyConfigYaml(spec.kubeProxy, spec.clusterCIDR));
    const r = await run(binary(version, 'kube-proxy'), [`--config=${join(dir, 'config.conf')}`, `--write-config-to=${join(dir, 'out.conf')}`]);
    return r.stdout + r.stderr;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function kitKubeProxyOptions(spec: ClusterSpec, nodeName: string, ns: string): KubeProxyOptions {
  const node = findNode(spec, nodeName);
  const k = node.kubeProxy ?? {};
  if (k.staleEndpoints !== undefined || k.missingNodePort !== undefined || k.noMasqueradeRule !== undefined || k.ctInvalidDrop !== undefined) {
    throw new Error(`node ${nodeName}: its kube-proxy knobs model a broken kube-proxy, which a real one cannot be configured into`);
  }
  const mode = k.mode ?? spec.kubeProxy.mode ?? 'iptables';
  if (mode === 'ipvs') throw new Error('IPVS mode needs ip_vs, which these kernels lack');
  const nodePortAddresses = 'nodePortAddresses' in k ? k.nodePortAddresses ?? null : spec.kubeProxy.nodePortAddresses;
  const masquerade = { masqueradeBit: k.masqueradeBit ?? spec.kubeProxy.masqueradeBit, masqueradeAll: spec.kubeProxy.masqueradeAll };
  return {
    // The name it looks itself up by (a wrong one finds no Node: no local endpoints, no node IP).
    node: k.hostnameOverride ?? nodeName,
    ns,
    mode: mode satisfies ProxyMode,
    clusterCIDR: spec.clusterCIDR,
    ...(nodePortAddresses !== null ? { nodePortAddresses } : {}),
    extra: {
      ...(mode === 'iptables'
        ? { iptables: { ...masquerade, localhostNodePorts: k.localhostNodePorts ?? spec.kubeProxy.localhostNodePorts } }
        : { nftables: masquerade }),
      // The lab's "leave the global knobs alone" zeros, plus the spec's tcpBeLiberal (a per-netns sysctl).
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s', tcpBeLiberal: node.sysctls?.tcpBeLiberal ?? spec.kubeProxy.tcpBeLiberal },
    },
  };
}
