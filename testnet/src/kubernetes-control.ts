/**
 * `status`, `logs`, `kill|stop|start NODE` of a kubernetes testnet, through the API: a node is the
 * Deployment of its id. kill: scale to 0 and delete its pod at once (a crash); stop: scale to 0 (its
 * pod gets SIGTERM and its grace); start: scale to 1 and wait until the new pod is Ready. A pod
 * deleted by someone else comes back by itself (the Deployment), with the same keys and a new IP,
 * which the node registers with the directory.
 */
import { connectKube, deletePod, type Kube, listPods, podLog, podReady, replicasOf, setReplicas } from './kube-api.js';
import { LABELS, podSelector } from './kubernetes-manifests.js';
import { currentPod, recordPod, runSelector, waitPodReady } from './kubernetes-runtime.js';
import { readState, type TestnetState, writeState } from './layout.js';
import type { NodeAction, NodeControlResult } from './node-control.js';
import { type StatusEntry, TestnetError, type TestnetStatus, withDirectoryView } from './testnet.js';

function open(dir: string): { state: TestnetState; kube: Kube; k: NonNullable<TestnetState['kubernetes']> } {
  const state = readState(dir);
  if (!state) throw new TestnetError(`no testnet in ${dir}`);
  if (!state.kubernetes) throw new TestnetError(`the testnet in ${dir} does not run on Kubernetes`);
  const k = state.kubernetes;
  return { state, kube: connectKube(k.context ? { context: k.context } : {}), k };
}

/** Each node's pod, its cluster node and readiness, and the directory's view of it. */
export async function kubernetesStatus(dir: string): Promise<TestnetStatus | undefined> {
  if (!readState(dir)) return undefined;
  const { state, kube, k } = open(dir);
  const pods = await listPods(kube, k.namespace, runSelector(k.runId));
  const processes: StatusEntry[] = state.processes.map((p) => {
    const pod = currentPod(pods, p.id);
    const entry: StatusEntry = { ...p, health: pod ? (podReady(pod) ? 'up' : 'starting') : 'down' };
    delete entry.pod;
    delete entry.node;
    if (pod) recordPod(entry, pod, k);
    return entry;
  });
  return withDirectoryView(state, processes);
}

/** The log of one node's pod, or the last `lines` of every node's. */
export async function kubernetesLogs(
  dir: string,
  id: string | undefined,
  lines: number,
): Promise<{ id: string; text: string }[]> {
  const { state, kube, k } = open(dir);
  if (id && !state.processes.some((p) => p.id === id))
    throw new TestnetError(`no process "${id}" in ${dir}; known: ${state.processes.map((p) => p.id).join(', ')}`);
  const pods = await listPods(kube, k.namespace, runSelector(k.runId));
  const ids = id ? [id] : state.processes.map((p) => p.id);
  const out: { id: string; text: string }[] = [];
  for (const x of ids) {
    const pod = currentPod(pods, x);
    if (!pod) {
      if (id) throw new TestnetError(`${x} has no pod (stopped?)`);
      continue;
    }
    out.push({ id: x, text: await podLog(kube, k.namespace, pod.metadata?.name as string, id ? undefined : lines) });
  }
  return out;
}

export async function controlKubernetesNode(
  dir: string,
  id: string,
  action: NodeAction,
  opts: { timeoutMs?: number } = {},
): Promise<NodeControlResult> {
  const { state, kube, k } = open(dir);
  const p = state.processes.find((x) => x.id === id);
  if (!p) throw new TestnetError(`no process "${id}" in ${dir}; known: ${state.processes.map((x) => x.id).join(', ')}`);
  const replicas = await replicasOf(kube, k.namespace, id);
  if (replicas === undefined) throw new TestnetError(`${id} has no Deployment in namespace ${k.namespace}`);
  const up = replicas > 0;
  if (action !== 'start' && !up) throw new TestnetError(`${id} is not running`);
  if (action === 'start' && up) throw new TestnetError(`${id} is already running`);
  const at = Date.now();
  const selector = podSelector(k.runId, id);
  if (action === 'start') {
    await setReplicas(kube, k.namespace, id, 1);
    const pod = await waitPodReady(kube, k, id, opts.timeoutMs ?? (p.role === 'chain' ? 180_000 : 120_000));
    recordPod(p, pod, k);
    writeState(dir, state);
    return { id, action, at };
  }
  await setReplicas(kube, k.namespace, id, 0);
  if (action === 'kill')
    for (const pod of await listPods(kube, k.namespace, selector))
      await deletePod(kube, k.namespace, pod.metadata?.name as string, 0);
  // Done when its pod is gone (stop: after the node's graceful shutdown).
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while ((await listPods(kube, k.namespace, selector)).length > 0) {
    if (Date.now() > deadline)
      throw new TestnetError(`${id}: its pod is still there after ${opts.timeoutMs ?? 60_000} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  delete p.pod;
  writeState(dir, state);
  return { id, action, at };
}

/** The cluster node each pod of the testnet runs on (by node id). */
export async function placement(dir: string): Promise<Record<string, string>> {
  const { kube, k } = open(dir);
  const out: Record<string, string> = {};
  for (const pod of await listPods(kube, k.namespace, runSelector(k.runId))) {
    const id = pod.metadata?.labels?.[LABELS.id];
    if (id && pod.spec?.nodeName && !pod.metadata?.deletionTimestamp) out[id] = pod.spec.nodeName;
  }
  return out;
}
