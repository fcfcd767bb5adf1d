/**
 * What the kernel lab needs from the machine: root (namespaces, netfilter) and the real tools.
 * Missing prerequisites skip the suite loudly, or fail it when NP_DOCTOR_REQUIRE_KERNEL=1 (CI on a
 * machine that is supposed to run it must not pass by skipping).
 */
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fastTier } from '../../support/tier.js';

export const TOOLS = [
  'ip',
  'iptables',
  'iptables-restore',
  'iptables-save',
  'iptables-legacy',
  'iptables-legacy-restore',
  'iptables-legacy-save',
  'ip6tables',
  'ip6tables-restore',
  'ip6tables-save',
  'xtables-monitor',
  'nft',
  'conntrack',
  'sysctl',
  // The scenario kit's kernel round trip creates kube-proxy's nfacct counters (iptables mode, v1.30+).
  'nfacct',
] as const;

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(join(d, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the lab cannot run here, or null when it can. */
export function missingPrerequisites(): string | null {
  const reasons: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reasons.push('not running as root');
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) reasons.push(`missing tools: ${missing.join(', ')}`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

export const kernelRequired = (): boolean => process.env.NP_DOCTOR_REQUIRE_KERNEL === '1';

/**
 * The gate every suite that needs the lab (namespaces, real tools) passes first. With `problem`
 * null the suite runs (true). Otherwise it does not: under NP_DOCTOR_REQUIRE_KERNEL=1 a failing
 * test says why, else a loud banner and a skipped test do, so a skip is never silent.
 */
export function labGate(what: string, problem: string | null, needs: string): boolean {
  if (fastTier()) {
    test(what, { skip: 'the unit tier (npm run test:fast) builds no lab' }, () => {});
    return false;
  }
  if (problem === null) return true;
  if (kernelRequired()) {
    test(`${what}: prerequisites (NP_DOCTOR_REQUIRE_KERNEL=1)`, () => {
      assert.fail(`${what} are required here but cannot run: ${problem}`);
    });
  } else {
    const banner = '='.repeat(78);
    console.error(`\n${banner}\n${what.toUpperCase()} SKIPPED: ${problem}\nThey need ${needs}.\nSet NP_DOCTOR_REQUIRE_KERNEL=1 to make this a failure.\n${banner}\n`);
    test(what, { skip: `lab unavailable: ${problem}` }, () => {});
  }
  return false;
}
