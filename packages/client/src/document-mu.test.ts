/**
 * μ from the directory (docs/directory.md §7): a client that did not set traffic.mu draws its
 * per-hop delays with the document's muMs, follows it from epoch to epoch, and an explicit
 * traffic.mu still wins. On real relays: the measured send latency follows the published μ.
 */
import type { Topology, TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type MixnetClient } from './client.js';
import { DEFAULT_TRAFFIC } from './options.js';
import { startTestDirectory, type TestDirectory, testDocument } from './test-support/directory.js';
import { type RunningRelay, startGateway, startMix } from './test-support/relays.js';

const TRAFFIC = { cover: false, sendGapMs: 0, ackWaitAdditionMs: 2_000, maxAttempts: 40 };
const REFRESH = { intervalMs: 60_000, retryMs: 50, maxRetryMs: 200, jitterMs: 10 };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('μ published in the document', () => {
  let relays: RunningRelay<TopologyNode | TopologyGateway>[];
  let topology: Topology;
  let dir: TestDirectory;
  let epoch = 0;
  const clients: MixnetClient[] = [];

  /** The next epoch with `muMs` (or none); it ends soon, so clients ask again and see the next one. */
  const publish = (muMs: number | undefined, validMs = 300) => {
    const doc = testDocument(topology, ++epoch, validMs);
    dir.serveSigned(dir.sign(muMs === undefined ? doc : { ...doc, muMs }));
  };

  beforeAll(async () => {
    const mixes = await Promise.all([startMix('mix-1', 1), startMix('mix-2', 2), startMix('mix-3', 3)]);
    const gw = await startGateway('gw-a');
    relays = [...mixes, gw];
    topology = { layers: mixes.map((m) => [m.entry]), gateways: [gw.entry], serviceProviders: [] };
    dir = await startTestDirectory();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 })));
    await Promise.all(relays.map((r) => r.stop()));
    await dir.stop();
  });

  const client = async (traffic: Record<string, unknown> = {}) => {
    const c = await createClient({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: REFRESH,
      traffic: { ...TRAFFIC, ...traffic },
    });
    clients.push(c);
    return c;
  };

  /** Median time of `n` sends to ourselves, each acknowledged (out and back through 3 mixes). */
  const latency = async (c: MixnetClient, n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await c.send(c.address, new TextEncoder().encode(`m${i}`));
      times.push(performance.now() - t);
    }
    return median(times);
  };

  it('follows the document, epoch by epoch; without one it keeps its default; an explicit traffic.mu wins', async () => {
    publish(undefined);
    const plain = await client();
    const pinned = await client({ mu: 0.5 });
    expect(plain.topologyStatus().muMs).toBe(DEFAULT_TRAFFIC.mu);

    publish(60);
    await waitFor('μ 60', () => plain.topologyStatus().muMs === 60);
    const slow = await latency(plain, 7);
    publish(0.5);
    await waitFor('μ 0.5', () => plain.topologyStatus().muMs === 0.5);
    const fast = await latency(plain, 7);
    expect(pinned.topologyStatus().muMs).toBe(0.5);

    // Out and back, 3 mixes each way at mean 60 ms: ~360 ms against a few ms. The margin is wide.
    expect(slow).toBeGreaterThan(fast + 100);
    publish(60);
    await waitFor('epoch with μ 60', () => plain.topologyStatus().epoch === epoch);
    expect(pinned.topologyStatus().muMs).toBe(0.5);
    expect(plain.topologyStatus().muMs).toBe(60);
  }, 60_000);
});
