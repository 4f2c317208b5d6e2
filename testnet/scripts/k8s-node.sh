# shellcheck shell=bash
# Sourced by k8s-up.sh (after k8s-common.sh): starting the processes, node by node. Node 2's run
# in its network namespace (nsenter execs them, so the recorded pid is theirs) but share the host's
# mount namespace, so containerd sees the volumes kubelet mounts; their folders differ instead
# (kubelet root and podLogsDir, containerd root/state/socket, CNI IPAM data, cgroupRoot).

# Starts "$@" as process $1 in node $2's network namespace unless it already runs; log in $LOGS.
start_proc() {
  local name=$1 node=$2
  shift 2
  our_pid "$name" >/dev/null && return 0
  local log=$LOGS/$name.log
  # setsid: the process outlives this script's session and process group.
  if [[ $node == 2 ]]; then
    setsid nsenter --net="/var/run/netns/$NETNS" "$@" </dev/null >>"$log" 2>&1 &
  else
    setsid "$@" </dev/null >>"$log" 2>&1 &
  fi
  record_pid "$name" $! || die "$name exited at once: $(tail -2 "$log" | cut -c1-300) (log: $log)"
}

# containerd for node n: its own socket, root, state; CRI with restrict_oom_score_adj (runc cannot
# write oom_score_adj here without CAP_SYS_RESOURCE), cgroupfs, our pause image and a bridge CNI.
start_runtime() {
  local n=$1 st dt sock
  st=$(node_state "$n")
  dt=$(node_data "$n")
  sock=$(node_sock "$n")
  # Running: leave its files alone (containerd reloads a changed CNI folder).
  our_pid "containerd-$n" >/dev/null && return 0
  mkdir -p "$st/cni" "$st/cni-ipam" "$dt/containerd" "$st/containerd"
  cat >"$st/cni/10-mixnet-k8s.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "mixnet-k8s",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$st/cni-ipam",
        "ranges": [[{ "subnet": "${POD_CIDRS[n - 1]}" }]], "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$st/containerd.toml" <<EOF
version = 2
root = "$dt/containerd"
state = "$st/containerd"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_TAG"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$st/cni"
    max_conf_num = 1
[plugins."io.containerd.internal.v1.opt"]
  path = "$dt/opt"
EOF
  start_proc "containerd-$n" "$n" containerd --config "$st/containerd.toml"
  wait_for "containerd of ${NODES[n - 1]} ready" "$TIMEOUT" ctr -a "$sock" version ||
    die "containerd of node $n did not start: $(tail -2 "$LOGS/containerd-$n.log" | cut -c1-300)"
}

# Our images (pause, CoreDNS, busybox for the checks) into node n's containerd, once.
load_images() {
  local n=$1 sock have f
  sock=$(node_sock "$n")
  have=$(ctr -a "$sock" -n k8s.io images ls -q 2>/dev/null || true)
  for f in "$PAUSE_TAG=$CACHE/images/pause-$K8S_VERSION.tar" \
    "mixnet.local/coredns:$COREDNS_VERSION=$CACHE/images/coredns-$COREDNS_VERSION.tar" \
    "mixnet.local/busybox:latest=$CACHE/images/busybox.tar"; do
    grep -qxF "${f%%=*}" <<<"$have" && continue
    ctr -a "$sock" -n k8s.io images import "${f#*=}" >/dev/null ||
      die "importing ${f%%=*} into node $n's containerd failed"
  done
}

# kubelet's cgroupRoot must exist in every cgroup hierarchy; cpuset needs its cpus/mems filled in.
make_cgroups() {
  local cg=$1 mnt
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    mkdir -p "/sys/fs/cgroup$cg"
    return
  fi
  while read -r mnt; do
    mkdir -p "$mnt$cg"
    if [[ -f $mnt/cpuset.cpus ]]; then
      [[ -n $(cat "$mnt$cg/cpuset.cpus") ]] || cat "$mnt/cpuset.cpus" >"$mnt$cg/cpuset.cpus"
      [[ -n $(cat "$mnt$cg/cpuset.mems") ]] || cat "$mnt/cpuset.mems" >"$mnt$cg/cpuset.mems"
    fi
  done < <(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
}

start_kubelet() {
  local n=$1 st dt
  our_pid "kubelet-$n" >/dev/null && return 0
  st=$(node_state "$n")
  dt=$(node_data "$n")
  mkdir -p "$dt/kubelet" "$dt/pod-logs"
  make_cgroups "$(node_cgroup "$n")"
  cat >"$st/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IPS[n - 1]}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $PKI/kubelet-$n-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-$n-serving.key
containerRuntimeEndpoint: unix://$(node_sock "$n")
cgroupDriver: cgroupfs
cgroupRoot: $(node_cgroup "$n")
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: /etc/resolv.conf
podLogsDir: $dt/pod-logs
serializeImagePulls: false
# Images come from k8s-load-image.sh only (no registry): never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 3%, imagefs.available: 3% }
EOF
  start_proc "kubelet-$n" "$n" "$K8S_BIN/kubelet" --config "$st/kubelet.yaml" \
    --kubeconfig "$STATE_DIR/kubelet-$n.kubeconfig" --root-dir "$dt/kubelet" \
    --hostname-override "${NODES[n - 1]}" --node-ip "${NODE_IPS[n - 1]}" \
    --node-labels "topology.kubernetes.io/zone=mixnet-zone-$n" --v=1
}

start_kube_proxy() {
  local n=$1 st
  # Running: do not touch its config, kube-proxy exits when its config file changes.
  our_pid "kube-proxy-$n" >/dev/null && return 0
  st=$(node_state "$n")
  # conntrack maxPerCore 0 and timeouts 0s: leave the host's conntrack sysctls alone.
  cat >"$st/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $STATE_DIR/kube-proxy.kubeconfig }
hostnameOverride: ${NODES[n - 1]}
mode: iptables
clusterCIDR: $CLUSTER_CIDR
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack: { maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  start_proc "kube-proxy-$n" "$n" "$K8S_BIN/kube-proxy" --config "$st/kube-proxy.yaml" --v=1
}
