#!/usr/bin/env bash
# scripts/lab-pin.sh v1.N.P: writes test/k8s-lab/v1.N.P/ (go.mod, go.sum), the Go module that
# `npm run lab:build` builds that Kubernetes release from. Commit both files.
#
# k8s.io/kubernetes's go.mod names every staging module (k8s.io/api, k8s.io/client-go, …) as
# v0.0.0 and maps it to ./staging/src/…, which its module zip does not contain; `go install …@v1.N.P`
# is refused for that reason. A module of our own requires k8s.io/kubernetes and replaces each
# staging module with its published v0.N.P release. The list of staging modules changes between
# releases, so it is read from that release's own go.mod, never written by hand. The godebug line
# applies only in the main module, so it is copied too.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/lab-pin.sh v1.N.P}
[[ $version =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "lab-pin: $version is not a v1.N.P release" >&2; exit 2; }
staging="v0.${version#v1.}"
dir="test/k8s-lab/$version"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$dir"
cd "$dir"
rm -f go.mod go.sum
go mod init np-doctor.test/k8s-lab >/dev/null 2>&1
go mod download -json "k8s.io/kubernetes@$version" >/dev/null
upstream="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$version.mod"
go mod edit -require="k8s.io/kubernetes@$version"
sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$upstream" |
  while read -r module; do go mod edit -replace="$module=$module@$staging"; done
grep '^godebug' "$upstream" >>go.mod || true
# etcd at the version kubernetes itself was tested with (its go.mod lists the server module).
etcd=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' "$upstream")
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$version" "k8s.io/kubernetes/cmd/kube-controller-manager@$version" \
  "k8s.io/kubernetes/cmd/kube-proxy@$version" "k8s.io/kubernetes/cmd/kubectl@$version" "go.etcd.io/etcd/server/v3@${etcd:?no etcd server in $upstream}"
go mod tidy
echo "lab-pin: wrote $dir/go.mod and go.sum (etcd $etcd); npm run lab:build builds it" >&2
