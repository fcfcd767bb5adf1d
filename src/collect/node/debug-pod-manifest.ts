/**
 * The debug pod np-doctor creates on a node: hostNetwork and hostPID (the node's netfilter, routes
 * and sockets are per network namespace), the node's root filesystem at /host READ-ONLY (it only
 * reads), pinned by nodeName, and by default NOT privileged: root with only the capabilities the
 * fixed commands need, measured in test/collect/debug-pod-capabilities.test.ts:
 *
 *   NET_ADMIN   nfnetlink (iptables-nft-save, nft, ipset) and IPVS refuse even reads without it
 *   NET_RAW     iptables-legacy-save reads the tables through a raw socket's getsockopt
 *   SYS_CHROOT  `chroot /host` runs the node's own binaries
 *
 * Without SYS_PTRACE `ss -p` lists every socket but cannot name the process of a socket whose
 * owner holds capabilities the pod lacks; np-doctor reads only the addresses and ports, and
 * SYS_PTRACE with hostPID would allow attaching to any process on the node. `--debug-privileged`
 * restores a privileged pod for nodes where this is not enough (SELinux labels host files so an
 * unprivileged container cannot read them; the privileged pod runs as spc_t).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, ownerAnnotations, type PodOwner } from './debug-pod-owner.js';

/**
 * busybox 1.37 (chroot and sleep are all the pod needs), pinned to the multi-arch OCI image index
 * (amd64, arm v5/v6/v7, arm64, 386, ppc64le, riscv64, s390x) as docker-library/repo-info's
 * repos/busybox/remote/1.37.md lists it. Fully qualified: CRI-O refuses ambiguous short names.
 */
export const DEFAULT_DEBUG_IMAGE = 'docker.io/library/busybox:1.37@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0';

export const DEBUG_POD_CAPABILITIES = ['NET_ADMIN', 'NET_RAW', 'SYS_CHROOT'] as const;

/**
 * The commands run inside the pod's cgroup, so these limits bound them too: nft -j on a large
 * ruleset needs a few hundred MiB. A command the limit kills exits 137.
 */
export const DEBUG_POD_RESOURCES = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '1', memory: '1Gi' },
} as const;

export interface DebugPodSpec {
  namespace: string;
  image: string;
  /** The kubelet kills the pod after this long even if np-doctor never deletes it. */
  activeDeadlineSeconds: number;
  /** --debug-privileged: a privileged container instead of the capability list. */
  privileged: boolean;
  owner: PodOwner;
}

export function debugPodManifest(node: string, o: DebugPodSpec): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `np-doctor-${node.slice(0, 40)}-`.replace(/[^a-z0-9-]/g, '-'),
      namespace: o.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-node-reader' },
      annotations: { [ANNOTATION.node]: node, ...ownerAnnotations(o.owner) },
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Schedule on tainted nodes too (control planes, cordoned or NotReady nodes are the interesting ones).
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'reader',
          image: o.image,
          command: ['sleep', String(o.activeDeadlineSeconds)],
          securityContext: o.privileged
            ? { privileged: true, readOnlyRootFilesystem: true }
            : {
                privileged: false,
                // chroot and the netfilter reads need root's uid with the capabilities below.
                runAsUser: 0,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'], add: [...DEBUG_POD_CAPABILITIES] },
              },
          resources: { requests: { ...DEBUG_POD_RESOURCES.requests }, limits: { ...DEBUG_POD_RESOURCES.limits } },
          // IfPossible also makes the mounts under / (/proc, /sys, /run, …) read-only where the
          // runtime supports it (Kubernetes 1.30+, containerd 2 / CRI-O 1.30, kernel 5.12);
          // older API servers drop the field and only /host itself is read-only.
          volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true, recursiveReadOnly: 'IfPossible' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
    },
  };
}
