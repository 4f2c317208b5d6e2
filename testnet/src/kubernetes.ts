/** @mixnet/testnet/kubernetes: the kubernetes runtime (its own entry: the client library is large). */
export type { Kube, KubeOptions } from './kube-api.js';
export {
  clusterNodes,
  connectKube,
  deletePod,
  KubeError,
  kubeconfigPath,
  kubeEnvFile,
  listPods,
  remaining,
} from './kube-api.js';
export { controlKubernetesNode, kubernetesLogs, kubernetesStatus, placement } from './kubernetes-control.js';
export type { KubernetesHosts } from './kubernetes-files.js';
export { checkKubernetesPlan, generateForKubernetes } from './kubernetes-files.js';
export type { KubeObject, ManifestOptions, WorkloadSpec } from './kubernetes-manifests.js';
export { buildManifests, LABELS, validName } from './kubernetes-manifests.js';
export type { RenderOptions, RenderResult } from './kubernetes-render.js';
export { DEFAULT_NODE_PORT_BASE, renderKubernetesManifests } from './kubernetes-render.js';
export type { KubernetesDownOptions, KubernetesUpOptions } from './kubernetes-runtime.js';
export {
  DEFAULT_K8S_IMAGE,
  DEFAULT_NAMESPACE,
  downKubernetes,
  runSelector,
  upKubernetes,
} from './kubernetes-runtime.js';
