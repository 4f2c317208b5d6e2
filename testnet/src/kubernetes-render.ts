/**
 * `mixnet testnet manifests`: the objects `up --runtime kubernetes` would create, as one YAML
 * stream for `kubectl apply -f -` or a GitOps repository. Nothing is known of the cluster here, so
 * pods reach the directory and chain by their Services' DNS names and the NodePorts are fixed
 * (from `nodePortBase`: the directory on it, gateway g on base + g). The stream holds the nodes'
 * private keys (in Secrets): keep it as you would keep them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpYaml } from '@kubernetes/client-node';
import { relayIds, type TestnetPlan } from './generate.js';
import { generateForKubernetes, serviceHost } from './kubernetes-files.js';
import { buildManifests, type KubeObject, type ManifestOptions } from './kubernetes-manifests.js';
import { DEFAULT_K8S_IMAGE, DEFAULT_NAMESPACE } from './kubernetes-runtime.js';
import { DEFAULT_PLAN, stripUndefined, type UpOptions } from './testnet.js';

export interface RenderOptions extends Omit<UpOptions, 'dir'> {
  namespace?: string;
  image?: string;
  imagePullPolicy?: ManifestOptions['imagePullPolicy'];
  spread?: boolean;
  /** First NodePort (default 30780; the cluster's range is usually 30000–32767). */
  nodePortBase?: number;
}

export interface RenderResult {
  objects: KubeObject[];
  yaml: string;
  /** What a client outside needs besides a node's address: the directory's key and NodePort. */
  directory: { publicKey: string; nodePort: number };
}

export const DEFAULT_NODE_PORT_BASE = 30_780;

export async function renderKubernetesManifests(o: RenderOptions): Promise<RenderResult> {
  const plan: TestnetPlan = { ...DEFAULT_PLAN, ...stripUndefined(o), host: '0.0.0.0' };
  const namespace = o.namespace ?? DEFAULT_NAMESPACE;
  const base = o.nodePortBase ?? DEFAULT_NODE_PORT_BASE;
  const gateways = relayIds(plan).filter((id) => id.startsWith('gateway-'));
  const nodePorts = {
    directory: base,
    gateways: Object.fromEntries(gateways.map((id) => [id, base + Number(id.slice('gateway-'.length))])),
  };
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-manifests-'));
  try {
    const { state, workloads } = await generateForKubernetes(dir, plan, {
      directoryHost: serviceHost('directory', namespace),
      chainHost: serviceHost('chain', namespace),
      gatewayNodePorts: nodePorts.gateways,
    });
    const image = o.image ?? DEFAULT_K8S_IMAGE;
    const objects = buildManifests({
      namespace,
      runId: 'manifests',
      image,
      imagePullPolicy: o.imagePullPolicy ?? (image === DEFAULT_K8S_IMAGE ? 'Never' : 'IfNotPresent'),
      spread: o.spread ?? false,
      workloads,
      nodePorts,
      withNamespace: true,
    });
    const yaml = objects.map((x) => dumpYaml(x)).join('---\n');
    return { objects, yaml, directory: { publicKey: state.directory?.publicKey as string, nodePort: base } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
