#!/usr/bin/env bash
# npm run lab:build: builds the real Kubernetes the lab tests run (etcd, kube-apiserver,
# kube-controller-manager, kube-proxy and kubectl) for every version pinned under test/k8s-lab/,
# into a cache outside the repo: $NP_DOCTOR_K8S_CACHE, default ~/.cache/np-doctor/k8s/VERSION/bin.
#
# Each test/k8s-lab/VERSION/ is a Go module whose go.mod requires k8s.io/kubernetes at VERSION,
# replaces every staging module (k8s.io/api, …) with its v0.MINOR.PATCH release (the kubernetes
# module maps them to ./staging, which its module zip does not hold), and lists the five programs
# as tools; scripts/lab-pin.sh writes a new one. go.sum pins every dependency.
#
# A version is rebuilt only when its binaries are missing or its go.sum changed (the VERSION file
# next to bin/ records both). Builds as hack/lib/golang.sh does: CGO off, tags selinux,notest,
# grpcnotrace, and the version stamped into every binary (--version and /version report it).
# Without Go it says so and exits 0: the real-cluster tests then skip, loudly (CI sets
# NP_DOCTOR_REQUIRE_KERNEL=1, which makes a missing Go an error here and a failure there).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${NP_DOCTOR_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/np-doctor/k8s}"
if ! command -v go >/dev/null 2>&1; then
  echo "lab-build: no Go toolchain on PATH: the real-cluster tests will be skipped (install Go 1.24 or later)" >&2
  [ "${NP_DOCTOR_REQUIRE_KERNEL:-}" = 1 ] && exit 1
  exit 0
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0

programs=(kube-apiserver kube-controller-manager kube-proxy kubectl)
for module in test/k8s-lab/v*/; do
  version=$(basename "$module")
  out="$cache/$version"
  stamp="$version $(sha256sum "$module/go.sum" | cut -c1-16)"
  have=1
  for p in "${programs[@]}" etcd; do [ -x "$out/bin/$p" ] || have=0; done
  if [ "$have" = 1 ] && [ "$(cat "$out/VERSION" 2>/dev/null)" = "$stamp" ]; then
    echo "lab-build: $version is built ($out/bin)" >&2
    continue
  fi
  minor=$(cut -d. -f2 <<<"$version")
  v=k8s.io/component-base/version
  c=k8s.io/client-go/pkg/version
  ldflags="-s -w -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  ldflags+=" -X $c.gitVersion=$version -X $c.gitMajor=1 -X $c.gitMinor=$minor -X $c.gitTreeState=clean"
  echo "lab-build: building Kubernetes $version into $out/bin (the first build takes about 6 minutes per version on 2 cores)" >&2
  start=$SECONDS
  rm -rf "$out/bin.new"
  mkdir -p "$out/bin.new"
  (
    cd "$module"
    go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out/bin.new/" \
      "${programs[@]/#/k8s.io/kubernetes/cmd/}"
    # etcd's main package is the module root of go.etcd.io/etcd/server/v3.
    go build -trimpath -ldflags "-s -w" -o "$out/bin.new/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$out/bin"
  mv "$out/bin.new" "$out/bin"
  echo "$stamp" >"$out/VERSION"
  echo "lab-build: $version built in $((SECONDS - start)) s" >&2
done
for module in test/k8s-lab/v*/; do
  version=$(basename "$module")
  echo "lab-build: kube-apiserver $("$cache/$version/bin/kube-apiserver" --version | cut -d' ' -f2), kube-proxy $("$cache/$version/bin/kube-proxy" --version | cut -d' ' -f2) in $cache/$version/bin" >&2
done
