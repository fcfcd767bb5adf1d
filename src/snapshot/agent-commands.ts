/**
 * The fixed, read-only commands --exec-agent runs inside a kube-proxy replacement's agent pod
 * (namespace kube-system), keyed by id. As with node-commands.ts, nothing here is built from user or
 * cluster data; only the pod's name comes from the API. `cilium-dbg` ships in the agent image (it is
 * usually absent on the host), and `service list` only reads the agent's state through its API.
 */
export const AGENT_COMMANDS = {
  'cilium-service-list': {
    /** The agent pods' label (kube-system). */
    label: { key: 'k8s-app', value: 'cilium' },
    container: 'cilium-agent',
    argv: ['cilium-dbg', 'service', 'list', '-o', 'json'],
  },
} as const satisfies Record<string, { label: { key: string; value: string }; container: string; argv: readonly string[] }>;


/** Cilium's ConfigMap, and the one key of it a snapshot keeps. */
export const CILIUM_CONFIG = { namespace: 'kube-system', name: 'cilium-config', key: 'kube-proxy-replacement' } as const;

/** The kube-system pods of dataplanes that may replace kube-proxy, by their `k8s-app` label. */
export const AGENT_POD_SELECTOR = 'k8s-app in (cilium,kube-router)';
