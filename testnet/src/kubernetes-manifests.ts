/**
 * The Kubernetes objects of a testnet (`--runtime kubernetes`, `mixnet testnet manifests`), as plain
 * data: no cluster is touched here.
 *
 * One Deployment of one replica per node (strategy Recreate), so `kill`/`stop`/`start` of a node is
 * a pod deletion or a scale to 0/1 and a deleted pod comes back with the same keys. Private files
 * (keys, tokens, the exit policy) go into a Secret per node, the config into a ConfigMap per node.
 * Pod IPs are known only when a pod starts: configs carry __POD_IP__ / __HOST_IP__, which the pod's
 * start script fills in from the downward API before it runs the node; nodes then register with the
 * directory by their pod IP. Services: the directory (NodePort, for clients outside), the chain
 * (ClusterIP) and one NodePort per gateway (clients' WebSocket).
 */

import type {
  V1ConfigMap,
  V1Deployment,
  V1Namespace,
  V1Probe,
  V1Secret,
  V1Service,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';
import { nodeFlagsFor } from '@mixnet/node';
import type { Role } from './layout.js';

export const POD_IP = '__POD_IP__';
export const HOST_IP = '__HOST_IP__';
/** Fixed in-pod ports: every pod has its own IP, so every node listens on the same ones. */
export const K8S_PORTS = { packets: 1789, metrics: 9100, websocket: 9000, directory: 8080, chain: 8545 } as const;
export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'mixnet.io/run',
  id: 'mixnet.io/id',
  role: 'mixnet.io/role',
  layer: 'mixnet.io/layer',
} as const;
export const MANAGED_BY = 'mixnet-cli';
const CLI = '/app/packages/cli/dist/main.js';
/** The image's numeric user (testnet/Dockerfile). */
const UID = 10_000;

export interface WorkloadSpec {
  id: string;
  role: Role;
  layer?: number;
  /** The node's config (JSON text, with the placeholders); absent for the chain. */
  config?: string;
  /** Private files of its key folder: a Secret, never a ConfigMap. */
  secrets: Record<string, string>;
  /** Other public files it needs (the chain's hardhat config). */
  files?: Record<string, string>;
}

export interface ManifestOptions {
  namespace: string;
  /** Labels every object, so `down` finds exactly this testnet's objects. */
  runId: string;
  image: string;
  /** `Never` for an image loaded into the nodes (no registry), `IfNotPresent` for a pushed one. */
  imagePullPolicy: 'Never' | 'IfNotPresent' | 'Always';
  /** Topology spread per layer over kubernetes.io/hostname (`--spread`). */
  spread: boolean;
  workloads: WorkloadSpec[];
  /** Fixed node ports (manifests); absent: the cluster assigns them (up reads them back). */
  nodePorts?: { directory?: number; gateways?: Record<string, number> };
  /** Also emit the Namespace object (manifests). */
  withNamespace?: boolean;
}

export type KubeObject = V1Namespace | V1Service | V1ConfigMap | V1Secret | V1Deployment;

/** DNS-1123 label: what Kubernetes accepts as an object name (and a Service name must start with a letter). */
export function validName(name: string): boolean {
  return name.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

export const secretName = (id: string) => `${id}-keys`;
export const configMapName = (id: string) => `${id}-config`;

export function labelsFor(runId: string, w?: Pick<WorkloadSpec, 'id' | 'role' | 'layer'>): Record<string, string> {
  return {
    [LABELS.name]: 'mixnet',
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.run]: runId,
    ...(w ? { [LABELS.id]: w.id, [LABELS.role]: w.role } : {}),
    ...(w?.layer !== undefined ? { [LABELS.layer]: String(w.layer) } : {}),
  };
}

/** The selector of one node's pods. */
export const podSelector = (runId: string, id: string) => `${LABELS.run}=${runId},${LABELS.id}=${id}`;

const meta = (name: string, o: ManifestOptions, labels: Record<string, string>) => ({
  name,
  namespace: o.namespace,
  labels,
});

function checkName(name: string, what: string): string {
  if (!validName(name)) throw new Error(`${what} "${name}" is not a valid Kubernetes name (DNS-1123 label)`);
  return name;
}

/**
 * The pod's start: private copies of its keys (0600, its own uid: the node refuses keys others can
 * read), its config with this pod's addresses filled in, then the node itself.
 */
export function startScript(w: WorkloadSpec): string {
  const lines = ['set -eu', 'umask 077', `mkdir -p /mixnet/configs /mixnet/keys/${w.id} /mixnet/data/${w.id}`];
  if (Object.keys(w.secrets).length > 0)
    lines.push(`for f in /etc/mixnet/keys/*; do cat "$f" > "/mixnet/keys/${w.id}/$(basename "$f")"; done`);
  if (w.role === 'chain') {
    lines.push('mkdir -p /mixnet/chain && cp /etc/mixnet/config/hardhat.config.cjs /mixnet/chain/');
    lines.push(
      `cd /app/testnet && exec node node_modules/hardhat/internal/cli/bootstrap.js --config /mixnet/chain/hardhat.config.cjs node --hostname 0.0.0.0 --port ${K8S_PORTS.chain}`,
    );
    return lines.join('\n');
  }
  const config = `/mixnet/configs/${w.id}.json`;
  lines.push(`sed -e "s/${POD_IP}/$POD_IP/g" -e "s/${HOST_IP}/$HOST_IP/g" /etc/mixnet/config/config.json > ${config}`);
  lines.push(`exec node ${[...nodeFlagsFor(w.role), CLI].join(' ')} run ${w.role} --config ${config}`);
  return lines.join('\n');
}

function probeOf(role: Role): V1Probe {
  const timing = { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 };
  if (role === 'chain') return { tcpSocket: { port: K8S_PORTS.chain }, ...timing };
  const port = role === 'directory' ? K8S_PORTS.directory : K8S_PORTS.metrics;
  return { httpGet: { path: '/health', port }, ...timing };
}

function portsOf(role: Role) {
  if (role === 'chain') return [{ name: 'rpc', containerPort: K8S_PORTS.chain }];
  if (role === 'directory') return [{ name: 'http', containerPort: K8S_PORTS.directory }];
  const metrics = { name: 'metrics', containerPort: K8S_PORTS.metrics };
  if (role === 'mix') return [{ name: 'packets', containerPort: K8S_PORTS.packets }, metrics];
  if (role === 'gateway')
    return [
      { name: 'packets', containerPort: K8S_PORTS.packets },
      { name: 'ws', containerPort: K8S_PORTS.websocket },
      metrics,
    ];
  return [metrics];
}

/**
 * `--spread`: a layer's mixes evenly over the cluster's nodes (hard: no node takes a whole layer
 * when there are two), and all mixes and all gateways as evenly as the scheduler can (soft).
 */
export function spreadOf(runId: string, w: WorkloadSpec): V1TopologySpreadConstraint[] {
  const hostname = 'kubernetes.io/hostname';
  const by = (labels: Record<string, string>, hard: boolean): V1TopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey: hostname,
    whenUnsatisfiable: hard ? 'DoNotSchedule' : 'ScheduleAnyway',
    labelSelector: { matchLabels: { [LABELS.run]: runId, ...labels } },
  });
  if (w.role === 'mix' && w.layer !== undefined)
    return [by({ [LABELS.role]: 'mix', [LABELS.layer]: String(w.layer) }, true), by({ [LABELS.role]: 'mix' }, false)];
  if (w.role === 'gateway') return [by({ [LABELS.role]: 'gateway' }, false)];
  return [];
}

export function deploymentOf(o: ManifestOptions, w: WorkloadSpec): V1Deployment {
  const labels = labelsFor(o.runId, w);
  const hasSecrets = Object.keys(w.secrets).length > 0;
  const spread = o.spread ? spreadOf(o.runId, w) : [];
  const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(checkName(w.id, 'node id'), o, labels),
    spec: {
      replicas: 1,
      // Never two pods with one identity: the old one is gone before the new one starts.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [LABELS.run]: o.runId, [LABELS.id]: w.id } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 10,
          securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID },
          ...(spread.length > 0 ? { topologySpreadConstraints: spread } : {}),
          containers: [
            {
              name: w.role,
              image: o.image,
              imagePullPolicy: o.imagePullPolicy,
              command: ['sh', '-c', startScript(w)],
              env: [
                { name: 'HOME', value: '/tmp' },
                { name: 'HARDHAT_DISABLE_TELEMETRY_PROMPT', value: 'true' },
                fieldEnv('POD_IP', 'status.podIP'),
                fieldEnv('HOST_IP', 'status.hostIP'),
              ],
              ports: portsOf(w.role),
              readinessProbe: probeOf(w.role),
              resources: { requests: { cpu: '50m', memory: w.role === 'chain' ? '256Mi' : '64Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/mixnet/config', readOnly: true },
                ...(hasSecrets ? [{ name: 'keys', mountPath: '/etc/mixnet/keys', readOnly: true }] : []),
                { name: 'work', mountPath: '/mixnet' },
                { name: 'keys-copy', mountPath: `/mixnet/keys` },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: configMapName(w.id) } },
            // Group-readable by the pod's fsGroup only; the start script copies them to 0600.
            ...(hasSecrets ? [{ name: 'keys', secret: { secretName: secretName(w.id), defaultMode: 0o440 } }] : []),
            { name: 'work', emptyDir: {} },
            // The private copies stay in memory, never on the node's disk.
            { name: 'keys-copy', emptyDir: { medium: 'Memory' } },
          ],
        },
      },
    },
  };
}

export function configMapOf(o: ManifestOptions, w: WorkloadSpec): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(checkName(configMapName(w.id), 'ConfigMap'), o, labelsFor(o.runId, w)),
    data: { ...(w.config !== undefined ? { 'config.json': w.config } : {}), ...w.files },
  };
}

export function secretOf(o: ManifestOptions, w: WorkloadSpec): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: meta(checkName(secretName(w.id), 'Secret'), o, labelsFor(o.runId, w)),
    data: Object.fromEntries(Object.entries(w.secrets).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** The Services: the directory and gateways as NodePorts (clients outside), the chain inside only. */
export function servicesOf(o: ManifestOptions): V1Service[] {
  const out: V1Service[] = [];
  const service = (id: string, role: Role, type: 'NodePort' | 'ClusterIP', port: number, nodePort?: number) => {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(checkName(id, 'Service'), o, labelsFor(o.runId, { id, role })),
      spec: {
        type,
        selector: { [LABELS.run]: o.runId, [LABELS.id]: id },
        ports: [{ name: 'main', port, targetPort: port, ...(nodePort !== undefined ? { nodePort } : {}) }],
      },
    });
  };
  for (const w of o.workloads) {
    if (w.role === 'directory') service(w.id, w.role, 'NodePort', K8S_PORTS.directory, o.nodePorts?.directory);
    if (w.role === 'chain') service(w.id, w.role, 'ClusterIP', K8S_PORTS.chain);
    if (w.role === 'gateway') service(w.id, w.role, 'NodePort', K8S_PORTS.websocket, o.nodePorts?.gateways?.[w.id]);
  }
  return out;
}

/** Every object, in the order `kubectl apply -f` should create them. */
export function buildManifests(o: ManifestOptions): KubeObject[] {
  checkName(o.namespace, 'namespace');
  const ns: V1Namespace[] = o.withNamespace
    ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: labelsFor(o.runId) } }]
    : [];
  return [
    ...ns,
    ...servicesOf(o),
    ...o.workloads.map((w) => configMapOf(o, w)),
    ...o.workloads.filter((w) => Object.keys(w.secrets).length > 0).map((w) => secretOf(o, w)),
    ...o.workloads.map((w) => deploymentOf(o, w)),
  ];
}
