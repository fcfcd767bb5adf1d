/**
 * The scenario kit's kube-proxy rules against the real kube-proxy, for every pinned version: one
 * control plane per version holds the comparison cluster (test/support/k8s-lab/kit-comparison.ts:
 * both traffic policies with and without a local endpoint, named and UDP ports, no endpoints,
 * terminating endpoints from deleted Pods and from hand-written slices, ClientIP affinity, a
 * LoadBalancer with source ranges, externalIPs, internalTrafficPolicy Local, a hostNetwork
 * endpoint), the real EndpointSlice controller must publish the endpoints the kit computes, and
 * a real kube-proxy per run (node, mode, nodePortAddresses and masquerade settings) programs its
 * namespace. What it programmed must equal what the kit writes for that node, normalized only as
 * kit-rules.ts says; where they differ the real one is right and the kit is to be fixed. The
 * kit's kube-proxy ConfigMap must also load in that kube-proxy without an unknown field.
 * Root and `npm run lab:build` needed; otherwise a loud skip (a failure under
 * NP_DOCTOR_REQUIRE_KERNEL=1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { missingBinaries, pinnedVersions } from '../support/k8s-lab/binaries.js';
import { comparisonCluster, comparisonRuns } from '../support/k8s-lab/kit-comparison.js';
import { loadKitConfig } from '../support/k8s-lab/kit-kube-proxy.js';
import { startKitLab, type KitLab } from '../support/k8s-lab/kit-lab.js';
import {
  kitIptablesSave, kitNftTable, kitNftTableFromKernel, normalizeIptablesSave, normalizeNft, realIptablesSave, realNftTable, setupHandles,
} from '../support/k8s-lab/kit-rules.js';

const RUNS = comparisonRuns();

for (const version of pinnedVersions()) {
  const runs = labGate(`kit vs real kube-proxy ${version}`, missingPrerequisites() ?? missingBinaries(version), 'root and npm run lab:build');
  describe(`the scenario kit against the real kube-proxy ${version}`, { skip: !runs }, () => {
    let lab: KitLab | undefined;
    let started = 0;
    before(async () => {
      started = Date.now();
      lab = await startKitLab(version, RUNS);
      console.log(`# kit vs real ${version}: control plane, objects and ${RUNS.length} kube-proxies up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    after(async () => {
      await lab?.stop();
      console.log(`# kit vs real ${version}: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    });

    test('the kit\'s kube-system/kube-proxy config.conf decodes strictly (iptables and nftables mode)', async () => {
      for (const mode of ['iptables', 'nftables'] as const) {
        const spec = comparisonCluster(version);
        spec.kubeProxy.mode = mode;
        const log = await loadKitConfig(version, spec);
        assert.doesNotMatch(log, /strict decoding/, `${mode}: ${log}`);
        assert.match(log, /Wrote configuration/);
      }
    });

    for (const [i, run] of RUNS.entries()) {
      test(run.name, async () => {
        assert.ok(lab !== undefined, 'the lab did not start');
        const r = lab.runs[i]!;
        await lab.synced(r);
        if (run.mode === 'iptables') {
          const real = normalizeIptablesSave(await realIptablesSave(r.ns));
          assert.deepEqual(real, normalizeIptablesSave(kitIptablesSave(r.spec, run.node)), `${version} ${run.name}: iptables-save differs from the kit's`);
          // kube-proxy in iptables mode leaves nftables alone, as the kit says.
          assert.deepEqual(await realNftTable(r.ns), [], 'no table ip kube-proxy in iptables mode');
          console.log(`# ${version} ${run.name}: ${real.length} lines of iptables-save equal`);
        } else {
          const realItems = await realNftTable(r.ns);
          const kitItems = kitNftTable(r.spec, run.node);
          const real = normalizeNft(realItems);
          assert.deepEqual(real, normalizeNft(kitItems), `${version} ${run.name}: table ip kube-proxy differs from the kit's`);
          assert.deepEqual(setupHandles(realItems), setupHandles(kitItems), 'the first sync numbers the fixed chains, sets and rules as the kit does');
          assert.deepEqual(kitItems, await kitNftTableFromKernel(r.spec, run.node), 'nft lists the kit\'s transaction as the kit prints it');
          // And writes no iptables rule at all, as the kit says.
          assert.deepEqual(normalizeIptablesSave(await realIptablesSave(r.ns)), [], 'no iptables rules in nftables mode');
          console.log(`# ${version} ${run.name}: ${real.length} objects, rules and elements of table ip kube-proxy equal`);
        }
      });
    }
  });
}
