#!/usr/bin/env bash
# Builds what testnet/scripts/k8s-up.sh runs, from the Go module proxy (no registry, no GitHub
# downloads): Kubernetes, etcd, CoreDNS and the pause image. Called by k8s-up.sh; runnable alone.
#
#   testnet/scripts/k8s-build.sh        # prints nothing new when everything is already built
#
# Everything lives in $MIXNET_K8S_CACHE (default /var/cache/mixnet-k8s), outside the clone, so a
# second run on the same machine is warm: gomod/ and gocache/ (Go's caches), src/ (the wrapper
# modules), bin/<name>-<version>/ (the binaries, written last, so a present folder is a complete
# build) and images/pause-<version>.tar.
#
# Why wrapper modules: the k8s.io/kubernetes (and etcd server) module zips have no staging/ (../api)
# folders, so their replace directives cannot resolve and `go install …@version` is refused. A small
# module of our own requires the module and replaces each of those modules with its published version.
#
# Environment (all optional, defaults in k8s-common.sh): MIXNET_K8S_CACHE, MIXNET_K8S_VERSION
# (v1.34.2), MIXNET_ETCD_VERSION (v3.6.17), MIXNET_COREDNS_VERSION (v1.14.7).
set -euo pipefail

# shellcheck source=testnet/scripts/k8s-common.sh
. "$(dirname "$0")/k8s-common.sh"
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

say() { echo "k8s-build: $*"; }
die() {
  echo "k8s-build: error: $*" >&2
  exit 1
}
t0=$SECONDS

# The Go caches stay in the cache folder; never fetch another toolchain; the wrapper modules resolve
# their own dependencies (their go.sum is written by go mod tidy).
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
mkdir -p "$GOMODCACHE" "$GOCACHE" "$CACHE/src" "$CACHE/bin" "$CACHE/images"

# Path of a module's go.mod in the module cache (downloads it when missing).
modfile() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'; }

# "module => ./relative/path" replace lines of a go.mod, as "module" lines.
local_replaces() {
  awk '
    /^replace[ \t]*\(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    { line = $0; sub(/^[ \t]+/, "", line); sub(/^replace[ \t]+/, "", line) }
    (block || $1 == "replace") && line ~ /=>[ \t]*\.\.?\// && line !~ /FORBIDDEN/ { split(line, f, /[ \t]+/); print f[1] }
  ' "$1"
}

# For the tests: `k8s-build.sh --replaces GOMOD` prints what the wrapper would replace, builds nothing.
if [[ ${1:-} == --replaces ]]; then
  [[ -f ${2:-} ]] || die "usage: k8s-build.sh [--replaces GOMOD]"
  local_replaces "$2"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "no go on PATH (Go 1.24 or later is needed to build Kubernetes)"

# A wrapper module in src/$1: requires $2@$3, replaces each of its local modules with $4 (their
# published version), imports the commands $5... in tools.go; go mod tidy resolves the rest.
write_wrapper() {
  local dir=$CACHE/src/$1 mod=$2 version=$3 sub=$4 gomod m
  shift 4
  gomod=$(modfile "$mod@$version") || die "go mod download $mod@$version failed"
  [[ -f $gomod ]] || die "no go.mod for $mod@$version in the module cache"
  mkdir -p "$dir"
  {
    echo "module mixnet.local/build/$(basename "$dir")"
    echo
    echo "go $(awk '$1 == "go" { print $2; exit }' "$gomod")"
    echo
    echo "require $mod $version"
    echo
    local_replaces "$gomod" | while read -r m; do
      [[ $m == "$mod" ]] && continue
      echo "replace $m => $m $sub"
    done
  } >"$dir/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for m in "$@"; do echo "	_ \"$m\""; done
    echo ")"
  } >"$dir/tools.go"
}

build_kubernetes() {
  local out=$CACHE/bin/kubernetes-$K8S_VERSION
  [[ -x $out/kubelet ]] && return 0
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  say "building Kubernetes $K8S_VERSION (${K8S_CMDS[*]}); cold this takes ~8 min on 2 cores"
  write_wrapper kubernetes k8s.io/kubernetes "$K8S_VERSION" "v0.${K8S_VERSION#v1.}" \
    "${K8S_CMDS[@]/#/k8s.io/kubernetes/cmd/}"
  (cd "$CACHE/src/kubernetes" && go mod tidy) || die "go mod tidy for Kubernetes failed"
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$CACHE/src/kubernetes" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" \
    "${K8S_CMDS[@]/#/k8s.io/kubernetes/cmd/}") || die "building Kubernetes failed"
  mv "$out.tmp" "$out"
  say "built Kubernetes $K8S_VERSION ($((SECONDS - t0))s so far)"
}

build_etcd() {
  local out=$CACHE/bin/etcd-$ETCD_VERSION
  [[ -x $out/etcd ]] && return 0
  say "building etcd $ETCD_VERSION"
  write_wrapper etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION" go.etcd.io/etcd/server/v3
  (cd "$CACHE/src/etcd" && go mod tidy) || die "go mod tidy for etcd failed"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$CACHE/src/etcd" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3) ||
    die "building etcd failed"
  mv "$out.tmp" "$out"
  say "built etcd $ETCD_VERSION ($((SECONDS - t0))s so far)"
}

build_coredns() {
  local out=$CACHE/bin/coredns-$COREDNS_VERSION
  [[ -x $out/coredns ]] && return 0
  say "building CoreDNS $COREDNS_VERSION"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  GOBIN=$out.tmp GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w" \
    "github.com/coredns/coredns@$COREDNS_VERSION" || die "building CoreDNS failed"
  mv "$out.tmp" "$out"
  say "built CoreDNS $COREDNS_VERSION ($((SECONDS - t0))s so far)"
}

# crictl: k8s-down.sh removes pod sandboxes the CRI way with it (and it helps debugging).
build_crictl() {
  local out=$CACHE/bin/crictl-$CRICTL_VERSION
  [[ -x $out/crictl ]] && return 0
  say "building crictl $CRICTL_VERSION"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  GOBIN=$out.tmp GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" ||
    die "building crictl failed"
  mv "$out.tmp" "$out"
  say "built crictl $CRICTL_VERSION ($((SECONDS - t0))s so far)"
}

# A single-layer image as a docker-archive tarball (FROM scratch) that `ctr images import` reads: no
# registry and no docker needed. $1 output, $2 tag, $3 config JSON (Entrypoint, User...), $4 the folder
# that becomes the image's root.
image_tar() {
  local out=$1 tag=$2 config=$3 root=$4 work layer_sha config_sha
  work=$(mktemp -d "${TMPDIR:-/tmp}/mixnet-image.XXXXXX")
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" -cf "$work/layer.tar" .
  layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/img/$layer_sha"
  mv "$work/layer.tar" "$work/img/$layer_sha/layer.tar"
  printf '{"architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$(go env GOARCH)" "$config" "$layer_sha" >"$work/config.json"
  config_sha=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/img/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_sha" "$tag" "$layer_sha" >"$work/img/manifest.json"
  tar --numeric-owner --owner=0 --group=0 -C "$work/img" -cf "$out.tmp" . && mv "$out.tmp" "$out"
  rm -rf "$work"
}

# The pause image, from the kubernetes module's build/pause/linux/pause.c (gcc -static).
build_pause() {
  local out=$CACHE/images/pause-$K8S_VERSION.tar src root
  [[ -f $out ]] && return 0
  command -v gcc >/dev/null 2>&1 || die "no gcc on PATH to build the pause binary"
  src=$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c
  [[ -f $src ]] || go mod download "k8s.io/kubernetes@$K8S_VERSION" || die "cannot download k8s.io/kubernetes"
  root=$(mktemp -d "${TMPDIR:-/tmp}/mixnet-pause.XXXXXX")
  gcc -Os -Wall -static -DVERSION="${PAUSE_TAG##*:}" -o "$root/pause" "$src" ||
    die "gcc -static pause.c failed (is libc6-dev installed?)"
  strip "$root/pause" 2>/dev/null || true
  image_tar "$out" "$PAUSE_TAG" '{"Entrypoint":["/pause"],"User":"65535:65535"}' "$root"
  rm -rf "$root"
  say "built the pause image $PAUSE_TAG"
}

# CoreDNS as an image (its binary is static: CGO_ENABLED=0).
build_coredns_image() {
  local out=$CACHE/images/coredns-$COREDNS_VERSION.tar root
  [[ -f $out ]] && return 0
  root=$(mktemp -d "${TMPDIR:-/tmp}/mixnet-coredns.XXXXXX")
  install -m 755 "$CACHE/bin/coredns-$COREDNS_VERSION/coredns" "$root/coredns"
  image_tar "$out" "mixnet.local/coredns:$COREDNS_VERSION" '{"Entrypoint":["/coredns"]}' "$root"
  rm -rf "$root"
  say "built the CoreDNS image mixnet.local/coredns:$COREDNS_VERSION"
}

# A busybox image (Debian's busybox-static) for k8s-up.sh's own checks: DNS, cross-node traffic.
build_busybox_image() {
  local out=$CACHE/images/busybox.tar root bb
  bb=$(command -v busybox || true)
  # ldd fails on a static binary: a dynamic one would not run in a FROM scratch image.
  if [[ -z $bb ]] || ldd "$bb" >/dev/null 2>&1; then
    die "no static busybox on PATH (apt-get install busybox-static)"
  fi
  [[ -f $out && $out -nt $bb ]] && return 0
  root=$(mktemp -d "${TMPDIR:-/tmp}/mixnet-busybox.XXXXXX")
  mkdir -p "$root/bin" "$root/tmp" "$root/www"
  install -m 755 "$bb" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  image_tar "$out" "mixnet.local/busybox:latest" '{"Entrypoint":["/bin/busybox"]}' "$root"
  rm -rf "$root"
  say "built the busybox image mixnet.local/busybox:latest"
}

build_kubernetes
build_etcd
build_coredns
build_crictl
build_pause
build_coredns_image
build_busybox_image
say "ready in $CACHE/bin ($((SECONDS - t0))s)"
