/**
 * Issue 18: the testnet on a real Kubernetes cluster, through the built CLI. The cluster is the one
 * KUBECONFIG names (on the test machine testnet/scripts/k8s-up.sh starts a two-node one and writes
 * its KUBECONFIG to /run/mixnet-k8s/env, which the runtime reads); the image is built with the
 * docker runtime's build and loaded into every node with testnet/scripts/k8s-load-image.sh. Without
 * a cluster these tests are left out, loudly, except in CI, where they run and fail by name.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@mixnet/client';
import { clientNetwork, createTrafficFlow, readState } from '@mixnet/testnet';
import { buildImage, useDockerEngine } from '@mixnet/testnet/docker';
import { clusterNodes, connectKube, deletePod, type Kube, listPods, remaining } from '@mixnet/testnet/kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/cli.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LOAD_IMAGE = join(REPO, 'testnet/scripts/k8s-load-image.sh');

async function findCluster(): Promise<{ kube: Kube; nodes: number } | { why: string }> {
  try {
    const kube = connectKube();
    const nodes = await Promise.race([
      clusterNodes(kube),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 15 s')), 15_000)),
    ]);
    return { kube, nodes: nodes.filter((n) => n.ready).length };
  } catch (err) {
    return { why: (err as Error).message };
  }
}

const cluster = await findCluster();
const available = 'kube' in cluster;
if (!available && !process.env.CI)
  process.stderr.write(
    `\n!! no Kubernetes cluster answers (${cluster.why}): the kubernetes runtime tests are NOT run. Start the two-node test cluster with testnet/scripts/k8s-up.sh (or point KUBECONFIG at a cluster that has the mixnet-testnet image) and run: npx vitest run packages/cli/src/kubernetes.test.ts\n\n`,
  );

describe.runIf(available || process.env.CI)('mixnet testnet up --runtime kubernetes', () => {
  const namespace = `mixnet-t-${Math.random().toString(36).slice(2, 8)}`;
  const state = mkdtempSync(join(tmpdir(), 'mixnet-k8s-'));
  let kube: Kube;

  beforeAll(async () => {
    expect(
      available,
      `CI needs a Kubernetes cluster (testnet/scripts/k8s-up.sh): ${'why' in cluster ? cluster.why : ''}`,
    ).toBe(true);
    kube = (cluster as { kube: Kube }).kube;
    // The nodes have no registry: build the image and load it into each node's containerd.
    if (!process.env.MIXNET_K8S_IMAGE_LOADED) {
      useDockerEngine();
      const image = await buildImage(() => {});
      expect(existsSync(LOAD_IMAGE), `${LOAD_IMAGE} loads the image into the test cluster`).toBe(true);
      const load = spawnSync(LOAD_IMAGE, [image], { encoding: 'utf8', timeout: 300_000 });
      expect(load.status, `${load.stdout}\n${load.stderr}`).toBe(0);
    }
  }, 900_000);

  afterAll(async () => {
    // Whatever a failed test left: the CLI's down, then the namespace itself.
    if (readState(state)) await runCli(['testnet', 'down', '--state', state], 180_000);
    await kube?.core.deleteNamespace({ name: namespace }).catch(() => {});
  }, 240_000);

  it('spreads 3 layers × 2 mixes over the nodes, relays a transaction, survives a mix pod deletion, and down empties the namespace', {
    timeout: 1_200_000,
  }, async () => {
    const up = await runCli(
      [
        'testnet',
        'up',
        '--runtime',
        'kubernetes',
        '--namespace',
        namespace,
        '--layers',
        '3',
        '--active-per-layer',
        '2',
        '--spread',
        '--epoch',
        '10s',
        '--state',
        state,
        '--detach',
        '--json',
      ],
      600_000,
    );
    expect(up.code, up.stderr).toBe(0);
    const info = JSON.parse(up.stdout) as {
      runtime: string;
      readyMs: number;
      processes: { id: string; pod?: string }[];
    };
    expect(info.runtime).toBe('kubernetes');
    expect(info.processes.every((p) => typeof p.pod === 'string')).toBe(true);
    process.stderr.write(`kubernetes testnet (3 × 2, --spread) ready in ${(info.readyMs / 1000).toFixed(1)} s\n`);

    // status: every pod up, and the mixes on both nodes, no layer on one node alone.
    const status = JSON.parse((await runCli(['testnet', 'status', '--state', state, '--json'])).stdout) as {
      processes: { id: string; role: string; layer?: number; health: string; node?: string }[];
    };
    expect(status.processes.filter((p) => p.health !== 'up').map((p) => p.id)).toEqual([]);
    const mixes = status.processes.filter((p) => p.role === 'mix');
    expect(mixes).toHaveLength(6);
    const nodes = (cluster as { nodes: number }).nodes;
    expect(nodes, 'the test cluster has two Ready nodes').toBeGreaterThanOrEqual(2);
    expect(new Set(mixes.map((m) => m.node)).size).toBeGreaterThanOrEqual(2);
    for (const layer of [1, 2, 3]) {
      const on = new Set(mixes.filter((m) => m.layer === layer).map((m) => m.node));
      expect(on.size, `layer ${layer} on ${[...on].join(', ')}`).toBe(2);
    }
    const table = await runCli(['testnet', 'status', '--state', state]);
    expect(table.stdout).toMatch(/\bnode\b/);
    expect(table.stdout).toMatch(/epoch \d+/);

    // A transaction from this shell: through the directory's and gateway's NodePorts.
    const started = performance.now();
    const tx = await runCli(['relay-tx', '--state', state, '--json'], 240_000);
    expect(tx.code, tx.stderr).toBe(0);
    expect((JSON.parse(tx.stdout) as { status: string }).status).toBe('success');
    process.stderr.write(
      `relay-tx from outside the cluster: ${((performance.now() - started) / 1000).toFixed(1)} s (CLI run)\n`,
    );

    const logs = await runCli(['testnet', 'logs', 'mix-1-1', '--state', state]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);

    await expectExactlyOnceAcrossPodDeletion(state, namespace);

    // stop/start through the API: the Deployment scales to 0 and back, the pod comes back Ready.
    for (const action of ['stop', 'start']) {
      const r = await runCli(['testnet', action, 'mix-3-2', '--state', state], 240_000);
      expect(r.code, r.stderr).toBe(0);
    }

    const down = await runCli(['testnet', 'down', '--state', state], 240_000);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftIn(namespace)).toEqual([]);
  });

  /** Everything in the namespace (not only our label), or nothing when it is gone. */
  async function leftIn(ns: string): Promise<string[]> {
    const gone = await kube.core.readNamespace({ name: ns }).then(
      () => false,
      () => true,
    );
    if (gone) return [];
    const all = await remaining(kube, ns, '');
    // Every namespace gets the cluster's CA bundle; it is not ours.
    return all.filter((x) => x !== 'configmap/kube-root-ca.crt');
  }
});

/**
 * Two clients outside the cluster, a steady stream between them; a mix pod is deleted (at once,
 * as a crash) mid-stream and its Deployment replaces it: every message still arrives exactly once.
 */
async function expectExactlyOnceAcrossPodDeletion(dir: string, namespace: string): Promise<void> {
  const s = readState(dir);
  if (!s?.kubernetes) throw new Error('no kubernetes state');
  const kube = connectKube();
  const traffic = { cover: false, sendGapMs: 0, mu: Math.min(s.mu, 5) };
  const from = await createClient({ ...clientNetwork(s), traffic });
  const to = await createClient({ ...clientNetwork(s), traffic });
  try {
    const flow = createTrafficFlow({ from, to, rateHz: 4, sizes: { min: 64, max: 2_000 } });
    flow.phase = 'before';
    await flow.sent('before', 12);
    const victim = (await listPods(kube, namespace, `mixnet.io/run=${s.kubernetes.runId},mixnet.io/id=mix-2-1`))[0];
    expect(victim, 'the pod of mix-2-1').toBeDefined();
    await deletePod(kube, namespace, victim?.metadata?.name as string, 0);
    flow.phase = 'after';
    await flow.sent('after', 40);
    await flow.stop(120_000);
    const bad = flow.records.filter((m) => m.deliveries !== 1 || m.error !== undefined);
    expect(bad.map((m) => `#${m.seq} ${m.phase}: ${m.deliveries} deliveries${m.error ? `, ${m.error}` : ''}`)).toEqual(
      [],
    );
    expect(flow.records.length).toBeGreaterThanOrEqual(52);
  } finally {
    await from.close({ flushMs: 0 });
    await to.close({ flushMs: 0 });
  }
  // The Deployment brought a new pod of mix-2-1 up.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const st = JSON.parse((await runCli(['testnet', 'status', '--state', dir, '--json'])).stdout) as {
      processes: { id: string; health: string }[];
    };
    if (st.processes.find((p) => p.id === 'mix-2-1')?.health === 'up') break;
    if (Date.now() > deadline) throw new Error('mix-2-1 did not come back after its pod was deleted');
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
