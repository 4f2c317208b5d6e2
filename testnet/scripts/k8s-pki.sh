# shellcheck shell=bash
# Sourced by k8s-up.sh (after k8s-common.sh): the cluster's certificates and kubeconfigs, made with
# openssl, once; kept in $PKI (keys 0600) until k8s-down.sh.

# A certificate $PKI/$1.crt signed by the cluster CA: CN $2, O $3 (may be empty), SANs $4 (may be
# empty, "DNS:a,IP:b"); EC P-256 keys (fast to make; Kubernetes accepts them everywhere).
make_cert() {
  local name=$1 cn=$2 org=$3 sans=$4 subj ext
  [[ -f $PKI/$name.crt && -f $PKI/$name.key ]] && return 0
  subj="/CN=$cn"
  [[ -n $org ]] && subj="/O=$org$subj"
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null)
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  ext=$PKI/$name.ext
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $sans ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null || die "openssl could not sign $name"
  rm -f "$PKI/$name.csr" "$ext"
}

# A kubeconfig $STATE_DIR/$1.kubeconfig for user cert $PKI/$2.*, with the certificates embedded (so it
# can be copied elsewhere); 0600.
make_kubeconfig() {
  local out=$STATE_DIR/$1.kubeconfig cert=$2
  [[ -f $out ]] && return 0
  (
    umask 077
    cat >"$out.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: mixnet-k8s
    cluster:
      server: https://$HOST_IP:$APISERVER_PORT
      certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
  - name: $cert
    user:
      client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
      client-key-data: $(base64 -w0 "$PKI/$cert.key")
contexts:
  - name: mixnet-k8s
    context:
      cluster: mixnet-k8s
      user: $cert
current-context: mixnet-k8s
EOF
  )
  mv "$out.tmp" "$out"
}

make_pki() {
  command -v openssl >/dev/null 2>&1 || die "no openssl on PATH"
  mkdir -p "$PKI" && chmod 700 "$PKI"
  if [[ ! -f $PKI/ca.crt || ! -f $PKI/ca.key ]]; then
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null)
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=mixnet-k8s-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null || die "openssl could not make the cluster CA"
  fi
  # Service-account token signing key (RSA: every client library verifies RS256).
  if [[ ! -f $PKI/sa.key ]]; then
    (umask 077 && openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null)
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  make_cert kube-apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$HOST_IP,IP:$APISERVER_SVC_IP,IP:127.0.0.1"
  make_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  make_cert admin admin system:masters ""
  make_cert kube-controller-manager system:kube-controller-manager "" ""
  make_cert kube-scheduler system:kube-scheduler "" ""
  make_cert kube-proxy system:kube-proxy "" ""
  local n
  for n in 1 2; do
    make_cert "kubelet-$n" "system:node:${NODES[n - 1]}" system:nodes ""
    # The kubelet's serving certificate (kubectl logs/exec reach it by its InternalIP).
    make_cert "kubelet-$n-serving" "${NODES[n - 1]}" "" "DNS:${NODES[n - 1]},IP:${NODE_IPS[n - 1]}"
    make_kubeconfig "kubelet-$n" "kubelet-$n"
  done
  make_kubeconfig admin admin
  make_kubeconfig kube-controller-manager kube-controller-manager
  make_kubeconfig kube-scheduler kube-scheduler
  make_kubeconfig kube-proxy kube-proxy
}
