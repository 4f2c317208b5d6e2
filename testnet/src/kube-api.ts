/**
 * The few Kubernetes API calls the kubernetes runtime makes (@kubernetes/client-node), each with a
 * clear error. The cluster is the one the user's kubeconfig names (KUBECONFIG, else ~/.kube/config);
 * on the test machine testnet/scripts/k8s-up.sh leaves KUBECONFIG in /run/mixnet-k8s/env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { LABELS, MANAGED_BY } from './kubernetes-manifests.js';

export class KubeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeError';
  }
}

export interface KubeOptions {
  /** A context of the kubeconfig (`--context`); default: its current one. */
  context?: string;
}

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
  /** The API server's URL, for messages. */
  server: string;
}

/** k8s-up.sh's env file (MIXNET_K8S_STATE_DIR, default /run/mixnet-k8s). */
export function kubeEnvFile(): string {
  return join(process.env.MIXNET_K8S_STATE_DIR ?? '/run/mixnet-k8s', 'env');
}

/** The kubeconfig to use: $KUBECONFIG, else the one k8s-up.sh names, else the client's default. */
export function kubeconfigPath(): string | undefined {
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG;
  const file = kubeEnvFile();
  if (!existsSync(file)) return undefined;
  const m = /^(?:export\s+)?KUBECONFIG=(.*)$/m.exec(readFileSync(file, 'utf8'));
  return m?.[1]?.trim().replace(/^['"]|['"]$/g, '');
}

const status = (err: unknown): number | undefined => (err as { code?: number }).code;
const reason = (err: unknown): string => {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? (err as Error).message;
};

export function connectKube(o: KubeOptions = {}): Kube {
  const config = new KubeConfig();
  const file = kubeconfigPath();
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined;
  if (!file && !inCluster && !existsSync(join(homedir(), '.kube', 'config')))
    throw new KubeError(
      'no kubeconfig: set KUBECONFIG or write ~/.kube/config for your cluster (kind, k3s, a cloud one), or start the test cluster with testnet/scripts/k8s-up.sh',
    );
  try {
    if (file && !process.env.KUBECONFIG) config.loadFromFile(file);
    else config.loadFromDefault();
  } catch (err) {
    throw new KubeError(`cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(err as Error).message}`);
  }
  if (o.context) {
    if (!config.getContexts().some((c) => c.name === o.context))
      throw new KubeError(
        `--context: no context "${o.context}" in the kubeconfig (it has: ${config
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    config.setCurrentContext(o.context);
  }
  const server = config.getCurrentCluster()?.server;
  if (!server)
    throw new KubeError(
      'no Kubernetes cluster configured: set KUBECONFIG (or ~/.kube/config), or start the test cluster with testnet/scripts/k8s-up.sh',
    );
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
    server,
  };
}

/** Wraps a call's error into one that says what failed and why. */
export async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    const code = status(err);
    throw new KubeError(`${what} failed${code ? ` (HTTP ${code})` : ''}: ${reason(err)}`);
  }
}

/** null when the object does not exist. */
async function orNull<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (err) {
    if (status(err) === 404) return null;
    throw err;
  }
}

/** The cluster answers (lists its nodes); returns their names and InternalIPs. */
export async function clusterNodes(
  kube: Kube,
): Promise<{ name: string; ip?: string; ready: boolean; podCidrs: string[] }[]> {
  const list = await call(`listing the nodes of ${kube.server}`, () => kube.core.listNode());
  return list.items.map((n) => ({
    name: n.metadata?.name as string,
    podCidrs: (n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])).filter((c) => !c.includes(':')),
    ...(n.status?.addresses?.find((a) => a.type === 'InternalIP')
      ? { ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address as string }
      : {}),
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  }));
}

/** Creates the namespace when missing; true when this call created it. */
export async function ensureNamespace(kube: Kube, namespace: string, runId: string): Promise<boolean> {
  const existing = await call(`reading namespace ${namespace}`, () =>
    orNull(() => kube.core.readNamespace({ name: namespace })),
  );
  if (existing) {
    if (existing.status?.phase === 'Terminating')
      throw new KubeError(`namespace ${namespace} is still being deleted; wait, or pick another with --namespace`);
    return false;
  }
  await call(`creating namespace ${namespace}`, () =>
    kube.core.createNamespace({
      body: {
        metadata: { name: namespace, labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.run]: runId } },
      },
    }),
  );
  return true;
}

export async function createObject<T extends KubernetesObject>(kube: Kube, obj: T): Promise<T> {
  return call(`creating ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`, () => kube.objects.create(obj));
}

export async function listPods(kube: Kube, namespace: string, selector: string): Promise<V1Pod[]> {
  const list = await call(`listing pods in ${namespace}`, () =>
    kube.core.listNamespacedPod({ namespace, labelSelector: selector }),
  );
  return list.items;
}

export const podReady = (p: V1Pod): boolean =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

/** Why a pod cannot start (image missing, crash loop), when its containers say so. */
export function podTrouble(p: V1Pod): string | undefined {
  for (const c of p.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && /ErrImage|ImagePull|CrashLoop|CreateContainer|InvalidImage/.test(waiting))
      return `${waiting}${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ''}`;
  }
  const unschedulable = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
  return unschedulable ? `Unschedulable: ${unschedulable.message ?? ''}` : undefined;
}

export async function podLog(kube: Kube, namespace: string, pod: string, tailLines?: number): Promise<string> {
  return call(`reading the log of pod ${pod}`, () =>
    kube.core.readNamespacedPodLog({ name: pod, namespace, ...(tailLines ? { tailLines } : {}) }),
  );
}

export async function deletePod(kube: Kube, namespace: string, pod: string, graceSeconds?: number): Promise<void> {
  await call(`deleting pod ${pod}`, () =>
    orNull(() =>
      kube.core.deleteNamespacedPod({
        name: pod,
        namespace,
        ...(graceSeconds !== undefined ? { gracePeriodSeconds: graceSeconds } : {}),
      }),
    ),
  );
}

export async function setReplicas(kube: Kube, namespace: string, name: string, replicas: number): Promise<void> {
  const scale = await call(`reading the scale of deployment ${name}`, () =>
    kube.apps.readNamespacedDeploymentScale({ name, namespace }),
  );
  scale.spec = { ...scale.spec, replicas };
  await call(`scaling deployment ${name} to ${replicas}`, () =>
    kube.apps.replaceNamespacedDeploymentScale({ name, namespace, body: scale }),
  );
}

export async function replicasOf(kube: Kube, namespace: string, name: string): Promise<number | undefined> {
  const d = await call(`reading deployment ${name}`, () =>
    orNull(() => kube.apps.readNamespacedDeployment({ name, namespace })),
  );
  return d ? (d.spec?.replicas ?? 1) : undefined;
}

/** What of the testnet is left in the namespace (selector: its run label). */
export async function remaining(kube: Kube, namespace: string, selector: string): Promise<string[]> {
  const q = { namespace, labelSelector: selector };
  const [deployments, replicaSets, pods, services, configMaps, secrets] = await Promise.all([
    call('listing deployments', () => kube.apps.listNamespacedDeployment(q)),
    call('listing replicasets', () => kube.apps.listNamespacedReplicaSet(q)),
    call('listing pods', () => kube.core.listNamespacedPod(q)),
    call('listing services', () => kube.core.listNamespacedService(q)),
    call('listing configmaps', () => kube.core.listNamespacedConfigMap(q)),
    call('listing secrets', () => kube.core.listNamespacedSecret(q)),
  ]);
  return [
    ...deployments.items.map((x) => `deployment/${x.metadata?.name}`),
    ...replicaSets.items.map((x) => `replicaset/${x.metadata?.name}`),
    ...pods.items.map((x) => `pod/${x.metadata?.name}`),
    ...services.items.map((x) => `service/${x.metadata?.name}`),
    ...configMaps.items.map((x) => `configmap/${x.metadata?.name}`),
    ...secrets.items.map((x) => `secret/${x.metadata?.name}`),
  ];
}

/** Deletes every object of the selector (pods get their grace: nodes forward what they hold). */
export async function deleteAll(kube: Kube, namespace: string, selector: string): Promise<void> {
  const q = { namespace, labelSelector: selector, propagationPolicy: 'Background' };
  await call('deleting deployments', () => kube.apps.deleteCollectionNamespacedDeployment(q));
  await call('deleting replicasets', () => kube.apps.deleteCollectionNamespacedReplicaSet(q));
  await call('deleting pods', () => kube.core.deleteCollectionNamespacedPod(q));
  // Services have no deleteCollection: one by one.
  const services = await call('listing services', () =>
    kube.core.listNamespacedService({ namespace, labelSelector: selector }),
  );
  for (const s of services.items)
    await call(`deleting service ${s.metadata?.name}`, () =>
      orNull(() => kube.core.deleteNamespacedService({ name: s.metadata?.name as string, namespace })),
    );
  await call('deleting configmaps', () => kube.core.deleteCollectionNamespacedConfigMap(q));
  await call('deleting secrets', () => kube.core.deleteCollectionNamespacedSecret(q));
}

export async function deleteNamespace(kube: Kube, namespace: string, timeoutMs: number): Promise<void> {
  await call(`deleting namespace ${namespace}`, () => orNull(() => kube.core.deleteNamespace({ name: namespace })));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ns = await call(`reading namespace ${namespace}`, () =>
      orNull(() => kube.core.readNamespace({ name: namespace })),
    );
    if (!ns) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new KubeError(`namespace ${namespace} still exists ${timeoutMs} ms after its deletion`);
}
