#!/usr/bin/env bash
# Undoes testnet/scripts/docker-up.sh:
#
#   testnet/scripts/docker-down.sh            # remove our engine's containers and networks; stop it
#   testnet/scripts/docker-down.sh --purge    # also delete its data root (images) and rootfs cache
#
# - Acts only on the dockerd that docker-up.sh started: the pid in its marker, and only while that
#   pid still has the start time and boot id recorded there and is a dockerd. It talks to that engine
#   on its private socket ($STATE_DIR/docker.sock), whatever DOCKER_HOST says: first it removes every
#   container of that engine, its unused networks and the dangling images left by builds, then stops it.
# - Any other engine (the caller's DOCKER_HOST, the default socket) is left alone: nothing is removed
#   or pruned there.
# Same environment variables as docker-up.sh (MIXNET_DOCKER_STATE_DIR, MIXNET_DOCKER_DATA_ROOT, ...).
set -euo pipefail

DATA_ROOT=${MIXNET_DOCKER_DATA_ROOT:-/var/lib/mixnet-docker}
STATE_DIR=${MIXNET_DOCKER_STATE_DIR:-/run/mixnet-docker}
CACHE_DIR=${MIXNET_DOCKER_CACHE_DIR:-/var/cache/mixnet-docker}
SOCK=$STATE_DIR/docker.sock
EXEC_ROOT=$STATE_DIR/exec
MARKER=$STATE_DIR/started-by-mixnet
# shellcheck source=testnet/scripts/docker-common.sh
. "$(dirname "$0")/docker-common.sh"

purge=
case "${1:-}" in
  --purge) purge=1 ;;
  '') ;;
  *)
    echo "usage: docker-down.sh [--purge]" >&2
    exit 2
    ;;
esac

say() { echo "docker-down: $*"; }

ours=
if ours_running; then
  ours=$(marker_pid)
elif [[ -f $MARKER ]]; then
  say "stale marker (its pid is no longer the dockerd docker-up.sh started): removing it"
  rm -f "$MARKER"
fi

if [[ -z $ours ]]; then
  say "no dockerd started by docker-up.sh runs; any other engine is left alone"
  rm -f "$STATE_DIR/env" "$SOCK" 2>/dev/null || true
else
  # Our engine only, on its own socket.
  export DOCKER_HOST=unix://$SOCK
  if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
    rest=$(docker ps -aq)
    if [[ -n $rest ]]; then
      say "removing $(wc -w <<<"$rest") container(s) of our dockerd"
      # shellcheck disable=SC2086
      docker rm -f $rest >/dev/null || true
    fi
    docker network prune -f >/dev/null || true
    docker image prune -f >/dev/null || true
  fi
  say "stopping dockerd (pid $ours)"
  kill -TERM "$ours" 2>/dev/null || true
  for _ in $(seq 1 150); do
    ours_running || break
    sleep 0.2
  done
  if ours_running; then
    say "dockerd (pid $ours) still running after 30s: killing it"
    kill -KILL "$ours" 2>/dev/null || true
    sleep 1
  fi
  # dockerd stops the containerd it started; make sure (its pid file lives under our exec root).
  cpid=$(cat "$EXEC_ROOT/containerd/containerd.pid" 2>/dev/null || true)
  if [[ $cpid =~ ^[0-9]+$ && $(cat "/proc/$cpid/comm" 2>/dev/null) == containerd ]] &&
    tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF "$EXEC_ROOT/containerd"; then
    say "stopping leftover containerd (pid $cpid)"
    kill -TERM "$cpid" 2>/dev/null || true
  fi
  rm -f "$MARKER" "$STATE_DIR/env" "$SOCK"
  say "dockerd stopped"
fi

if [[ -n $purge ]]; then
  if grep -qs " $DATA_ROOT" /proc/mounts; then
    say "not purging $DATA_ROOT: something is still mounted under it"
    exit 1
  fi
  say "purging $DATA_ROOT and $CACHE_DIR"
  rm -rf "$DATA_ROOT" "$CACHE_DIR" "$EXEC_ROOT"
fi
