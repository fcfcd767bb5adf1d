#!/usr/bin/env bash
# Installs the Debian packages the tests drive: the kernel lab (network namespaces, real rules), the
# real OpenSSH server the SSH tests log in to, real sudo for their non-root users, capsh for the
# debug pod's capability set, openssl for the fake API server's certificates, and nfacct for the
# counters kube-proxy's nfacct matches name (the scenario kit's kernel round trip creates them).
# Runs before `npm test`; as root it installs what is missing, otherwise it only reports.
set -euo pipefail
declare -A pkg_of=(
  [iptables]=iptables [iptables-legacy]=iptables [ip6tables]=iptables [xtables-monitor]=iptables
  [conntrack]=conntrack [nft]=nftables [ip]=iproute2
  [sshd]=openssh-server [ssh-keygen]=openssh-client [openssl]=openssl [tmux]=tmux [ipset]=ipset
  [sysctl]=procps [ss]=iproute2 [sudo]=sudo [capsh]=libcap2-bin [nfacct]=nfacct
)
missing=()
for tool in "${!pkg_of[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1 || missing+=("${pkg_of[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${pkgs[*]}; the kernel and SSH tests will be skipped (run as root on Debian to install them)" >&2
  exit 0
fi
echo "test-deps: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
