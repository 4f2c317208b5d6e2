/**
 * Auto-sizing inside a running directory (docs/directory.md §7): the mixes' packet counters (read
 * as their /metrics would answer) ramp up, and each epoch's signed document follows: μ falls to its
 * floor, then the width grows; with no traffic the largest μ is published.
 */
import { verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDirectoryConfig } from './config.js';
import { createDirectory, type Directory } from './directory.js';
import { directoryFixture, post, testIdentity, until } from './test-support/fixtures.js';

const mixes = Array.from({ length: 8 }, (_, i) => testIdentity(`mix-${i + 1}`));
const gateway = testIdentity('gw-1', 'gateway');

describe('auto-sizing directory', () => {
  let directory: Directory;
  afterAll(async () => {
    await directory?.stop();
  });

  it('config: names the bad field', () => {
    const fx = directoryFixture();
    const auto = (a: Record<string, unknown>) => () => parseDirectoryConfig({ ...fx.config, activeSet: a });
    expect(auto({ mode: 'auto' })).toThrow(/activeSet.anonymityTargetBits/);
    expect(auto({ mode: 'auto', anonymityTargetBits: 0 })).toThrow(/activeSet.anonymityTargetBits/);
    expect(auto({ mode: 'auto', anonymityTargetBits: 6, minWidth: 3, maxWidth: 2 })).toThrow(/activeSet.maxWidth/);
    expect(auto({ mode: 'auto', anonymityTargetBits: 6, mu: { minMs: 9, maxMs: 2 } })).toThrow(/activeSet.mu.maxMs/);
    expect(auto({ mode: 'auto', anonymityTargetBits: 6, mu: { minMs: 1, maxMs: 20_000 } })).toThrow(
      /activeSet.mu.maxMs/,
    );
    expect(
      parseDirectoryConfig({ ...fx.config, activeSet: { mode: 'auto', anonymityTargetBits: 6 } }).activeSet,
    ).toEqual({ mode: 'auto', anonymityTargetBits: 6, minWidth: 1, maxWidth: 16, mu: { minMs: 1, maxMs: 200 } });
  });

  it('as the traffic ramps up, the published μ falls to its floor, then the width grows', async () => {
    // Packets per second entering each layer, spread over that layer's active mixes.
    let offered = 0;
    const counts = new Map<string, number>();
    let lastAt = Date.now();
    const advance = () => {
      const now = Date.now();
      const c = directory.current();
      const doc = c ? (JSON.parse(c.signed.document) as { layers: { id: string }[][] }) : undefined;
      for (const layer of doc?.layers ?? [])
        for (const m of layer)
          counts.set(m.id, (counts.get(m.id) ?? 0) + ((now - lastAt) / 1000) * (offered / layer.length));
      lastAt = now;
    };
    const fx = directoryFixture({
      epochMs: 400,
      // The test's nodes announce once, with one key.
      announceMs: 60_000,
      keyRotationEpochs: 1_000,
      layers: 2,
      activeGateways: 1,
      monitor: { intervalMs: 100, timeoutMs: 100 },
      activeSet: { mode: 'auto', anonymityTargetBits: 6, minWidth: 1, maxWidth: 8, mu: { minMs: 1, maxMs: 200 } },
    });
    directory = createDirectory(fx.config, {
      probe: async () => true,
      scrapeMetrics: async (url) => {
        advance();
        return `mixnet_packets_received_total{role="mix"} ${Math.floor(counts.get(url.slice('http://'.length)) ?? 0)}\n`;
      },
    });
    await directory.start();
    for (const n of [...mixes, gateway])
      expect((await post(`${directory.url}/v1/descriptors`, n.signed({ metricsUrl: `http://${n.id}` }))).status).toBe(
        200,
      );

    const seen: { epoch: number; muMs: number; width: number }[] = [];
    const doc = () => {
      const c = directory.current();
      if (!c) return undefined;
      const d = verifyTopologyDocument(c.signed, { publicKey: fx.publicKey }).document;
      const point = { epoch: d.epoch, muMs: d.muMs as number, width: d.layers[0]?.length as number };
      if (seen[seen.length - 1]?.epoch !== point.epoch) seen.push(point);
      return point;
    };
    // No traffic yet: the largest μ, the least width.
    expect(await until(() => doc()?.epoch === 1 && doc(), 10_000, 'epoch 1')).toMatchObject({ muMs: 200, width: 1 });

    // 1000/s per layer: μ = 2^6 · 1000 / (e · 1000) = 23.6 ms at width 1 (measured: within a few %).
    offered = 1_000;
    const mid = await until(() => (Math.abs((doc()?.muMs ?? 0) - 23.6) < 1 ? doc() : undefined), 10_000, 'μ ≈ 23.6');
    expect(mid.width).toBe(1);
    // 100,000/s: μ_w = 0.235·w ms, the floor holds up to w = 4 (8 mixes / 2 layers allow 4).
    offered = 100_000;
    const last = await until(() => (doc()?.width === 4 ? doc() : undefined), 10_000, 'width 4');
    expect(last.muMs).toBe(1);
    expect(directory.status().activePerLayer).toBe(4);

    // The sequence only went one way: μ never rose (beyond the counters' rounding), the width never fell.
    for (let i = 1; i < seen.length; i++) {
      expect((seen[i] as { muMs: number }).muMs).toBeLessThanOrEqual((seen[i - 1] as { muMs: number }).muMs * 1.05);
      expect((seen[i] as { width: number }).width).toBeGreaterThanOrEqual((seen[i - 1] as { width: number }).width);
    }
    const metrics = await (await fetch(`${directory.url}/metrics`)).text();
    expect(metrics).toMatch(/^directory_planned_mu_ms\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^directory_planned_width\{[^}]*\} 4$/m);
  }, 40_000);
});
