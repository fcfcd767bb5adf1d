/** Address tests for checks, on the engine's own parser (canonical forms only, as the kernel prints them). */
import { cidrContains, isLoopback, parseAddr, parseCidr } from './engine.js';

/** Whether `ip` lies inside `cidr`; a bare address is a host (/32 or /128). */
export function inCidr(ip: string, cidr: string): boolean {
  const a = parseAddr(ip);
  const c = parseCidr(cidr);
  return a !== null && c !== null && cidrContains(c, a);
}

/** An IPv4 or IPv6 address in canonical form (as the kernel prints it). */
export function isIp(ip: string): boolean {
  return parseAddr(ip) !== null;
}

/** 127.0.0.0/8 and ::1. */
export function isLoopbackIp(ip: string): boolean {
  const a = parseAddr(ip);
  return a !== null && isLoopback(a);
}

/** The address family of `ip`, null when it is not an address. */
export function familyOf(ip: string): 4 | 6 | null {
  return parseAddr(ip)?.family ?? null;
}

/** One host as iptables-save prints it: `10.96.0.10/32`, `fd00::10/128`. */
export function hostCidr(ip: string): string {
  return `${ip}/${ip.includes(':') ? 128 : 32}`;
}
