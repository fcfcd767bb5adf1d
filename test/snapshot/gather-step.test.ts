/**
 * Gather errors carry their step as data; snapshots from before that have only the words, and
 * stepOf() reads the words back. An older snapshot must diagnose exactly as a newer one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import type { Report } from '../../src/report/model.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { describeApiRequest, stepOf, type ApiRequest, type GatherStep } from '../../src/snapshot/gather-step.js';
import type { GatherError, Snapshot } from '../../src/snapshot/schema.js';

/** The requests gathering makes (collect/kube/cluster.ts, cleanup), named as a question about shop/frontend needs them. */
const REQUESTS: ApiRequest[] = [
  { verb: 'get', resource: 'services', namespace: 'shop', name: 'frontend' },
  // A Service may be called "in": the words still read back.
  { verb: 'get', resource: 'services', namespace: 'shop', name: 'in' },
  { verb: 'list', resource: 'services', allNamespaces: true },
  { verb: 'list', resource: 'nodes' },
  { verb: 'list', resource: 'namespaces' },
  { verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace: 'shop' },
  { verb: 'list', resource: 'pods', namespace: 'shop' },
  { verb: 'list', resource: 'networkpolicies.networking.k8s.io', namespace: 'shop' },
  { verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'kube-proxy' },
  { verb: 'get', resource: 'daemonsets.apps', namespace: 'kube-system', name: 'kube-proxy' },
  { verb: 'list', resource: 'pods', namespace: 'kube-system' },
  { verb: 'get', resource: 'deployments.apps', namespace: 'kube-system', name: 'coredns' },
  { verb: 'get', resource: 'services', namespace: 'kube-system', name: 'kube-dns' },
  { verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace: 'kube-system' },
  { verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'coredns' },
  { verb: 'delete', resource: 'pods', namespace: 'shop', name: 'np-doctor-node-1-abcde' },
];

const refused = (r: ApiRequest): GatherError => ({ stage: 'cluster', step: { kind: 'api', ...r }, what: describeApiRequest(r), why: 'Forbidden (403)', code: 403 });
const withoutStep = ({ step: _step, ...e }: GatherError): GatherError => e;

describe('an older gather error (words only) has the step a newer one stores', () => {
  for (const r of REQUESTS) {
    test(describeApiRequest(r), () => {
      const e = refused(r);
      assert.deepEqual(stepOf(withoutStep(e)), e.step);
    });
  }

  test('the other steps', () => {
    const cases: [GatherError, GatherStep | null][] = [
      [{ stage: 'cluster', step: { kind: 'kube-proxy-config' }, what: 'read kube-proxy\'s config.conf', why: 'not valid YAML' }, { kind: 'kube-proxy-config' }],
      [{ stage: 'node', node: 'node-9', step: { kind: 'plan' }, what: 'find node node-9', why: 'no Node object has that name' }, { kind: 'plan' }],
      [{ stage: 'node', node: '10.0.0.9', step: { kind: 'plan' }, what: 'find the node with address 10.0.0.9', why: 'no Node lists that address' }, { kind: 'plan' }],
      [{ stage: 'node', step: { kind: 'plan' }, what: 'choose nodes to read', why: 'no endpoint runs on any node' }, { kind: 'plan' }],
      [{ stage: 'node', node: 'node-1', step: { kind: 'node' }, what: 'connect to 192.168.1.101:22', why: 'timed out' }, { kind: 'node' }],
      // Words np-doctor never wrote (a file edited by hand) name no step.
      [{ stage: 'cluster', what: 'ask nicely', why: '?' }, null],
    ];
    for (const [e, want] of cases) {
      assert.deepEqual(stepOf(withoutStep(e)), want, e.what);
    }
  });
});

test('a snapshot without steps diagnoses as one with them: same skips, same report', async () => {
  const demo = await loadSnapshot('examples/demo.json');
  const ask = { namespace: 'shop', service: 'frontend', allNodes: true };
  const errors = [
    ...REQUESTS.filter((r) => r.verb !== 'delete').map(refused),
    { stage: 'cluster', step: { kind: 'kube-proxy-config' }, what: 'read kube-proxy\'s config.conf', why: 'not valid YAML' } satisfies GatherError,
  ];
  const withErrors = (es: GatherError[]): Snapshot => ({ ...demo, errors: es });
  // Everything but the time each check took.
  const steady = (r: Report): Report => ({ ...r, checks: r.checks.map((c) => ({ ...c, durationMs: 0 })) });
  for (const e of errors) {
    const newer = await diagnose(withErrors([e]), ask, { checks: CHECKS });
    const older = await diagnose(withErrors([withoutStep(e)]), ask, { checks: CHECKS });
    assert.deepEqual(steady(older), steady(newer), e.what);
  }
  // The errors matter, so the comparison can fail: each requirement's own reads skip its checks.
  const skipped = async (e: GatherError) => (await diagnose(withErrors([withoutStep(e)]), ask, { checks: CHECKS })).checks.filter((c) => c.status === 'skipped').length;
  const clean = (await diagnose(demo, ask, { checks: CHECKS })).checks.filter((c) => c.status === 'skipped').length;
  for (const e of errors.filter((x) => !/services|namespaces|delete/.test(x.what))) assert.ok(await skipped(e) > clean, `${e.what} skips a check`);
});
