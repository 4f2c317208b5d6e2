#!/usr/bin/env bash
# Makes sure the system Chromium that the browser tests drive (playwright-core, never Playwright's
# own browser download) is on this machine, idempotently:
#
#   testnet/scripts/chromium-up.sh        # prints one line; exit 0 when chromium runs
#
# - If $MIXNET_CHROMIUM (default /usr/bin/chromium) answers --version, it changes nothing.
# - Otherwise (root needed) it installs Debian's chromium package with apt, quietly.
#
# Environment (optional):
#   MIXNET_CHROMIUM   the chromium binary the tests launch (default /usr/bin/chromium)
set -euo pipefail

BIN=${MIXNET_CHROMIUM:-/usr/bin/chromium}
say() { echo "chromium-up: $*"; }
die() {
  echo "chromium-up: error: $*" >&2
  exit 1
}
version() { "$BIN" --version 2>/dev/null | head -n1; }

if v=$(version) && [[ -n $v ]]; then
  say "$v already installed ($BIN)"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "$BIN is missing and this is not root: run 'apt-get install chromium' as root"
command -v apt-get >/dev/null 2>&1 || die "$BIN is missing and there is no apt-get: install Chromium and set MIXNET_CHROMIUM"
t0=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "apt-get install chromium failed (last lines above)"
fi
v=$(version) || die "chromium was installed but $BIN --version fails"
say "installed $v in $(($(date +%s) - t0))s ($BIN)"
