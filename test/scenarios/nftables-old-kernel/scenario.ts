import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** nftables mode on a node with kernel 5.10: kube-proxy refuses nftables mode there, so node-1 has no table ip kube-proxy. */
const spec = baseCluster();
spec.kubeProxy.mode = 'nftables';
updateNode(spec, 'node-1', { kernelRelease: '5.10.0-28-amd64' });

export default {
  about: 'nftables mode, node-1 runs kernel 5.10: kube-proxy cannot use nftables there, no table ip kube-proxy, 30080 is not translated',
  spec,
  expect: { top: 'nft-kube-proxy-table-missing', findings: ['nft-kube-proxy-table-missing'] },
} satisfies Scenario;
