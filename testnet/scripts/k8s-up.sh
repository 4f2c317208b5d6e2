#!/usr/bin/env bash
# Starts a two-node Kubernetes cluster on this machine, idempotently, for the testnet's kubernetes
# runtime and its tests (docs/cluster-setup.md; ../shared/design/CLUSTER.md has the findings):
#
#   testnet/scripts/k8s-up.sh       # then: export $(cat /run/mixnet-k8s/env); kubectl get nodes
#   testnet/scripts/k8s-down.sh     # stops it and puts the host back
#
# - Builds Kubernetes, etcd, CoreDNS and the pause image from the Go module proxy into
#   $MIXNET_K8S_CACHE (k8s-build.sh; cold ~11 min on 2 cores, warm: nothing to do).
# - Node 1 (containerd, kubelet, kube-proxy) runs in the host's network namespace, node 2 in its own
#   ($NETNS) joined by a veth pair; etcd, the apiserver (on $HOST_IP:6443), controller-manager and
#   scheduler run on the host. Bridge CNI with one pod /24 per node and a static route between them,
#   kube-proxy in iptables mode (this kernel has no IPVS), CoreDNS as a Deployment.
# - Waits until both nodes are Ready, then checks that pods on the two nodes reach each other, by IP
#   and through a Service's DNS name; writes $STATE_DIR/env (KUBECONFIG=..., node names).
# - Called again after a start that passed, with everything running, it only checks that both nodes
#   are Ready and rewrites the env file; otherwise it starts what is missing and checks again.
# - Records the host sysctls it (or kubelet, kube-proxy) may change, and which host folders were
#   missing, so k8s-down.sh can put them back.
#
# Needs root. Installs with apt when missing: containerd, runc, containernetworking-plugins,
# conntrack, busybox-static. Environment: see k8s-common.sh (MIXNET_K8S_CACHE, MIXNET_K8S_STATE_DIR,
# MIXNET_K8S_DATA_ROOT, versions) and MIXNET_K8S_TIMEOUT (seconds to wait for each step, default 180).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testnet/scripts/k8s-common.sh
. "$HERE/k8s-common.sh"
# shellcheck source=testnet/scripts/k8s-pki.sh
. "$HERE/k8s-pki.sh"
# shellcheck source=testnet/scripts/k8s-node.sh
. "$HERE/k8s-node.sh"
TIMEOUT=${MIXNET_K8S_TIMEOUT:-180}

say() { echo "k8s-up: $*"; }
die() {
  echo "k8s-up: error: $*" >&2
  exit 1
}
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

case "${1:-}" in
  '') ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: k8s-up.sh (no arguments; see --help)" >&2
    exit 2
    ;;
esac
[[ $(id -u) -eq 0 ]] || die "need root (network namespaces, containerd, kubelet)"

# Waits until "$@" succeeds; $1 what (for the error), $2 seconds.
wait_for() {
  local what=$1 secs=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  say "$what ($(elapsed))"
}

all_running() {
  local p
  for p in "${PROCS[@]}"; do our_pid "$p" >/dev/null || return 1; done
}

nodes_ready() {
  local ready
  ready=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null) || return 1
  grep -qx "${NODES[0]}=True" <<<"$ready" && grep -qx "${NODES[1]}=True" <<<"$ready"
}

write_env() {
  {
    echo "KUBECONFIG=$ADMIN_KUBECONFIG"
    echo "MIXNET_K8S_NODES=${NODES[0]},${NODES[1]}"
    echo "MIXNET_K8S_NODE_IPS=${NODE_IPS[0]},${NODE_IPS[1]}"
    echo "MIXNET_K8S_APISERVER=https://$HOST_IP:$APISERVER_PORT"
    echo "MIXNET_K8S_KUBECTL=$KUBECTL"
    echo "MIXNET_K8S_CONTAINERD_SOCKETS=$(node_sock 1),$(node_sock 2)"
  } >"$ENVFILE.tmp"
  mv "$ENVFILE.tmp" "$ENVFILE"
}

# ---- fast path ---------------------------------------------------------------------------------
# The env file is written only after a full start passed its checks (and removed when one begins).
if [[ -f $ENVFILE ]] && all_running && nodes_ready; then
  write_env
  say "already up: nodes ${NODES[*]} Ready; KUBECONFIG=$ADMIN_KUBECONFIG (in $ENVFILE) ($(elapsed))"
  exit 0
fi

# ---- install and build -------------------------------------------------------------------------
install_packages() {
  local missing=()
  command -v containerd >/dev/null 2>&1 || missing+=(containerd)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
  command -v busybox >/dev/null 2>&1 && ! ldd "$(command -v busybox)" >/dev/null 2>&1 || missing+=(busybox-static)
  command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  say "installing ${missing[*]} (apt-get)"
  # No init system here: keep the packages' postinst from starting a containerd service.
  local policy=/usr/sbin/policy-rc.d made_policy='' ok=1
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local apt=(apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$STATE_DIR/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$STATE_DIR/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$STATE_DIR/apt.log" 2>&1 || ok=
  fi
  [[ -n $made_policy ]] && rm -f "$policy"
  [[ -n $ok ]] || die "apt-get install ${missing[*]} failed (log: $STATE_DIR/apt.log)"
}

mkdir -p "$STATE_DIR" "$LOGS" "$PIDS" "$DATA_ROOT"
chmod 700 "$STATE_DIR"
rm -f "$ENVFILE"
install_packages
bash "$HERE/k8s-build.sh" || die "building the cluster's binaries failed (see above)"
say "binaries ready ($(elapsed))"

# ---- what we change on the host: recorded once, before the first start -----------------------
if [[ ! -f $STATE_DIR/host.saved ]]; then
  {
    for k in "${SYSCTLS[@]}"; do
      v=$(sysctl -n "$k" 2>/dev/null) && echo "sysctl $k $v"
    done
    for d in "${HOST_DIRS[@]}"; do [[ -e $d ]] || echo "dir $d"; done
  } >"$STATE_DIR/host.saved.tmp"
  mv "$STATE_DIR/host.saved.tmp" "$STATE_DIR/host.saved"
fi

# ---- network: node 2's namespace, the veth pair, routes, masquerading -------------------------
setup_network() {
  [[ -e /var/run/netns/$NETNS ]] || ip netns add "$NETNS"
  if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    ip link add "$VETH_HOST" type veth peer name "$VETH_NODE"
    ip link set "$VETH_NODE" netns "$NETNS"
  fi
  ip addr replace "$HOST_IP/${LINK_CIDR#*/}" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  in_node 2 ip addr replace "$NODE2_IP/${LINK_CIDR#*/}" dev "$VETH_NODE"
  in_node 2 ip link set "$VETH_NODE" up
  in_node 2 ip link set lo up
  in_node 2 ip route replace default via "$HOST_IP"
  ip route replace "${POD_CIDRS[1]}" via "$NODE2_IP" dev "$VETH_HOST"
  sysctl -qw net.ipv4.ip_forward=1
  in_node 2 sysctl -qw net.ipv4.ip_forward=1
  # Pod-to-service replies on one bridge must pass iptables (kube-proxy's DNAT), in both namespaces.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  in_node 2 sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
  # Pods' traffic leaving the cluster (e.g. CoreDNS to the host's resolver) is masqueraded on the host.
  if ! iptables -t nat -S "$MASQ_CHAIN" >/dev/null 2>&1; then
    iptables -t nat -N "$MASQ_CHAIN"
    iptables -t nat -A "$MASQ_CHAIN" -d "$CLUSTER_CIDR" -j RETURN
    iptables -t nat -A "$MASQ_CHAIN" -d "$LINK_CIDR" -j RETURN
    iptables -t nat -A "$MASQ_CHAIN" -j MASQUERADE
  fi
  iptables -t nat -C POSTROUTING -s "$CLUSTER_CIDR" -j "$MASQ_CHAIN" 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$CLUSTER_CIDR" -j "$MASQ_CHAIN"
}
setup_network
make_pki
say "network and certificates ready ($(elapsed))"

# ---- control plane -----------------------------------------------------------------------------
start_control_plane() {
  local p=$PKI
  mkdir -p "$DATA_ROOT/etcd" && chmod 700 "$DATA_ROOT/etcd"
  start_proc etcd 1 "$ETCD_BIN/etcd" --name mixnet-k8s --data-dir "$DATA_ROOT/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "mixnet-k8s=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
  start_proc kube-apiserver 1 "$K8S_BIN/kube-apiserver" \
    --bind-address "$HOST_IP" --advertise-address "$HOST_IP" --secure-port "$APISERVER_PORT" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$p/ca.crt" --tls-cert-file "$p/kube-apiserver.crt" --tls-private-key-file "$p/kube-apiserver.key" \
    --kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$p/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
    --profiling=false --v=1
  wait_for "apiserver ready on https://$HOST_IP:$APISERVER_PORT" "$TIMEOUT" kc get --raw /readyz ||
    die "the apiserver did not become ready: $(tail -3 "$LOGS/kube-apiserver.log" | cut -c1-300) (logs: $LOGS)"
  start_proc kube-controller-manager 1 "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$STATE_DIR/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE_DIR/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE_DIR/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --cluster-cidr "$CLUSTER_CIDR" --allocate-node-cidrs=false \
    --profiling=false --v=1
  start_proc kube-scheduler 1 "$K8S_BIN/kube-scheduler" --kubeconfig "$STATE_DIR/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE_DIR/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE_DIR/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false --v=1
}
start_control_plane

# ---- nodes -------------------------------------------------------------------------------------
for n in 1 2; do start_runtime "$n"; done
for n in 1 2; do load_images "$n"; done
for n in 1 2; do start_kubelet "$n"; done
for n in 1 2; do start_kube_proxy "$n"; done
wait_for "nodes ${NODES[*]} Ready" "$TIMEOUT" nodes_ready ||
  die "the nodes did not become Ready: $(kc get nodes 2>&1 | tr '\n' ' ' | cut -c1-300) (logs: $LOGS)"

# ---- CoreDNS, then a check across the nodes ----------------------------------------------------
bash "$HERE/k8s-addons.sh" dns || die "CoreDNS did not start (see above)"
say "CoreDNS ready ($(elapsed))"
bash "$HERE/k8s-addons.sh" check || die "the cross-node check failed (see above; logs: $LOGS)"
write_env
say "up in $(elapsed): nodes ${NODES[*]} Ready, pods reach each other across nodes, DNS works"
say "use: export KUBECONFIG=$ADMIN_KUBECONFIG (also in $ENVFILE); kubectl: $KUBECTL; stop with testnet/scripts/k8s-down.sh"
