/**
 * Runs the lab client (lab/scripts.ts CLIENT_JS) in a namespace and returns one observation per
 * try. Each try uses its own source port from a per-process range, so the harness can find that
 * try's first packet in the trace and its entry in conntrack.
 */
import { run } from './exec.js';
import { CLIENT_JS } from './scripts.js';
import type { KernelResult, Proto } from './scenario.js';

export interface TryResult {
  sport: number;
  result: KernelResult | 'error';
  pod?: string;
  /** ip:port the pod saw as its peer. */
  peer?: string;
  errno?: string;
}

export interface ClientRequest {
  ns: string;
  proto: Proto;
  ip: string;
  port: number;
  srcIp?: string;
  minTries: number;
  maxTries: number;
  /** Pods that must all answer before the client may stop early. */
  want: string[];
  timeoutMs?: number;
  /** First source port (from reserveSports); try i uses sportBase + i. */
  sportBase: number;
}

// Source ports 20000–29999: outside the NodePort range (the TRACE rules match dport 30000:32767,
// so replies to the client are never traced) and below the kernel's ephemeral range (no clash
// with ports the kernel picks itself). Start at a pid-derived offset; each probe takes a block.
let nextBase = 20000 + ((process.pid * 97) % 8000);
export function reserveSports(n: number): number {
  if (nextBase + n > 29999) nextBase = 20000;
  const base = nextBase;
  nextBase += n;
  return base;
}

export const tokenOf = (i: number, sport: number): string => `try${i}-${sport}`;

export async function probe(req: ClientRequest): Promise<TryResult[]> {
  const timeoutMs = req.timeoutMs ?? 1000;
  const arg = JSON.stringify({ ...req, ns: undefined, timeoutMs });
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CLIENT_JS, arg], {
    ns: req.ns,
    timeoutMs: req.maxTries * (timeoutMs + 1000) + 5000,
  });
  return JSON.parse(stdout) as TryResult[];
}
