/**
 * `mixnet testnet up|down --runtime kubernetes`: the testnet on the cluster the user's kubeconfig
 * names (manifests in kubernetes-manifests.ts, API calls in kube-api.ts). The state folder keeps the
 * generated keys and configs as for the other runtimes, plus what clients outside the cluster dial:
 * the directory's and each gateway's NodePort on a node's address.
 *
 * Order: the namespace, then the Services (their ClusterIPs and NodePorts go into the configs), then
 * Secrets and ConfigMaps, then one Deployment per node in the order of the other runtimes
 * (startInOrder), each waited for until its pod is Ready (readiness probe on /health).
 */
import { rmSync } from 'node:fs';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { relayIds, type TestnetPlan } from './generate.js';
import {
  clusterNodes,
  connectKube,
  createObject,
  deleteAll,
  deleteNamespace,
  ensureNamespace,
  type Kube,
  type KubeOptions,
  listPods,
  podReady,
  podTrouble,
  remaining,
} from './kube-api.js';
import { checkKubernetesPlan, generateForKubernetes, type KubernetesHosts, serviceHost } from './kubernetes-files.js';
import {
  buildManifests,
  deploymentOf,
  K8S_PORTS,
  LABELS,
  type ManifestOptions,
  podSelector,
  servicesOf,
  type WorkloadSpec,
} from './kubernetes-manifests.js';
import { type KubernetesState, type ProcessEntry, paths, readState, type TestnetState, writeState } from './layout.js';
import { processStart } from './proc-start.js';
import {
  DEFAULT_PLAN,
  refuseIfRunning,
  startInOrder,
  stripUndefined,
  TestnetError,
  type UpOptions,
} from './testnet.js';

export const DEFAULT_NAMESPACE = 'mixnet';
export const DEFAULT_K8S_IMAGE = 'mixnet-testnet';

export interface KubernetesUpOptions extends UpOptions, KubeOptions {
  namespace?: string;
  image?: string;
  /** Default: Never for the local mixnet-testnet image (loaded into the nodes), else IfNotPresent. */
  imagePullPolicy?: ManifestOptions['imagePullPolicy'];
  spread?: boolean;
  /** The address outside clients dial NodePorts on (default: the first Ready node's InternalIP). */
  nodeAddress?: string;
  /** How long one pod may take to be Ready (default 120 s; the chain 180 s). */
  podTimeoutMs?: number;
}

export const runSelector = (runId: string) => `${LABELS.run}=${runId}`;

/** The pod now serving `id` (not one being deleted), if any. */
export function currentPod(pods: V1Pod[], id: string): V1Pod | undefined {
  return pods
    .filter((p) => p.metadata?.labels?.[LABELS.id] === id && !p.metadata?.deletionTimestamp)
    .sort(
      (a, b) =>
        new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
    )[0];
}

/** Records where a node's pod runs, in its state entry. */
export function recordPod(p: ProcessEntry, pod: V1Pod, k: KubernetesState): void {
  p.pod = pod.metadata?.name as string;
  if (pod.spec?.nodeName) p.node = pod.spec.nodeName;
  const ip = pod.status?.podIP;
  if (!ip) return;
  if (p.role === 'mix' || p.role === 'gateway') p.address = `${ip}:${K8S_PORTS.packets}`;
  if (p.role === 'mix' || p.role === 'gateway' || p.role === 'service-provider' || p.role === 'network-requester')
    p.metricsUrl = `http://${ip}:${K8S_PORTS.metrics}`;
  if (p.role === 'gateway') p.url = `ws://${k.nodeAddress}:${k.nodePorts.gateways[p.id]}`;
}

/** Waits until the pod of `id` is Ready; fails early, naming why, when it cannot start. */
export async function waitPodReady(kube: Kube, k: KubernetesState, id: string, timeoutMs: number): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  while (Date.now() < deadline) {
    last = currentPod(await listPods(kube, k.namespace, podSelector(k.runId, id)), id);
    if (last && podReady(last)) return last;
    const trouble = last && podTrouble(last);
    // A crash loop may be a slow dependency: give it the whole timeout; image and scheduling errors do not heal.
    if (trouble && !/CrashLoop/.test(trouble))
      throw new TestnetError(`${id}: pod ${last?.metadata?.name}: ${trouble}${imageHint(trouble, k)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const why = last ? (podTrouble(last) ?? `phase ${last.status?.phase}`) : 'no pod was created';
  throw new TestnetError(
    `${id} not Ready after ${timeoutMs} ms (${why}); see \`mixnet testnet logs ${id}\` or kubectl -n ${k.namespace} describe pod`,
  );
}

function imageHint(trouble: string, k: KubernetesState): string {
  if (!/ErrImage|ImagePull/.test(trouble)) return '';
  return `\nthe nodes do not have the image ${k.image}: load it into each node (test cluster: testnet/scripts/k8s-load-image.sh ${k.image}; kind: kind load docker-image ${k.image}; k3s: docker save ${k.image} | k3s ctr images import -), or push it to a registry and pass --image`;
}

/** Polls `url` until it answers 200 (a NodePort once kube-proxy has its endpoint). */
async function waitReachable(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      why = `HTTP ${res.status}`;
    } catch (err) {
      why = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new TestnetError(
    `${url} does not answer from here (${why}): is the node address reachable? pass --node-address`,
  );
}

async function createServices(kube: Kube, o: ManifestOptions): Promise<V1Service[]> {
  const out: V1Service[] = [];
  for (const s of servicesOf(o)) out.push(await createObject(kube, s));
  return out;
}

/** The Services' stubs: which nodes get one, before anything is generated. */
function serviceStubs(plan: TestnetPlan): WorkloadSpec[] {
  return [
    { id: 'directory', role: 'directory', secrets: {} },
    ...(plan.chain === 'hardhat' ? [{ id: 'chain', role: 'chain' as const, secrets: {} }] : []),
    ...relayIds(plan)
      .filter((id) => id.startsWith('gateway-'))
      .map((id) => ({ id, role: 'gateway' as const, secrets: {} })),
  ];
}

export async function upKubernetes(opts: KubernetesUpOptions): Promise<TestnetState> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const plan: TestnetPlan = { ...DEFAULT_PLAN, ...stripUndefined(opts), host: '0.0.0.0' };
  checkKubernetesPlan(plan);
  const previous = readState(opts.dir);
  if (previous?.runtime === 'kubernetes' && previous.kubernetes) {
    const kube = connectKube(previous.kubernetes.context ? { context: previous.kubernetes.context } : {});
    const left = await remaining(kube, previous.kubernetes.namespace, runSelector(previous.kubernetes.runId)).catch(
      () => [],
    );
    if (left.length > 0)
      throw new TestnetError(
        `a testnet is already running from ${opts.dir} (namespace ${previous.kubernetes.namespace}, ${left.length} objects); use \`mixnet testnet status\` or \`mixnet testnet down\` first`,
      );
  } else refuseIfRunning(opts.dir);

  const kube = connectKube(opts.context ? { context: opts.context } : {});
  const nodes = await clusterNodes(kube).catch((err: Error) => {
    throw new TestnetError(
      `no Kubernetes cluster answers (${err.message}); set KUBECONFIG, or start the test cluster with testnet/scripts/k8s-up.sh`,
    );
  });
  const ready = nodes.filter((n) => n.ready);
  const nodeAddress = opts.nodeAddress ?? ready.find((n) => n.ip)?.ip;
  if (!nodeAddress) throw new TestnetError(`no Ready node with an InternalIP in ${kube.server}; pass --node-address`);
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const image = opts.image ?? DEFAULT_K8S_IMAGE;
  const runId = Math.random().toString(36).slice(2, 8);
  const base: ManifestOptions = {
    namespace,
    runId,
    image,
    imagePullPolicy: opts.imagePullPolicy ?? (image === DEFAULT_K8S_IMAGE ? 'Never' : 'IfNotPresent'),
    spread: opts.spread ?? false,
    workloads: serviceStubs(plan),
  };
  progress(
    `cluster ${kube.server}: ${ready.length} of ${nodes.length} nodes Ready (${nodes.map((n) => n.name).join(', ')}); namespace ${namespace}`,
  );
  const createdNamespace = await ensureNamespace(kube, namespace, runId);
  const k: KubernetesState = {
    ...(opts.context ? { context: opts.context } : {}),
    namespace,
    runId,
    image,
    spread: base.spread,
    createdNamespace,
    nodeAddress,
    nodePorts: { directory: 0, gateways: {} },
  };
  // Recorded before anything is created in the cluster: `down` finds it all by its run label.
  writeState(opts.dir, {
    version: 1,
    runtime: 'kubernetes',
    createdAt: new Date().toISOString(),
    layers: plan.layers,
    nodesPerLayer: plan.nodesPerLayer,
    mu: plan.mu,
    topologyPath: paths(opts.dir).topology,
    processes: [],
    kubernetes: k,
  });
  try {
    const services = await createServices(kube, base);
    const byName = new Map(services.map((s) => [s.metadata?.name as string, s.spec]));
    const clusterIp = (name: string) => {
      const ip = byName.get(name)?.clusterIP;
      return ip && ip !== 'None' ? ip : serviceHost(name, namespace);
    };
    const nodePort = (name: string) => byName.get(name)?.ports?.[0]?.nodePort as number;
    const hosts: KubernetesHosts = {
      directoryHost: clusterIp('directory'),
      chainHost: clusterIp('chain'),
      ...(nodes.every((n) => n.podCidrs.length > 0) ? { podCidrs: nodes.flatMap((n) => n.podCidrs) } : {}),
      gatewayNodePorts: Object.fromEntries(
        base.workloads.filter((w) => w.role === 'gateway').map((w) => [w.id, nodePort(w.id)]),
      ),
    };
    k.nodePorts = { directory: nodePort('directory'), gateways: hosts.gatewayNodePorts };
    progress(`generating keys and configs for ${plan.layers} layers × ${plan.nodesPerLayer}`);
    const { state, workloads } = await generateForKubernetes(opts.dir, plan, hosts);
    state.runtime = 'kubernetes';
    state.kubernetes = k;
    state.cliPid = process.pid;
    state.cliStarted = processStart(process.pid);
    // Clients outside dial the directory's NodePort; pods use its ClusterIP (in their configs).
    const directoryUrl = `http://${nodeAddress}:${k.nodePorts.directory}`;
    if (state.directory) state.directory = { ...state.directory, url: directoryUrl };
    for (const p of state.processes)
      if (p.role === 'directory') Object.assign(p, { url: directoryUrl, metricsUrl: directoryUrl });
    // The chain answers inside only: the readiness probe stands for startInOrder's eth_chainId check.
    if (state.chainUrl) k.chainUrl = state.chainUrl;
    delete state.chainUrl;
    writeState(opts.dir, state);

    const objects = buildManifests({ ...base, workloads });
    for (const o of objects) if (o.kind === 'ConfigMap' || o.kind === 'Secret') await createObject(kube, o);
    const spec = new Map(workloads.map((w) => [w.id, w]));
    const launch = async (p: ProcessEntry) => {
      await createObject(kube, deploymentOf({ ...base, workloads }, spec.get(p.id) as WorkloadSpec));
      const timeout = opts.podTimeoutMs ?? (p.role === 'chain' ? 180_000 : 120_000);
      const pod = await waitPodReady(kube, k, p.id, timeout);
      recordPod(p, pod, k);
      writeState(opts.dir, state);
      progress(`${p.id} is up (pod ${p.pod} on ${p.node ?? '?'}, ${pod.status?.podIP ?? '?'})`);
      // kube-proxy programs the NodePort a moment after the pod is Ready: wait until it answers here.
      if (p.role === 'directory') await waitReachable(`${directoryUrl}/health`, 60_000);
    };
    return await startInOrder(opts, state, started, launch, () => downKubernetes(opts.dir));
  } catch (err) {
    await downKubernetes(opts.dir).catch(() => {});
    throw err;
  }
}

export interface KubernetesDownOptions {
  /** How long to wait for the namespace to empty (default 120 s). */
  timeoutMs?: number;
}

/** Deletes every object of the testnet in `dir` and waits until none is left (and the namespace, if `up` made it). */
export async function downKubernetes(
  dir: string,
  opts: KubernetesDownOptions = {},
): Promise<{ stopped: string[]; namespace?: string }> {
  const state = readState(dir);
  if (!state?.kubernetes) return { stopped: [] };
  const k = state.kubernetes;
  const kube = connectKube(k.context ? { context: k.context } : {});
  const selector = runSelector(k.runId);
  const pods = await listPods(kube, k.namespace, selector).catch(() => []);
  const stopped = [...new Set(pods.map((p) => p.metadata?.labels?.[LABELS.id]).filter((x): x is string => !!x))];
  await deleteAll(kube, k.namespace, selector);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let left = await remaining(kube, k.namespace, selector);
  while (left.length > 0) {
    if (Date.now() > deadline)
      throw new TestnetError(`namespace ${k.namespace} still holds ${left.join(', ')} after \`down\``);
    await new Promise((r) => setTimeout(r, 500));
    left = await remaining(kube, k.namespace, selector);
  }
  if (k.createdNamespace) await deleteNamespace(kube, k.namespace, Math.max(10_000, deadline - Date.now()));
  rmSync(paths(dir).state, { force: true });
  return { stopped: stopped.sort(), namespace: k.namespace };
}
