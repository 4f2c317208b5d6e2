import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Deployment, V1Secret, V1Service } from '@kubernetes/client-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayIds, type TestnetPlan } from './generate.js';
import { generateForKubernetes, podConfig } from './kubernetes-files.js';
import {
  buildManifests,
  configMapName,
  HOST_IP,
  type KubeObject,
  LABELS,
  type ManifestOptions,
  POD_IP,
  secretName,
  startScript,
  validName,
  type WorkloadSpec,
} from './kubernetes-manifests.js';
import { paths } from './layout.js';
import { DEFAULT_PLAN } from './testnet.js';

const plan: TestnetPlan = { ...DEFAULT_PLAN, layers: 3, nodesPerLayer: 2, gateways: 2, standby: 1 };
const hosts = {
  directoryHost: '10.96.0.10',
  chainHost: '10.96.0.11',
  gatewayNodePorts: { 'gateway-1': 31001, 'gateway-2': 31002 },
};
let dir: string;
let workloads: WorkloadSpec[];

const opts = (o: Partial<ManifestOptions> = {}): ManifestOptions => ({
  namespace: 'mixnet-test',
  runId: 'abc123',
  image: 'mixnet-testnet',
  imagePullPolicy: 'Never',
  spread: false,
  workloads,
  ...o,
});
const ofKind = <T extends KubeObject>(objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind) as T[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
  ({ workloads } = await generateForKubernetes(dir, plan, hosts));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubernetes manifests', () => {
  it('has one Deployment per process, each with a valid name and one replica', () => {
    const objs = buildManifests(opts({ withNamespace: true }));
    const deployments = ofKind<V1Deployment>(objs, 'Deployment');
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual(
      [...relayIds(plan), 'directory', 'chain', 'service-provider', 'network-requester'].sort(),
    );
    for (const o of objs) {
      expect(validName(o.metadata?.name as string), `${o.kind} ${o.metadata?.name}`).toBe(true);
      if (o.kind !== 'Namespace') expect(o.metadata?.namespace).toBe('mixnet-test');
      expect(o.metadata?.labels?.[LABELS.run]).toBe('abc123');
    }
    for (const d of deployments) {
      expect(d.spec?.replicas).toBe(1);
      expect(d.spec?.strategy?.type).toBe('Recreate');
      const pod = d.spec?.template.spec;
      expect(pod?.containers[0]?.imagePullPolicy).toBe('Never');
      expect(pod?.securityContext?.runAsNonRoot).toBe(true);
      expect(pod?.containers[0]?.securityContext?.capabilities?.drop).toEqual(['ALL']);
      // The selector picks the pod template's labels.
      for (const [k, v] of Object.entries(d.spec?.selector.matchLabels ?? {}))
        expect(d.spec?.template.metadata?.labels?.[k]).toBe(v);
    }
  });

  it('gives every node a readiness probe on /health (the chain: its RPC port)', () => {
    for (const d of ofKind<V1Deployment>(buildManifests(opts()), 'Deployment')) {
      const probe = d.spec?.template.spec?.containers[0]?.readinessProbe;
      if (d.metadata?.name === 'chain') expect(probe?.tcpSocket?.port).toBe(8545);
      else {
        expect(probe?.httpGet?.path, d.metadata?.name).toBe('/health');
        expect(probe?.httpGet?.port).toBe(d.metadata?.name === 'directory' ? 8080 : 9100);
      }
    }
  });

  it('puts every private file into a Secret and none into a ConfigMap', () => {
    const objs = buildManifests(opts());
    const secrets = ofKind<V1Secret>(objs, 'Secret');
    const secretValues = secrets.flatMap((s) =>
      Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
    );
    // Every file of every key folder (private keys, admin tokens) is in its node's Secret.
    for (const id of readdirSync(join(dir, 'keys'))) {
      const keyDir = paths(dir).keys(id);
      let entries: string[] = [];
      try {
        entries = readdirSync(keyDir);
      } catch {
        continue; // keys/admin.token is the CLI's own file
      }
      const secret = secrets.find((s) => s.metadata?.name === secretName(id));
      expect(secret, id).toBeDefined();
      for (const f of entries)
        expect(Buffer.from(secret?.data?.[f] ?? '', 'base64').toString('utf8')).toBe(
          readFileSync(join(keyDir, f), 'utf8'),
        );
    }
    const cliToken = readFileSync(join(dir, 'keys', 'admin.token'), 'utf8').trim();
    for (const cm of ofKind<V1ConfigMap>(objs, 'ConfigMap')) {
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        expect(k).not.toMatch(/\.(key|token)$/);
        expect(v).not.toContain(cliToken);
        for (const s of secretValues) if (s.trim().length >= 16) expect(v).not.toContain(s.trim());
      }
    }
    expect(secretValues.length).toBeGreaterThan(10);
  });

  it('spreads each layer over kubernetes.io/hostname with --spread, and not without', () => {
    const spread = ofKind<V1Deployment>(buildManifests(opts({ spread: true })), 'Deployment');
    for (const d of spread.filter((x) => x.metadata?.labels?.[LABELS.role] === 'mix')) {
      const c = d.spec?.template.spec?.topologySpreadConstraints ?? [];
      const hard = c.find((x) => x.whenUnsatisfiable === 'DoNotSchedule');
      expect(hard?.topologyKey).toBe('kubernetes.io/hostname');
      expect(hard?.maxSkew).toBe(1);
      // It counts this layer's mixes of this run, which the pod's own labels match.
      const match = hard?.labelSelector?.matchLabels ?? {};
      expect(match[LABELS.layer]).toBe(d.metadata?.labels?.[LABELS.layer]);
      for (const [k, v] of Object.entries(match)) expect(d.spec?.template.metadata?.labels?.[k]).toBe(v);
    }
    const plain = ofKind<V1Deployment>(buildManifests(opts()), 'Deployment');
    for (const d of plain) expect(d.spec?.template.spec?.topologySpreadConstraints).toBeUndefined();
  });

  it('exposes the directory and gateways as NodePorts and the chain inside only', () => {
    const services = ofKind<V1Service>(
      buildManifests(opts({ nodePorts: { directory: 30780, gateways: { 'gateway-1': 30781, 'gateway-2': 30782 } } })),
      'Service',
    );
    const byName = Object.fromEntries(services.map((s) => [s.metadata?.name, s.spec]));
    expect(Object.keys(byName).sort()).toEqual(['chain', 'directory', 'gateway-1', 'gateway-2']);
    expect(byName.directory?.type).toBe('NodePort');
    expect(byName.directory?.ports?.[0]).toMatchObject({ port: 8080, nodePort: 30780 });
    expect(byName['gateway-2']?.ports?.[0]).toMatchObject({ port: 9000, nodePort: 30782 });
    expect(byName.chain?.type).toBe('ClusterIP');
    expect(byName['gateway-1']?.selector?.[LABELS.id]).toBe('gateway-1');
  });

  it('configs announce the pod IP, reach the directory by its Service, and gateways publish their NodePort', () => {
    const gw = workloads.find((w) => w.id === 'gateway-2') as WorkloadSpec;
    const c = JSON.parse(gw.config as string);
    expect(c.announce).toEqual({ host: POD_IP, port: 1789 });
    expect(c.websocket.announce).toEqual({ host: HOST_IP, port: 31002 });
    expect(c.directory.url).toBe('http://10.96.0.10:8080');
    expect(c.network).toBeUndefined();
    // Until the directory's first document, peers in the pod network count as members.
    expect(c.bootstrapPeers).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    const sp = JSON.parse(workloads.find((w) => w.id === 'service-provider')?.config as string);
    expect(sp.topology).toBeUndefined();
    expect(sp.upstreams.chain).toBe('http://10.96.0.11:8545');
    expect(() => podConfig({ role: 'gateway', id: 'gateway-9' })).toThrow(/gateway-9: no NodePort/);
  });

  it('starts a node from private 0600 copies of its keys and its config with the pod addresses', () => {
    const mix = workloads.find((w) => w.id === 'mix-1-1') as WorkloadSpec;
    const script = startScript(mix);
    expect(script).toContain('umask 077');
    expect(script).toContain(`s/${POD_IP}/$POD_IP/g`);
    expect(script).toContain(`s/${HOST_IP}/$HOST_IP/g`);
    expect(script).toMatch(/exec node .* run mix --config \/mixnet\/configs\/mix-1-1\.json$/);
    const d = ofKind<V1Deployment>(buildManifests(opts()), 'Deployment').find((x) => x.metadata?.name === 'mix-1-1');
    const volumes = d?.spec?.template.spec?.volumes ?? [];
    expect(volumes.find((v) => v.name === 'keys')?.secret).toEqual({
      secretName: secretName('mix-1-1'),
      defaultMode: 0o440,
    });
    expect(volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(configMapName('mix-1-1'));
  });

  it('refuses an invalid name', () => {
    expect(() => buildManifests(opts({ namespace: 'Mixnet_Test' }))).toThrow(/namespace "Mixnet_Test"/);
    expect(validName('mix-1-1')).toBe(true);
    expect(validName('-mix')).toBe(false);
    expect(validName('a'.repeat(64))).toBe(false);
  });

  it('names every node of any plan validly (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 256 }),
        fc.integer({ min: 1, max: 128 }),
        (layers, nodesPerLayer, standby, gateways) => {
          for (const id of relayIds({ ...DEFAULT_PLAN, layers, nodesPerLayer, standby, gateways }))
            for (const name of [id, secretName(id), configMapName(id)]) expect(validName(name), name).toBe(true);
        },
      ),
    );
  });
});
