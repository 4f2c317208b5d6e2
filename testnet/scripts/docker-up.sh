#!/usr/bin/env bash
# Prepares this machine for the testnet's docker runtime, idempotently (ARCHITECTURE.md, "Containers
# here and elsewhere"):
#
#   testnet/scripts/docker-up.sh          # then: docker build ... ; testnet/scripts/docker-down.sh
#
# - If this script's own dockerd runs (its marker's pid, start time and boot id match), it reuses it.
# - Else if `docker info` works (e.g. GitHub's runners), it changes nothing and says so: build with
#   the Dockerfile's default BASE there.
# - Otherwise (root needed): installs docker.io and debootstrap when missing, starts its own
#   `dockerd --iptables=false --ip-forward=false` in the background on a private socket
#   ($STATE_DIR/docker.sock) with its own data root, exec root and pid file, so it never touches
#   another engine's socket or files; waits for it, and builds the local base image mixnet-base:bookworm
#   (debootstrap minbase root, cached as a tarball, plus this machine's Node binary and any libraries it
#   lacks) when it is missing or holds another Node version.
#
# Its engine is reached with DOCKER_HOST=unix://$STATE_DIR/docker.sock: the line DOCKER_HOST=... in
# $STATE_DIR/env (written only while that engine runs) says so; .ci/run exports it for the tests and
# the docker runtime (testnet/src/docker-inspect.ts) reads it when DOCKER_HOST is unset.
#
# With --iptables=false nothing NATs: containers reach each other on a user-defined network and the
# host reaches them by container IP; published ports go through docker-proxy on the host.
#
# Environment (all optional):
#   MIXNET_DOCKER_DATA_ROOT  dockerd --data-root          (default /var/lib/mixnet-docker)
#   MIXNET_DOCKER_STATE_DIR  socket, exec root, pid file, log, marker, env  (default /run/mixnet-docker)
#   MIXNET_DOCKER_CACHE_DIR  debootstrap rootfs tarball   (default /var/cache/mixnet-docker)
#   MIXNET_BASE_IMAGE        base image tag               (default mixnet-base:bookworm)
#   MIXNET_DEBIAN_MIRROR     debootstrap mirror           (default: the one apt uses for bookworm)
#   MIXNET_DOCKER_TIMEOUT    seconds to wait for dockerd  (default 60)
set -euo pipefail

DATA_ROOT=${MIXNET_DOCKER_DATA_ROOT:-/var/lib/mixnet-docker}
STATE_DIR=${MIXNET_DOCKER_STATE_DIR:-/run/mixnet-docker}
CACHE_DIR=${MIXNET_DOCKER_CACHE_DIR:-/var/cache/mixnet-docker}
BASE_IMAGE=${MIXNET_BASE_IMAGE:-mixnet-base:bookworm}
TIMEOUT=${MIXNET_DOCKER_TIMEOUT:-60}
SUITE=bookworm
SOCK=$STATE_DIR/docker.sock
OUR_HOST=unix://$SOCK
EXEC_ROOT=$STATE_DIR/exec
PIDFILE=$STATE_DIR/dockerd.pid
MARKER=$STATE_DIR/started-by-mixnet
LOG=$STATE_DIR/dockerd.log
ENVFILE=$STATE_DIR/env
# shellcheck source=testnet/scripts/docker-common.sh
. "$(dirname "$0")/docker-common.sh"

say() { echo "docker-up: $*"; }
die() {
  echo "docker-up: error: $*" >&2
  exit 1
}
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

# The engine the caller's environment names (DOCKER_HOST, context or the default socket).
docker_ok() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }
ours_ok() { command -v docker >/dev/null 2>&1 && DOCKER_HOST=$OUR_HOST timeout 20 docker info >/dev/null 2>&1; }

write_env() {
  mkdir -p "$STATE_DIR"
  {
    echo "DOCKER_HOST=$OUR_HOST"
    echo "MIXNET_DOCKER_BASE=$BASE_IMAGE"
    echo "TESTCONTAINERS_RYUK_DISABLED=true"
    echo "TESTCONTAINERS_HOST_OVERRIDE=localhost"
  } >"$ENVFILE.tmp"
  mv "$ENVFILE.tmp" "$ENVFILE"
}

if ! ours_running; then
  # A marker whose pid is gone or now another process: forget it (and the env file naming our socket).
  rm -f "$MARKER" "$ENVFILE" 2>/dev/null || true
  if docker_ok; then
    say "a Docker engine is already running ($(docker info --format '{{.ServerVersion}}' 2>/dev/null || echo '?')," \
      "not started by this script): nothing to do; build with the Dockerfile's default BASE"
    exit 0
  fi
fi

# ---- install -------------------------------------------------------------------------------------
install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "need root to apt-get install ${missing[*]} (no Docker engine is running)"
  command -v apt-get >/dev/null 2>&1 || die "no Docker engine and no apt-get to install one"
  say "installing ${missing[*]} (apt-get)"
  # No init system here: keep the packages' postinst from starting docker/containerd services.
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local apt=(apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  local ok=1
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" \
    >"$STATE_DIR/apt.log" 2>&1; then
    # Stale or missing package lists: refresh once and retry.
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$STATE_DIR/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" \
      >>"$STATE_DIR/apt.log" 2>&1 || ok=
  fi
  [[ -n $made_policy ]] && rm -f "$policy"
  [[ -n $ok ]] || die "apt-get install ${missing[*]} failed: $(grep -E '^(E|W):' "$STATE_DIR/apt.log" | tail -1) (log: $STATE_DIR/apt.log)"
  say "installed ${missing[*]} ($(elapsed))"
}

# ---- daemon --------------------------------------------------------------------------------------
start_dockerd() {
  local pid
  if ours_running; then
    pid=$(marker_pid)
    say "dockerd already running (pid $pid, started by this script earlier, socket $SOCK)"
  else
    [[ $(id -u) -eq 0 ]] || die "need root to start dockerd (no Docker engine is running)"
    mkdir -p "$DATA_ROOT" || die "cannot create the data root $DATA_ROOT"
    mkdir -p -m 700 "$EXEC_ROOT" || die "cannot create the exec root $EXEC_ROOT"
    # Only our own socket, in our own folder: never another engine's.
    rm -f "$SOCK"
    say "starting dockerd on $SOCK --iptables=false --ip-forward=false --data-root $DATA_ROOT (log: $LOG)"
    # setsid: the daemon outlives this script's session and process group. Its own containerd runs
    # under our exec root; the namespaces keep it apart should it find a system containerd instead.
    setsid dockerd --host "$OUR_HOST" --iptables=false --ip-forward=false --data-root "$DATA_ROOT" \
      --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
      --containerd-namespace mixnet --containerd-plugins-namespace mixnet-plugins \
      </dev/null >"$LOG" 2>&1 &
    pid=$!
    # Recorded with its start time and boot id: docker-down.sh signals it only while both still match.
    write_marker "$pid" || die "dockerd exited at once: $(tail -1 "$LOG" | cut -c1-300) (log: $LOG)"
  fi
  local deadline=$((SECONDS + TIMEOUT))
  until ours_ok; do
    if ! marker_alive; then
      rm -f "$MARKER"
      die "dockerd exited during start-up: $(grep -iE 'level=(fatal|error)|failed' "$LOG" | tail -1 | cut -c1-300) (log: $LOG)"
    fi
    if ((SECONDS >= deadline)); then
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$MARKER"
      die "dockerd (pid $pid) did not answer docker info within ${TIMEOUT}s, stopped it: $(grep -iE 'level=(fatal|error)' "$LOG" | tail -1 | cut -c1-300) (log: $LOG)"
    fi
    sleep 0.2
  done
  # Everything below talks to our engine only.
  export DOCKER_HOST=$OUR_HOST
  say "dockerd ready on $SOCK: engine $(docker info --format '{{.ServerVersion}}'), storage $(docker info --format '{{.Driver}}') ($(elapsed))"
}

# ---- base image ----------------------------------------------------------------------------------
# The mirror apt uses for the bookworm suite itself (deb822 .sources or one-line .list).
debian_mirror() {
  if [[ -n ${MIXNET_DEBIAN_MIRROR:-} ]]; then
    echo "$MIXNET_DEBIAN_MIRROR"
    return
  fi
  local f uri=
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$SUITE" '
      function flush() { if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") { split(uris, u, " "); found = u[1] } types = suites = uris = "" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      END { flush(); if (found) print found }' "$f")
    [[ -n $uri ]] && break
  done
  if [[ -z $uri ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  local node_bin node_version have
  node_bin=$(readlink -f "$(command -v node)") || die "no node on PATH to copy into the base image"
  node_version=$("$node_bin" -v)
  have=$(docker image inspect "$BASE_IMAGE" --format '{{range .Config.Env}}{{println .}}{{end}}' 2>/dev/null |
    sed -n 's/^MIXNET_BASE_NODE_VERSION=//p') || true
  if [[ $have == "$node_version" ]]; then
    say "base image $BASE_IMAGE present (Node $have)"
    return
  fi
  [[ -n $have ]] && say "base image $BASE_IMAGE has Node $have, this machine $node_version: rebuilding"

  mkdir -p "$CACHE_DIR"
  local arch rootfs_tar work
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  rootfs_tar=$CACHE_DIR/$SUITE-minbase-$arch.tar
  work=$(mktemp -d "${TMPDIR:-/tmp}/mixnet-base.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  if [[ -f $rootfs_tar ]]; then
    say "using cached rootfs $rootfs_tar"
  else
    local mirror
    mirror=$(debian_mirror)
    say "debootstrap --variant=minbase $SUITE from $mirror (log: $STATE_DIR/debootstrap.log)"
    if ! debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1; then
      die "debootstrap failed: $(grep -E '^(E|W):' "$STATE_DIR/debootstrap.log" | tail -1) (log: $STATE_DIR/debootstrap.log)"
    fi
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* \
      "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* "$work"/rootfs/usr/share/info/*
    tar --numeric-owner -C "$work/rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$work/rootfs"
    say "rootfs cached as $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1), $(elapsed))"
  fi

  local root=$work/root lib
  mkdir -p "$root"
  tar --numeric-owner -C "$root" -xf "$rootfs_tar"
  install -D -m 755 "$node_bin" "$root/usr/local/bin/node"
  # Shared libraries Node needs that the minbase root lacks (bookworm's have libc, libstdc++, libgcc).
  for lib in $(ldd "$node_bin" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
    if [[ ! -e $root$lib ]]; then
      install -D -m 644 "$(readlink -f "$lib")" "$root$lib"
      say "copied $lib into the base image"
    fi
  done
  chroot "$root" /usr/bin/env -i /usr/local/bin/node -e 'process.exit(0)' ||
    die "the copied Node binary does not run inside the debootstrap root"
  say "importing $BASE_IMAGE (Node $node_version)"
  tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV MIXNET_BASE_NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    --message "debootstrap --variant=minbase $SUITE + node $node_version" - "$BASE_IMAGE" >/dev/null
  rm -rf "$work"
  trap - EXIT
  say "built $BASE_IMAGE ($(docker image inspect "$BASE_IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(elapsed))"
}

mkdir -p "$STATE_DIR"
install_packages
start_dockerd
build_base
write_env
# docker.io's own client (20.10) has BuildKit built in; a newer client without buildx falls back to the
# much slower legacy builder.
builder="docker build"
if ! docker buildx version >/dev/null 2>&1 && [[ -x /usr/bin/docker ]]; then builder="DOCKER_BUILDKIT=1 /usr/bin/docker build"; fi
say "done in $(elapsed); build with: DOCKER_HOST=$OUR_HOST $builder -f testnet/Dockerfile --build-arg BASE=$BASE_IMAGE -t mixnet-testnet ."
say "engine: export DOCKER_HOST=$OUR_HOST (also in $ENVFILE, with TESTCONTAINERS_RYUK_DISABLED=true); stop with testnet/scripts/docker-down.sh"
