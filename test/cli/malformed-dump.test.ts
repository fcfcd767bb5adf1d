/**
 * A dump is checked whole when it is loaded, as iptables-restore checks it: a malformed rule in a
 * chain no packet reaches refuses the dump all the same, with the same message whatever is traced,
 * in `trace --iptables`, `trace --snapshot` and `diagnose`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMain } from '../support/run-main.js';

const tmp = mkdtempSync(join(tmpdir(), 'npd-malformed-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// A chain nothing jumps to, in a table of its own at the end of the dump: no walk enters it.
const UNUSED = '*security\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-UNUSED - [0:0]\n-A KUBE-UNUSED -m conntrack --ctstate BOGUS -j DROP\nCOMMIT\n';
const BAD_RULE = '-A KUBE-UNUSED -m conntrack --ctstate BOGUS -j DROP';

const PACKETS = [
  ['--local-ip', '192.168.49.2,10.244.0.1', '--to', '192.168.49.2:30080', '--in-iface', 'eth0'],
  ['--local-ip', '192.168.49.2,10.244.0.1', '--to', '10.96.0.10:53', '--proto', 'udp', '--local-process'],
];

describe('a malformed line far from the packet\'s path refuses the dump, whatever the packet', () => {
  test('trace --iptables: two packets, the same refusal naming the file and line; the dump without that line traces', async () => {
    const good = readFileSync('examples/two-node-cluster/node-a.rules', 'utf8');
    const goodFile = join(tmp, 'good.rules');
    const badFile = join(tmp, 'bad.rules');
    writeFileSync(goodFile, `${good}${UNUSED.replace(`${BAD_RULE}\n`, '')}`);
    writeFileSync(badFile, `${good}${UNUSED}`);
    const line = `${good}${UNUSED}`.split('\n').indexOf(BAD_RULE) + 1;

    const refusals = [];
    for (const packet of PACKETS) {
      const ok = await runMain(['trace', '--iptables', goodFile, ...packet, '-o', 'json']);
      assert.equal(ok.code, 0, ok.err);
      const bad = await runMain(['trace', '--iptables', badFile, ...packet, '-o', 'json']);
      assert.equal(bad.code, 2);
      assert.equal(bad.out, '');
      refusals.push(bad.err);
    }
    assert.equal(refusals[0], refusals[1]);
    assert.match(refusals[0] ?? '', new RegExp(`malformed dump: ${badFile.replace(/[/.]/g, '\\$&')}:${line}: --ctstate: unknown state BOGUS`));
  });

  test('a snapshot: trace refuses it the same way for two packets; diagnose says the node\'s rules cannot be replayed, and why', async () => {
    const snapshot = JSON.parse(readFileSync('examples/demo.json', 'utf8')) as { nodes: { name: string; commands: Record<string, { stdout: string }> }[] };
    const node = snapshot.nodes.find((n) => n.name === 'node-1');
    const dump = node?.commands['iptables-nft-save'];
    assert.ok(dump, 'the demo snapshot has node-1 iptables-nft-save');
    dump.stdout = `${dump.stdout}${UNUSED}`;
    const line = dump.stdout.split('\n').indexOf(BAD_RULE) + 1;
    const file = join(tmp, 'snapshot.json');
    writeFileSync(file, JSON.stringify(snapshot));

    const traces = await Promise.all([['192.168.1.101:30080'], ['192.168.1.101:31999', '--proto', 'udp']]
      .map(([to, ...rest]) => runMain(['trace', '--snapshot', file, '--node', 'node-1', '--to', to ?? '', ...rest])));
    for (const t of traces) assert.equal(t.code, 2);
    assert.equal(traces[0]?.err, traces[1]?.err);
    assert.match(traces[0]?.err ?? '', new RegExp(`malformed dump: node-1:iptables-nft-save:${line}: --ctstate: unknown state BOGUS`));

    const d = await runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--node', 'node-1', '--snapshot', file]);
    assert.equal(d.code, 3, d.err);
    // (The text wraps to 80 columns: its lines joined back.)
    assert.match(d.out.replace(/\n +/g, ' '), new RegExp(`cannot be decided: the node's rules cannot be replayed: node-1:iptables-nft-save line ${line}: --ctstate: unknown state BOGUS`));
    // The refused dump is not taken for a node without kube-proxy's rules.
    assert.doesNotMatch(d.out, /kube-proxy-missing|none of its rules/);
  });
});
