#!/usr/bin/env bash
# Loads a Docker image into every node of the cluster k8s-up.sh started, without a registry:
#
#   testnet/scripts/k8s-load-image.sh IMAGE [IMAGE...]    # e.g. mixnet-testnet
#
# `docker save IMAGE` (the engine DOCKER_HOST names, else the one docker-up.sh started, as its env
# file says) piped into `ctr -n k8s.io images import` of each node's containerd. Pods then use the
# image with `imagePullPolicy: Never` (or IfNotPresent with a tag other than :latest). A docker-save
# tarball can be given instead of an image name with --tar FILE.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testnet/scripts/k8s-common.sh
. "$HERE/k8s-common.sh"

usage() {
  echo "usage: k8s-load-image.sh IMAGE [IMAGE...] | --tar FILE" >&2
  exit 2
}
die() {
  echo "k8s-load-image: error: $*" >&2
  exit 1
}
say() { echo "k8s-load-image: $*"; }

[[ $# -gt 0 ]] || usage
tar_file=
if [[ $1 == --tar ]]; then
  [[ $# -eq 2 ]] || usage
  tar_file=$2
  [[ -f $tar_file ]] || die "no such file: $tar_file"
else
  for a in "$@"; do [[ $a != -* ]] || usage; done
fi
[[ $(id -u) -eq 0 ]] || die "need root (the nodes' containerd sockets are root's)"
for n in 1 2; do
  if ! our_pid "containerd-$n" >/dev/null || [[ ! -S $(node_sock "$n") ]]; then
    die "node $n's containerd is not running: start the cluster with testnet/scripts/k8s-up.sh"
  fi
done

t0=$SECONDS
if [[ -z $tar_file ]]; then
  command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH"
  if [[ -z ${DOCKER_HOST:-} ]]; then
    docker_env=${MIXNET_DOCKER_STATE_DIR:-/run/mixnet-docker}/env
    DOCKER_HOST=$(sed -n 's/^DOCKER_HOST=//p' "$docker_env" 2>/dev/null || true)
    if [[ -n $DOCKER_HOST ]]; then export DOCKER_HOST; else unset DOCKER_HOST; fi
  fi
  for img in "$@"; do
    docker image inspect "$img" >/dev/null 2>&1 || die "no image $img in the Docker engine${DOCKER_HOST:+ at $DOCKER_HOST}"
  done
  tar_file=$(mktemp "${TMPDIR:-/tmp}/mixnet-k8s-image.XXXXXX")
  trap 'rm -f "$tar_file"' EXIT
  docker save "$@" -o "$tar_file" || die "docker save $* failed"
fi
for n in 1 2; do
  ctr -a "$(node_sock "$n")" -n k8s.io images import "$tar_file" >/dev/null ||
    die "importing into ${NODES[n - 1]}'s containerd failed"
done
say "loaded $* into ${NODES[*]} ($(du -h "$tar_file" | cut -f1), $((SECONDS - t0))s)"
