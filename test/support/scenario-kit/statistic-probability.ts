/**
 * The `-m statistic --probability` numbers of kube-proxy's iptables rules: what kube-proxy writes
 * for 1/n and what iptables-save prints back after libxt_statistic stored it.
 */

/** Exact decimal rounding of a double, ties to even, as Go's %f and glibc's printf do (toFixed rounds ties up). */
export function toFixedHalfEven(x: number, digits: number): string {
  let mantissa = x;
  let exponent = 0;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2; // exact: x == mantissa / 2^exponent
    exponent++;
  }
  const numerator = BigInt(mantissa) * 10n ** BigInt(digits);
  const denominator = 1n << BigInt(exponent);
  let quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) quotient++;
  const padded = quotient.toString().padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** kube-proxy's computeProbability: Go's "%0.10f" of 1/n. */
export const kubeProxyProbability = (n: number): string => toFixedHalfEven(1 / n, 10);

/**
 * How iptables-save prints a written `--probability`: libxt_statistic stores lround(p · 2³¹) and
 * prints that fraction with "%.11f" (kube-proxy's 0.3333333333 comes back as 0.33333333349).
 */
export function savedProbability(written: string): string {
  const stored = Math.round(Number(written) * 0x80000000);
  return toFixedHalfEven(stored / 0x80000000, 11);
}
