/**
 * The pod namespace commands as the real iproute2 prints them, parsed: namespaces under a private
 * /run/netns (a tmpfs in a private mount namespace, so no other lab's namespaces show), real
 * listeners, the real `ip -all netns exec`, and the same without CAP_SYS_ADMIN (what the default
 * debug pod has). Root only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { PodNetns } from '../../src/model/pod-netns.js';
import { NODE_COMMANDS } from '../../src/snapshot/node-commands.js';
import type { CommandOutput } from '../../src/snapshot/schema.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';

// cni-a: the app on 127.0.0.1:8080/TCP and 9090/UDP; cni-b: 0.0.0.0:8080 (a veth pair joins a and
// b); cni-c and cni-leak both hold 10.250.0.9 (a leaked namespace); one name carries a newline.
// Listeners are node processes; the script waits until ss shows them, bounded, and kills them on exit.
const SCRIPT = String.raw`
set -eu
out=$1; node=$2
mkdir -p /run/netns
mount -t tmpfs npd-pod-netns /run/netns
pids=
trap 'kill $pids 2>/dev/null || true' EXIT
for ns in cni-a cni-b cni-c cni-leak; do ip netns add $ns; ip -n $ns link set lo up; done
ip netns add "$(printf 'evil\nnetns: cni-b')"
ip -n cni-a link add eth0 type veth peer name eth0 netns cni-b
ip -n cni-a addr add 10.250.0.2/24 dev eth0; ip -n cni-a link set eth0 up
ip -n cni-b addr add 10.250.0.3/24 dev eth0; ip -n cni-b link set eth0 up
for ns in cni-c cni-leak; do
  ip -n $ns link add eth0 type veth peer name eth1
  ip -n $ns addr add 10.250.0.9/24 dev eth0; ip -n $ns link set eth0 up
done
ip netns exec cni-a "$node" -e "require('net').createServer().listen(8080, '127.0.0.1'); require('dgram').createSocket('udp4').bind(9090)" & pids="$pids $!"
ip netns exec cni-b "$node" -e "require('net').createServer().listen(8080, '0.0.0.0')" & pids="$pids $!"
for ns in cni-a cni-b; do
  n=0
  until [ "$(ip netns exec $ns ss -H -l -n -t -u | wc -l)" -ge "$( [ $ns = cni-a ] && echo 2 || echo 1)" ]; do
    n=$((n + 1)); [ $n -lt 20000 ] || { echo "no listener in $ns" >&2; exit 1; }
  done
done
ip -all netns exec ip -j addr > "$out/addr.out" 2> "$out/addr.err" && echo $? > "$out/addr.rc"
ip -all netns exec ss -H -l -n -t -u -p > "$out/ss.out" 2> "$out/ss.err" && echo $? > "$out/ss.rc"
capsh --drop=cap_sys_admin -- -c 'ip -all netns exec ip -j addr' > "$out/addr-denied.out" 2> "$out/addr-denied.err" && echo $? > "$out/addr-denied.rc"
capsh --drop=cap_sys_admin -- -c 'ip -all netns exec ss -H -l -n -t -u -p' > "$out/ss-denied.out" 2> "$out/ss-denied.err"
`;

const tools = ['unshare', 'capsh', 'ss'];

if (labGate('pod namespace commands against iproute2', missingPrerequisites(), `root and ${tools.join(', ')}`)) {
  describe('the pod namespace commands, printed by the real ip and ss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npd-pod-netns-'));
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const output = (id: 'pod-netns-addresses' | 'pod-netns-sockets', f: string): CommandOutput =>
      ({ argv: [...NODE_COMMANDS[id].argv], stdout: read(`${f}.out`), stderr: read(`${f}.err`), exitCode: 0 });
    let table: PodNetns;

    before(async () => {
      await promisify(execFile)('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, 'sh', dir, process.execPath], { timeout: 60_000 });
      table = new PodNetns({ node: 'node-2', addresses: output('pod-netns-addresses', 'addr'), sockets: output('pod-netns-sockets', 'ss'), debugPod: true });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('finds each pod\'s namespace by its IP and reads its sockets (loopback, UDP)', () => {
      const a = table.find(['10.250.0.2']);
      assert.ok(a.state === 'read', JSON.stringify(a));
      assert.equal(a.netns, 'cni-a');
      assert.deepEqual(a.sockets.map((s) => `${s.protocol} ${s.address}:${s.port} ${s.reach}`).sort(), ['TCP 127.0.0.1:8080 loopback', 'UDP 0.0.0.0:9090 any-ipv4']);
      const b = table.find(['10.250.0.3']);
      assert.ok(b.state === 'read', JSON.stringify(b));
      assert.deepEqual(b.sockets.map((s) => `${s.protocol} ${s.address}:${s.port} ${s.process ?? ''}`), ['TCP 0.0.0.0:8080 node']);
    });

    test('a namespace named with a newline and a fake header does not take another\'s place', () => {
      assert.match(read('ss.out'), /\nnetns: evil\nnetns: cni-b\n/);
      const b = table.find(['10.250.0.3']);
      assert.ok(b.state === 'read' && b.netns === 'cni-b');
    });

    test('two namespaces holding one IP: unknown, both named', () => {
      const got = table.find(['10.250.0.9']);
      assert.match(got.state === 'unknown' ? got.why : '', /"cni-c", "cni-leak" on node-2 all hold 10\.250\.0\.9/);
    });

    test('without CAP_SYS_ADMIN ip still exits 0, and says on stderr which namespaces it could not enter', () => {
      assert.equal(read('addr-denied.rc').trim(), '0');
      assert.match(read('addr-denied.err'), /^setting the network namespace "cni-a" failed: Operation not permitted$/m);
      const denied = new PodNetns({
        node: 'node-2', addresses: output('pod-netns-addresses', 'addr-denied'), sockets: output('pod-netns-sockets', 'ss-denied'), debugPod: true,
      });
      assert.match(JSON.stringify(denied.find(['10.250.0.2'])), /could not enter \d+ of the \d+ network namespaces on node-2 \(Operation not permitted\).*--debug-privileged/);
    });
  });
}
