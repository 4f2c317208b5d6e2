#!/usr/bin/env bash
# Undoes testnet/scripts/k8s-up.sh and puts the host back:
#
#   testnet/scripts/k8s-down.sh           # the build cache ($MIXNET_K8S_CACHE) stays, for a warm next up
#
# - Removes every pod sandbox through each node's containerd (crictl when built, else ctr), then stops
#   the processes k8s-up.sh recorded (only while pid, start time and boot id still match), kills what
#   is left in the nodes' cgroups and the containerd shims of our sockets.
# - Cleans kube-proxy's iptables rules (kube-proxy --cleanup) and removes the KUBE-* and our own
#   chains, the CNI bridge, node 2's network namespace (and with it the veth pair and routes).
# - Unmounts what is mounted under our folders, removes the nodes' cgroups, $MIXNET_K8S_STATE_DIR,
#   $MIXNET_K8S_DATA_ROOT and the host folders k8s-up.sh found missing (kubelet's, CNI's, netns);
#   restores the sysctls k8s-up.sh recorded before the first start.
# Safe to run when nothing runs; needs root. Same environment as k8s-up.sh (k8s-common.sh).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testnet/scripts/k8s-common.sh
. "$HERE/k8s-common.sh"

case "${1:-}" in
  '') ;;
  *)
    echo "usage: k8s-down.sh (no arguments)" >&2
    exit 2
    ;;
esac
say() { echo "k8s-down: $*"; }
[[ $(id -u) -eq 0 ]] || {
  echo "k8s-down: error: need root" >&2
  exit 1
}
t0=$SECONDS

if [[ ! -d $STATE_DIR && ! -d $DATA_ROOT ]]; then
  say "nothing to do (no $STATE_DIR, no $DATA_ROOT)"
  [[ -e /var/run/netns/$NETNS ]] && say "warning: the namespace $NETNS exists without k8s-up.sh's state: left alone"
  exit 0
fi
# The host-wide steps (cgroups, iptables, links, sysctls, host folders) only when k8s-up.sh recorded
# the host's state in this state folder, i.e. it got as far as changing anything there.
saved=$STATE_DIR/host.saved
host=''
[[ -f $saved ]] && host=1

# ---- pods first, while containerd still runs: kubelet stopped so it restarts nothing -------------
for n in 1 2; do stop_proc "kubelet-$n"; done
for n in 1 2; do
  sock=$(node_sock "$n")
  our_pid "containerd-$n" >/dev/null || continue
  if [[ -x $CRICTL ]]; then
    # Stops and removes every sandbox the CRI way: containers, CNI teardown, the pod's netns.
    in_node "$n" "$CRICTL" -r "unix://$sock" rmp -a -f >/dev/null 2>&1 || true
  fi
  for id in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
done
for n in 1 2; do stop_proc "kube-proxy-$n"; done

# Whatever still runs in the nodes' cgroups (containers whose sandbox could not be removed).
cgroup_dirs() {
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "/sys/fs/cgroup$1"
  else
    # Also the hybrid layout's unified (cgroup2) mount: runc makes the pods' cgroups there too.
    awk -v cg="$1" '$3 == "cgroup" || $3 == "cgroup2" { print $2 cg }' /proc/mounts
  fi
}
for n in 1 2; do
  [[ -n $host ]] || break
  for d in $(cgroup_dirs "$(node_cgroup "$n")"); do
    [[ -d $d ]] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | xargs -r kill -KILL 2>/dev/null || true
  done
done

for n in 1 2; do stop_proc "containerd-$n"; done
# The shims of our containerds (they outlive containerd by design): matched by our socket path.
for pid in $(pgrep -f containerd-shim 2>/dev/null); do
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE -- "-address ($(node_sock 1)|$(node_sock 2))( |$)"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
for p in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$p"; done
say "processes stopped ($((SECONDS - t0))s)"

# Never rm -rf through a mount: kubelet's volumes, its root's bind mount, containerd's overlays.
unmount_ours() {
  local root m
  for root in "$DATA_ROOT" "$STATE_DIR"; do
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r |
      while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
}
unmount_ours
if [[ -z $host ]]; then
  rm -rf "$STATE_DIR" "$DATA_ROOT"
  say "no record of host changes in $saved: left the host alone; removed $STATE_DIR and $DATA_ROOT"
  exit 0
fi

# ---- iptables ------------------------------------------------------------------------------------
if [[ -x $CACHE/bin/kubernetes-$K8S_VERSION/kube-proxy ]]; then
  "$CACHE/bin/kubernetes-$K8S_VERSION/kube-proxy" --cleanup >/dev/null 2>&1 || true
fi
# Rules that jump to KUBE-*, CNI-* (portmap) or our chain, then those chains themselves.
clean_chains() {
  local cmd=$1 table rules chains
  for table in filter nat mangle raw; do
    rules=$("$cmd-save" -t "$table" 2>/dev/null) || continue
    chains=$(sed -n -E "s/^:((KUBE-|CNI-|$MASQ_CHAIN)[^ ]*) .*/\1/p" <<<"$rules")
    [[ -n $chains ]] || continue
    # Rules in the built-in chains that jump to ours: delete them one by one.
    sed -n -E "s/^-A ((PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j (KUBE-|CNI-|$MASQ_CHAIN).*)/\1/p" <<<"$rules" |
      while read -r rule; do
        # shellcheck disable=SC2086 # the saved rule is re-split into arguments on purpose
        eval "$cmd -t $table -D $rule" 2>/dev/null || true
      done
    for c in $chains; do "$cmd" -t "$table" -F "$c" 2>/dev/null || true; done
    for c in $chains; do "$cmd" -t "$table" -X "$c" 2>/dev/null || true; done
  done
}
clean_chains iptables
command -v ip6tables >/dev/null 2>&1 && clean_chains ip6tables

# ---- network -------------------------------------------------------------------------------------
# Pod network namespaces containerd left behind (sandboxes it could not remove): only when
# k8s-up.sh created /var/run/netns, so that every cni-* there is ours.
if grep -qsx 'dir /var/run/netns' "$STATE_DIR/host.saved"; then
  for ns in /var/run/netns/cni-*; do
    [[ -e $ns ]] || continue
    umount "$ns" 2>/dev/null
    rm -f "$ns"
  done
fi
ip link del "$CNI_BRIDGE" 2>/dev/null || true
ip netns del "$NETNS" 2>/dev/null || true
ip link del "$VETH_HOST" 2>/dev/null || true
ip route del "${POD_CIDRS[1]}" 2>/dev/null || true

# ---- mounts, cgroups, folders --------------------------------------------------------------------
unmount_ours
for n in 1 2; do
  for d in $(cgroup_dirs "$(node_cgroup "$n")"); do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done
if [[ -f $saved ]]; then
  while read -r kind key value; do
    case $kind in
      sysctl) sysctl -qw "$key=$value" 2>/dev/null || say "could not restore $key=$value" ;;
      dir)
        if [[ $key == /var/run/netns && -n $(ls -A /var/run/netns 2>/dev/null) ]]; then
          say "leaving /var/run/netns: other namespaces live there"
        else
          umount "$key" 2>/dev/null
          rm -rf "$key"
        fi
        ;;
    esac
  done <"$saved"
  say "restored the sysctls recorded in $saved"
fi
rm -rf "$STATE_DIR" "$DATA_ROOT"
left=$(for n in 1 2; do cgroup_dirs "$(node_cgroup "$n")"; done | while read -r d; do [[ -d $d ]] && echo "$d"; done)
[[ -z $left ]] || say "warning: cgroups left (processes still in them?): $left"
say "done in $((SECONDS - t0))s; the build cache $CACHE stays"
