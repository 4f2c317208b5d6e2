# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file
# Sourced by k8s-up.sh, k8s-down.sh and k8s-load-image.sh: where the two-node cluster lives, and which
# processes are ours.
#
# Layout (docs/cluster-setup.md):
#   $CACHE       build cache, kept by k8s-down.sh     (MIXNET_K8S_CACHE, default /var/cache/mixnet-k8s)
#   $STATE_DIR   pki, kubeconfigs, sockets, logs, pids, env, saved sysctls  (MIXNET_K8S_STATE_DIR,
#                default /run/mixnet-k8s)
#   $DATA_ROOT   etcd data, containerd roots (images), kubelet roots (MIXNET_K8S_DATA_ROOT, default
#                /var/lib/mixnet-k8s)
# Node 1 runs in the host's network namespace, node 2 in the namespace $NETNS; a veth pair joins them
# ($HOST_IP on the host, $NODE2_IP in the namespace) and the apiserver listens on $HOST_IP.

CACHE=${MIXNET_K8S_CACHE:-/var/cache/mixnet-k8s}
STATE_DIR=${MIXNET_K8S_STATE_DIR:-/run/mixnet-k8s}
DATA_ROOT=${MIXNET_K8S_DATA_ROOT:-/var/lib/mixnet-k8s}
K8S_VERSION=${MIXNET_K8S_VERSION:-v1.34.2}
ETCD_VERSION=${MIXNET_ETCD_VERSION:-v3.6.17}
COREDNS_VERSION=${MIXNET_COREDNS_VERSION:-v1.14.7}
CRICTL_VERSION=${MIXNET_CRICTL_VERSION:-v1.34.0}
PAUSE_TAG=${MIXNET_PAUSE_IMAGE:-registry.k8s.io/pause:3.10.1}

K8S_BIN=$CACHE/bin/kubernetes-$K8S_VERSION
ETCD_BIN=$CACHE/bin/etcd-$ETCD_VERSION
KUBECTL=$K8S_BIN/kubectl
CRICTL=$CACHE/bin/crictl-$CRICTL_VERSION/crictl
PKI=$STATE_DIR/pki
PIDS=$STATE_DIR/pids
LOGS=$STATE_DIR/logs
ENVFILE=$STATE_DIR/env
ADMIN_KUBECONFIG=$STATE_DIR/admin.kubeconfig

NODES=(mixnet-k8s-1 mixnet-k8s-2)
NETNS=mixnet-k8s-n2
VETH_HOST=mixk8s-h
VETH_NODE=mixk8s-n2
LINK_CIDR=10.245.0.0/24
HOST_IP=10.245.0.1
NODE2_IP=10.245.0.2
NODE_IPS=("$HOST_IP" "$NODE2_IP")
CLUSTER_CIDR=10.244.0.0/16
POD_CIDRS=(10.244.1.0/24 10.244.2.0/24)
SERVICE_CIDR=10.96.0.0/16
APISERVER_SVC_IP=10.96.0.1
DNS_IP=10.96.0.10
APISERVER_PORT=6443
ETCD_PORT=12379
ETCD_PEER_PORT=12380
CNI_BRIDGE=mixk8s-br0
# The iptables chain of our own (pods' traffic leaving the cluster is masqueraded).
MASQ_CHAIN=MIXNET-K8S-MASQ

# Host sysctls kubelet, kube-proxy and k8s-up.sh may change: recorded before the first start,
# restored by k8s-down.sh.
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Folders kubelet, containerd and CNI write outside our roots: removed by k8s-down.sh when
# k8s-up.sh found them missing.
HOST_DIRS=(/var/lib/kubelet /var/log/pods /var/log/containers /run/containerd /var/lib/cni /var/run/netns)

# Node n's folders and sockets ($1 = 1 or 2).
node_state() { echo "$STATE_DIR/node$1"; }
node_data() { echo "$DATA_ROOT/node$1"; }
node_sock() { echo "$STATE_DIR/node$1/containerd.sock"; }
# Node n's cgroup (relative to each cgroup v1 hierarchy, or the v2 root): kubelet's cgroupRoot.
node_cgroup() { echo "/mixnet-k8s-node$1"; }
# Run a command in node n's network namespace (node 1: the host's).
in_node() {
  local n=$1
  shift
  if [[ $n == 1 ]]; then "$@"; else nsenter --net="/var/run/netns/$NETNS" "$@"; fi
}

# ---- our processes: "pid start-time boot-id" in $PIDS/<name> (see docker-common.sh for why) -----
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  awk '{ print $20 }' <<<"$stat"
}
boot_id() { cat /proc/sys/kernel/random/boot_id; }
record_pid() {
  local start
  mkdir -p "$PIDS"
  start=$(proc_start "$2") || return 1
  echo "$2 $start $(boot_id)" >"$PIDS/$1"
}
# The pid of process $1 when it still runs (same pid, start time and boot), else fails.
our_pid() {
  local pid start boot
  [[ -f $PIDS/$1 ]] || return 1
  read -r pid start boot <"$PIDS/$1" || return 1
  [[ $pid =~ ^[0-9]+$ && -n $start && $(boot_id) == "$boot" && $(proc_start "$pid") == "$start" ]] || return 1
  echo "$pid"
}
# Names of the processes we start, in start order.
PROCS=(etcd kube-apiserver kube-controller-manager kube-scheduler
  containerd-1 containerd-2 kubelet-1 kubelet-2 kube-proxy-1 kube-proxy-2)

# Stop process $1 (TERM, then KILL after $2 seconds, default 20).
stop_proc() {
  local name=$1 wait=${2:-20} pid i
  pid=$(our_pid "$name") || {
    rm -f "$PIDS/$name"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 5; i++)); do
    our_pid "$name" >/dev/null || break
    sleep 0.2
  done
  if our_pid "$name" >/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDS/$name"
}

kc() { KUBECONFIG=$ADMIN_KUBECONFIG "$KUBECTL" "$@"; }
