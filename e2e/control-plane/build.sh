#!/usr/bin/env bash
# Builds kubelocal (this directory's Go module) into $1 (default: ../target/kubelocal/kubelocal), unless the binary
# there was built from the same sources: the sources' SHA-256 is kept beside it. Go's own build cache makes a rebuild
# after a source change mostly a link. Without Go it says what to install and fails, unless
# OSBACKUP_KUBELOCAL_OPTIONAL=true (then the tests that need a real control plane fail with the same advice).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../target/kubelocal/kubelocal}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
stamp="$out.sources.sha256"
sources="$(cd "$here" && cat go.mod go.sum build.sh *.go | sha256sum | cut -d' ' -f1)"
if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$sources" ]]; then
  echo "kubelocal: up to date ($out)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "kubelocal: Go is not installed: install Go 1.26 or later (https://go.dev/doc/install; Debian: golang-1.26)" \
       "to build the Kubernetes control plane the tests and local mode run on" >&2
  [[ "${OSBACKUP_KUBELOCAL_OPTIONAL:-false}" == true ]] && exit 0
  exit 1
fi
echo "kubelocal: building the Kubernetes control plane from e2e/control-plane (first build: about 8 minutes on 2 cores, then seconds)"
start=$SECONDS
cd "$here"
echo "kubelocal: Go fetches Kubernetes 1.36.3 and etcd 3.6.8 from the module proxy unless its module cache has them"
# go build is silent for minutes: say every 30 s that it still works
( while sleep 30; do echo "kubelocal: still building ($((SECONDS - start)) s so far)"; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -tags=providerless -o "$out.tmp" .
kill $ticker 2>/dev/null || true
mv "$out.tmp" "$out"
echo "$sources" > "$stamp"
echo "kubelocal: built in $((SECONDS - start)) s: $out ($("$out" version))"
