/**
 * IPVS state as `ipvsadm-save -n` prints it: virtual services and their real servers. kube-proxy
 * in IPVS mode makes one virtual service per node address and NodePort, with the Service's
 * endpoints as real servers (masquerading forwarding, weight 1).
 */
export interface IpvsState {
  source: string;
  services: IpvsService[];
}

export interface IpvsService {
  /**
   * Virtual service protocol (`-t`, `-u`, `--sctp-service`). null for a fwmark service (`-f`):
   * the kernel finds those by mark and family alone, whatever the protocol.
   */
  proto: 'tcp' | 'udp' | 'sctp' | null;
  /** Virtual address and port; fwmark services (`-f`) are kept with `fwmark` set and no address. */
  address: string | null;
  port: number | null;
  fwmark: number | null;
  /** Address family: from the address, or `-6` on a fwmark service. */
  family: 4 | 6;
  scheduler: string;
  /** `-b` scheduler flags as printed (`sh-fallback`, `sh-port`, `flag-1`, …); empty when none. */
  schedFlags: string[];
  /** ClientIP affinity (`-p [timeout]`): seconds, or null when not persistent. */
  persistent: number | null;
  /** Persistence granularity (`-M`) as a prefix length; 32 (128) when not printed. */
  persistenceMask: number;
  /** Persistence engine (`--pe sip`), or null. */
  pe: string | null;
  /** One-packet scheduling (`ops`, `-o`): every UDP datagram is scheduled on its own. */
  onePacket: boolean;
  /** 1-based line in the dump, and the line itself. */
  line: number;
  text: string;
  reals: IpvsReal[];
}

export interface IpvsReal {
  address: string;
  port: number;
  /** -m masquerading (NAT), -g gatewaying (direct routing), -i ipip tunnelling. */
  forward: 'masq' | 'route' | 'tunnel';
  weight: number;
  /** `-x` / `-y` connection thresholds (0 = none). ipvsadm 1.31 does not print them; kept if present. */
  upperThreshold: number;
  lowerThreshold: number;
  /** `--tun-type ipip|gue` (and `--tun-port`, checksum flags) of a tunnelling real server. */
  tunnel: { type: string; port: number | null; csum: string | null } | null;
  line: number;
  text: string;
}
