/**
 * kube-proxy's effective settings as far as the API shows them: the KubeProxyConfiguration in the
 * kube-proxy ConfigMap (kubeadm's layout: key `config.conf`), or, when the DaemonSet runs
 * kube-proxy without `--config`, its command-line flags. With `--config`, kube-proxy has long
 * used the file and ignored most other flags (KEP-2157 discusses changing that), so the file wins.
 */
import type { KubeObject, KubeProxyConfig } from '../../snapshot/schema.js';

export const KUBE_PROXY_CONFIG_KEY = 'config.conf';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

type YamlLoader = (text: string) => unknown;

export function kubeProxyConfig(configMap: KubeObject | null, daemonSet: KubeObject | null, loadYaml: YamlLoader): KubeProxyConfig | null {
  const args = kubeProxyArgs(daemonSet);
  const text = (configMap?.data as Record<string, string> | undefined)?.[KUBE_PROXY_CONFIG_KEY];
  if (text !== undefined && (args.length === 0 || args.some((a) => a === '--config' || a.startsWith('--config=')))) {
    const doc = (loadYaml(text) ?? {}) as Record<string, unknown>;
    const iptables = (typeof doc.iptables === 'object' && doc.iptables !== null ? doc.iptables : {}) as Record<string, unknown>;
    // The file is whatever someone wrote: keep only values of the right type (a wrong one is unknown).
    return {
      mode: str(doc.mode) ?? '',
      clusterCIDR: str(doc.clusterCIDR) || null,
      nodePortAddresses: Array.isArray(doc.nodePortAddresses) ? doc.nodePortAddresses.filter((a): a is string => typeof a === 'string') : null,
      masqueradeBit: Number.isInteger(iptables.masqueradeBit) ? (iptables.masqueradeBit as number) : null,
      localhostNodePorts: typeof iptables.localhostNodePorts === 'boolean' ? iptables.localhostNodePorts : null,
      source: `ConfigMap kube-system/${configMap?.metadata.name ?? 'kube-proxy'} ${KUBE_PROXY_CONFIG_KEY}`,
    };
  }
  if (args.length === 0) return null;
  const flag = (name: string): string | undefined => {
    for (const [i, a] of args.entries()) {
      if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
      if (a === `--${name}`) return args[i + 1];
    }
    return undefined;
  };
  const bit = flag('iptables-masquerade-bit');
  const localhost = flag('iptables-localhost-nodeports');
  const addrs = flag('nodeport-addresses');
  return {
    mode: flag('proxy-mode') ?? '',
    clusterCIDR: flag('cluster-cidr') ?? null,
    nodePortAddresses: addrs === undefined ? null : addrs.split(',').filter((a) => a !== ''),
    masqueradeBit: bit === undefined || !/^\d+$/.test(bit) ? null : Number(bit),
    localhostNodePorts: localhost === undefined ? null : localhost === 'true',
    source: `DaemonSet kube-system/${daemonSet?.metadata.name ?? 'kube-proxy'} command line`,
  };
}

function kubeProxyArgs(daemonSet: KubeObject | null): string[] {
  const spec = daemonSet?.spec as { template?: { spec?: { containers?: { name?: string; command?: string[]; args?: string[] }[] } } } | undefined;
  const containers = spec?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'kube-proxy') ?? containers[0];
  return [...(c?.command ?? []), ...(c?.args ?? [])];
}

/** `--service-node-port-range` from kube-apiserver static pods' command lines. */
export function serviceNodePortRange(apiServerPods: KubeObject[]): string | null {
  for (const pod of apiServerPods) {
    const containers = (pod.spec as { containers?: { command?: string[]; args?: string[] }[] } | undefined)?.containers ?? [];
    for (const c of containers) {
      for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
        if (a.startsWith('--service-node-port-range=')) return a.slice('--service-node-port-range='.length);
      }
    }
  }
  return null;
}
