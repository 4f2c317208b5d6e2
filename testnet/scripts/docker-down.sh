#!/usr/bin/env bash
# Undoes testnet/scripts/docker-up.sh:
#
#   testnet/scripts/docker-down.sh            # remove our containers/networks; stop our dockerd
#   testnet/scripts/docker-down.sh --purge    # also delete its data root (images) and rootfs cache
#
# - Removes containers and networks labelled mixnet.testnet, on whatever engine `docker info` reaches.
# - Stops the dockerd that docker-up.sh started (the pid in its marker file, and only if that pid is
#   still a dockerd); first it removes every container of that daemon, and dangling images left by
#   builds. An engine it did not start is left running.
# Same environment variables as docker-up.sh (MIXNET_DOCKER_STATE_DIR, MIXNET_DOCKER_DATA_ROOT, ...).
set -euo pipefail

DATA_ROOT=${MIXNET_DOCKER_DATA_ROOT:-/var/lib/mixnet-docker}
STATE_DIR=${MIXNET_DOCKER_STATE_DIR:-/run/mixnet-docker}
CACHE_DIR=${MIXNET_DOCKER_CACHE_DIR:-/var/cache/mixnet-docker}
MARKER=$STATE_DIR/started-by-mixnet
LABEL=mixnet.testnet

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
docker_ok() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

ours=
if [[ -f $MARKER ]]; then
  pid=$(cat "$MARKER")
  if [[ -n $pid && -d /proc/$pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]]; then
    ours=$pid
  else
    say "stale marker (pid ${pid:-?} is not a running dockerd): removing it"
    rm -f "$MARKER"
  fi
fi

if docker_ok; then
  containers=$(docker ps -aq --filter "label=$LABEL")
  if [[ -n $containers ]]; then
    say "removing $(wc -w <<<"$containers") container(s) labelled $LABEL"
    # shellcheck disable=SC2086
    docker rm -f $containers >/dev/null
  fi
  networks=$(docker network ls -q --filter "label=$LABEL")
  if [[ -n $networks ]]; then
    say "removing $(wc -w <<<"$networks") network(s) labelled $LABEL"
    # shellcheck disable=SC2086
    docker network rm $networks >/dev/null || true
  fi
  if [[ -n $ours ]]; then
    # Every container of our own daemon is ours (testcontainers' and build leftovers too).
    rest=$(docker ps -aq)
    if [[ -n $rest ]]; then
      say "removing $(wc -w <<<"$rest") other container(s) of our dockerd"
      # shellcheck disable=SC2086
      docker rm -f $rest >/dev/null || true
    fi
    docker network prune -f >/dev/null || true
    docker image prune -f >/dev/null || true
  fi
elif [[ -z $ours ]]; then
  say "no Docker engine answers and none was started by docker-up.sh: nothing to do"
  exit 0
fi

if [[ -z $ours ]]; then
  say "no dockerd started by docker-up.sh; leaving the running engine alone"
else
  say "stopping dockerd (pid $ours)"
  kill -TERM "$ours" 2>/dev/null || true
  for _ in $(seq 1 150); do
    [[ -d /proc/$ours ]] || break
    sleep 0.2
  done
  if [[ -d /proc/$ours ]]; then
    say "dockerd (pid $ours) still running after 30s: killing it"
    kill -KILL "$ours" 2>/dev/null || true
    sleep 1
  fi
  # dockerd stops the containerd it started; make sure (its pid file lives under dockerd's exec root).
  cpid=$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null || true)
  if [[ -n $cpid && -d /proc/$cpid && $(cat "/proc/$cpid/comm" 2>/dev/null) == containerd ]]; then
    say "stopping leftover containerd (pid $cpid)"
    kill -TERM "$cpid" 2>/dev/null || true
  fi
  rm -f "$MARKER" "$STATE_DIR/env"
  say "dockerd stopped"
fi

if [[ -n $purge ]]; then
  if grep -qs " $DATA_ROOT" /proc/mounts; then
    say "not purging $DATA_ROOT: something is still mounted under it"
    exit 1
  fi
  say "purging $DATA_ROOT and $CACHE_DIR"
  rm -rf "$DATA_ROOT" "$CACHE_DIR"
fi
