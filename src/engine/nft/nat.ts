/**
 * dnat, snat, masquerade and redirect. A NAT statement binds the connection (conntrack records the
 * translation) and ends the base chain: nft_nat_eval returns NF_ACCEPT. In an inet table, a NAT of
 * the other address family does nothing and the rule goes on (nft_nat_inet_eval).
 */
import { hostPort, type Addr } from '../address.js';
import { undecided, type Branch } from '../packet/branch.js';
import { setDestination, setSource } from '../packet/nat.js';
import { natSource, redirectTarget } from '../packet/routing.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { lazyText, printStmt, type Text } from './print.js';
import { OneOf, type Comp, type CompileCtx } from './read.js';
import { Unsupported } from './sets.js';
import { unknownOp, unknownStep, type Op, type RunCtx, type Step } from './steps.js';
import { compileValue, type Val, type ValueFn } from './value.js';

type Obj = Record<string, unknown>;

const famOf = (f: unknown): 4 | 6 | null => (f === 'ip' ? 4 : f === 'ip6' ? 6 : null);
const asAddr = (c: Comp | undefined): Addr | null => (typeof c === 'object' && c !== null && !(c instanceof OneOf) ? c : null);
const asPort = (c: Comp | undefined): number | null => (typeof c === 'number' ? c : null);

export function natOp(kind: 'dnat' | 'snat' | 'masquerade' | 'redirect', s: Obj, cc: CompileCtx): Op {
  const text = lazyText(() => printStmt({ [kind]: s }, cc.table.family));
  const family = famOf(s.family);
  let addr: ValueFn | null = null;
  let port: ValueFn | null = null;
  try {
    if (s.addr !== undefined) addr = compileValue(s.addr, cc, text);
    if (s.port !== undefined) port = compileValue(s.port, cc, text);
    if (Array.isArray(s.type_flags) && s.type_flags.includes('prefix')) throw new Unsupported('prefix NAT (NETMAP) is not modelled by np-doctor');
  } catch (e) {
    if (e instanceof Unsupported) return unknownOp(text(), `${text()}: ${e.message}`);
    throw e;
  }
  return (b0, env, rc) => {
    // nft_nat_inet_eval: a NAT of the other address family does nothing and the rule goes on.
    if (family !== null && family !== b0.dst.family) return [{ b: b0, go: 'next' }];
    const steps: Step[] = [];
    try {
      for (const a of addr ? addr(b0, env, rc) : [{ b: b0, v: { p: 1, comps: [], range: false } as Val }]) {
        // A map without the key breaks out of the rule: no translation.
        if (!a.v) {
          steps.push({ b: a.b, go: 'break' });
          continue;
        }
        for (const pt of port ? port(a.b, env, rc) : [{ b: a.b, v: null }]) {
          if (port && !pt.v) {
            steps.push({ b: pt.b, go: 'break' });
            continue;
          }
          steps.push(...bind(kind, pt.b, a.v, pt.v, env, rc, text));
        }
      }
    } catch (e) {
      if (e instanceof Unsupported) return unknownStep(b0, text(), `${text()}: ${e.message}`, rc);
      throw e;
    }
    return steps;
  };
}

/** Binds the NAT and ends the chain with accept. */
function bind(kind: 'dnat' | 'snat' | 'masquerade' | 'redirect', b: Branch, av: Val, pv: Val | null, env: WalkEnv, rc: RunCtx, text: Text): Step[] {
  const ip = asAddr(av.comps[0]);
  const port = asPort(av.comps[1]) ?? asPort(pv?.comps[0]);
  const range = av.range || !!pv?.range;
  const element = av.element ?? pv?.element;
  const done = (action: string): Step[] => [{ b, go: 'end', end: { end: 'accept', action, ...(element ? { element } : {}) } }];
  if (range) undecided(b, `${rc.where} ${kind === 'snat' || kind === 'masquerade' ? 'SNATs' : 'DNATs'} to a range; the kernel picks one member, shown here is the first`);
  switch (kind) {
    case 'dnat': {
      if (av.comps.length && !ip) return unknownStep(b, text(), `${text()}: the address is not one np-doctor can read`, rc);
      const to = ip?.text ?? b.dst.text;
      const p = port ?? b.dport ?? null;
      setDestination(b, to, p);
      return done(`DNAT ${hostPort(to, p)}`);
    }
    case 'snat': {
      const to = ip?.text ?? b.src.text;
      setSource(b, 'SNAT', to, port);
      return done(`SNAT ${hostPort(to, port)}`);
    }
    case 'masquerade':
      setSource(b, 'MASQUERADE', natSource(b, env), port);
      return done('MASQUERADE');
    case 'redirect': {
      const to = redirectTarget(b, env);
      const p = port ?? b.dport ?? null;
      if (to === null) undecided(b, `${rc.where} REDIRECTs to the input interface's address, which is not known`);
      else setDestination(b, to, p);
      return done(`REDIRECT ${hostPort(to ?? '?', p)}`);
    }
  }
}
