#!/usr/bin/env bash
# Run by k8s-up.sh once both nodes are Ready:
#
#   k8s-addons.sh dns     # CoreDNS (Deployment + kube-dns Service on $DNS_IP), waits until ready
#   k8s-addons.sh check   # one busybox pod per node: each reaches the other by pod IP, and node 1's
#                         # reaches node 2's through a Service's DNS name; then removes them
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=testnet/scripts/k8s-common.sh
. "$HERE/k8s-common.sh"
TIMEOUT=${MIXNET_K8S_TIMEOUT:-180}
CHECK_NS=mixnet-k8s-check

say() { echo "k8s-up: $*"; }
die() {
  echo "k8s-up: error: $*" >&2
  exit 1
}

dns() {
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: { name: coredns, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: system:coredns }
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: system:coredns }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns }
subjects: [{ kind: ServiceAccount, name: coredns, namespace: kube-system }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: coredns, namespace: kube-system }
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        forward . /etc/resolv.conf
        cache 30
        loop
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      containers:
        - name: coredns
          image: mixnet.local/coredns:$COREDNS_VERSION
          imagePullPolicy: Never
          args: [-conf, /etc/coredns/Corefile]
          ports:
            - { containerPort: 53, name: dns, protocol: UDP }
            - { containerPort: 53, name: dns-tcp, protocol: TCP }
            - { containerPort: 9153, name: metrics, protocol: TCP }
          readinessProbe: { httpGet: { path: /ready, port: 8181 }, periodSeconds: 2 }
          livenessProbe: { httpGet: { path: /health, port: 8080 }, initialDelaySeconds: 30 }
          volumeMounts: [{ name: config, mountPath: /etc/coredns, readOnly: true }]
      volumes: [{ name: config, configMap: { name: coredns } }]
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: $DNS_IP
  selector: { k8s-app: kube-dns }
  ports:
    - { name: dns, port: 53, protocol: UDP }
    - { name: dns-tcp, port: 53, protocol: TCP }
    - { name: metrics, port: 9153, protocol: TCP }
EOF
  kc -n kube-system rollout status deployment/coredns --timeout "${TIMEOUT}s" >/dev/null ||
    die "CoreDNS did not become ready: $(kc -n kube-system get pods -o wide 2>&1 | tail -2 | tr '\n' ' ')"
}

check() {
  # A previous check's namespace may still be terminating (it is deleted without waiting).
  if [[ $(kc get namespace "$CHECK_NS" -o jsonpath='{.status.phase}' 2>/dev/null) == Terminating ]]; then
    kc wait --for=delete "namespace/$CHECK_NS" --timeout "${TIMEOUT}s" >/dev/null 2>&1 || true
  fi
  kc create namespace "$CHECK_NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
  local n
  for n in 1 2; do
    kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: check-$n, namespace: $CHECK_NS, labels: { app: check-$n } }
spec:
  nodeSelector: { kubernetes.io/hostname: ${NODES[n - 1]} }
  terminationGracePeriodSeconds: 0
  containers:
    - name: web
      image: mixnet.local/busybox:latest
      imagePullPolicy: Never
      command: [/bin/sh, -c, 'echo "\$NODE" >/www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www']
      env: [{ name: NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: check-$n, namespace: $CHECK_NS }
spec:
  selector: { app: check-$n }
  ports: [{ port: 80, targetPort: 8080 }]
EOF
  done
  kc -n "$CHECK_NS" wait --for=condition=Ready pod/check-1 pod/check-2 --timeout "${TIMEOUT}s" >/dev/null ||
    die "the check pods did not start: $(kc -n "$CHECK_NS" get pods -o wide 2>&1 | tail -2 | tr '\n' ' ')"
  local ip1 ip2 got
  ip1=$(kc -n "$CHECK_NS" get pod check-1 -o jsonpath='{.status.podIP}')
  ip2=$(kc -n "$CHECK_NS" get pod check-2 -o jsonpath='{.status.podIP}')
  # wget in pod $1 of URL $2 must print node name $3 (retried: endpoints and DNS settle in a moment).
  fetch() {
    local _
    for _ in $(seq 1 30); do
      # Not wget -T: Debian's static busybox segfaults on it; its timeout applet instead.
      got=$(kc -n "$CHECK_NS" exec "check-$1" -- /bin/busybox timeout 5 /bin/busybox wget -q -O - "$2" 2>&1) ||
        got="(failed: $got)"
      [[ $got == "$3" ]] && return 0
      sleep 1
    done
    die "from check-$1 (${NODES[$1 - 1]}), $2 answered: $got (expected $3)"
  }
  fetch 1 "http://$ip2:8080/" "${NODES[1]}"
  fetch 2 "http://$ip1:8080/" "${NODES[0]}"
  say "pods reach each other across nodes ($ip1 on ${NODES[0]} <-> $ip2 on ${NODES[1]})"
  fetch 1 "http://check-2.$CHECK_NS.svc.cluster.local/" "${NODES[1]}"
  fetch 2 "http://check-1/" "${NODES[0]}"
  say "Services and DNS work from both nodes"
  kc delete namespace "$CHECK_NS" --wait=false >/dev/null
}

case "${1:-}" in
  dns) dns ;;
  check) check ;;
  *)
    echo "usage: k8s-addons.sh dns|check" >&2
    exit 2
    ;;
esac
