/**
 * Fault injection: tests make the fake refuse or stall chosen requests. A rule's `path` is tested
 * against the request target (path and query string, e.g. `/api/v1/nodes?limit=500`); `method`
 * narrows it; `times` limits how many requests it hits (default: all). Rules apply after
 * authentication, in the order they were added, to plain requests and exec upgrades alike.
 * Refusals carry the Status the real apiserver sends for that code, computed from the request:
 * a 403 names the user, verb, resource, group and namespace as the RBAC authorizer would.
 * `endlessContinue` is a hostile or broken server: every list page it hits carries a continue
 * token, so a client that follows tokens without a bound never finishes.
 */
import type { RequestInfo } from './request-info.js';
import { expired, forbiddenPath, internalError, notFound, rbacForbidden, unknownResource, type Status } from './status.js';

export interface FailRule {
  method?: string;
  path: RegExp;
  status: 403 | 404 | 410 | 500;
  times?: number;
  /** For 500 only: the underlying error (default: an etcd timeout). */
  message?: string;
}

export interface DelayRule {
  method?: string;
  path: RegExp;
  ms: number;
  times?: number;
}

export interface ContinueRule {
  path: RegExp;
  times?: number;
}

/** Returned by fail()/delay(): how many requests the rule hit, and a way to withdraw it. */
export interface FaultHandle {
  readonly hits: number;
  remove(): void;
}

interface Armed<R> {
  rule: R;
  left: number;
  hits: number;
}

function take<R extends { method?: string; path: RegExp }>(rules: Armed<R>[], method: string, target: string): R | undefined {
  const a = rules.find((r) => r.left > 0 && (r.rule.method === undefined || r.rule.method.toUpperCase() === method) && r.rule.path.test(target));
  if (a === undefined) return undefined;
  a.left--;
  a.hits++;
  return a.rule;
}

function handle<R>(list: Armed<R>[], a: Armed<R>): FaultHandle {
  return {
    get hits() {
      return a.hits;
    },
    remove() {
      const i = list.indexOf(a);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

export class Faults {
  private readonly failures: Armed<FailRule>[] = [];
  private readonly delays: Armed<DelayRule>[] = [];
  private readonly endless: Armed<ContinueRule & { method: string }>[] = [];

  constructor(private readonly user: string) {}

  fail(rule: FailRule): FaultHandle {
    const a = { rule, left: rule.times ?? Infinity, hits: 0 };
    this.failures.push(a);
    return handle(this.failures, a);
  }

  delay(rule: DelayRule): FaultHandle {
    const a = { rule, left: rule.times ?? Infinity, hits: 0 };
    this.delays.push(a);
    return handle(this.delays, a);
  }

  endlessContinue(rule: ContinueRule): FaultHandle {
    const a = { rule: { ...rule, method: 'GET' }, left: rule.times ?? Infinity, hits: 0 };
    this.endless.push(a);
    return handle(this.endless, a);
  }

  clear(): void {
    this.failures.length = 0;
    this.delays.length = 0;
    this.endless.length = 0;
  }

  /** True when this list request should get a continue token whatever is left. */
  continueFor(method: string, target: string): boolean {
    return take(this.endless, method, target) !== undefined;
  }

  delayFor(method: string, target: string): number {
    return take(this.delays, method, target)?.ms ?? 0;
  }

  failureFor(method: string, target: string, info: RequestInfo | null): Status | undefined {
    const rule = take(this.failures, method, target);
    if (rule === undefined) return undefined;
    switch (rule.status) {
      case 403:
        return info === null ? forbiddenPath(this.user, method.toLowerCase(), target.split('?')[0] ?? target) : rbacForbidden(info, this.user);
      case 404:
        return info !== null && info.name !== '' ? notFound(info.group, info.resource, info.name) : unknownResource();
      case 410:
        return expired();
      case 500:
        return internalError(rule.message ?? 'etcdserver: request timed out');
    }
  }
}
