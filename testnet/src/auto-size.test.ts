/**
 * Auto-sizing on real processes (docs/directory.md §7, issue 16 #2): a testnet with `--active auto`
 * and 5 s epochs; as the offered client traffic rises, the directory's measured per-layer rate
 * rises, the μ it publishes falls, and a client that takes μ from the document sees its latency fall.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MixnetClient } from '@mixnet/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientNetwork } from './client-network.js';
import { fetchDocument } from './directory-api.js';
import { paths, type TestnetState } from './layout.js';
import { downTestnet, upTestnet } from './testnet.js';

const EPOCH_MS = 5_000;
const TARGET_BITS = 6;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The directory's "active set sized" log lines: what it measured and chose, epoch by epoch. */
const sizedLines = (dir: string) =>
  readFileSync(paths(dir).log('directory'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('active set sized'))
    .map((l) => JSON.parse(l) as { epoch: number; rates: number[]; muMs: number; width: number });

describe('auto-sizing on real processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-autosize-'));
  let state: TestnetState;
  const clients: MixnetClient[] = [];

  beforeAll(async () => {
    state = await upTestnet({
      dir,
      layers: 2,
      epochMs: EPOCH_MS,
      chain: 'none',
      logLevel: 'info',
      activeSet: { anonymityTargetBits: TARGET_BITS, minWidth: 1, maxWidth: 1, mu: { minMs: 1, maxMs: 400 } },
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 })));
    await downTestnet(dir);
  });

  const epochNow = async () =>
    (await fetchDocument(state.directory as NonNullable<TestnetState['directory']>))?.document;
  /** The document two boundaries from now: its μ comes from a whole epoch measured under the current load. */
  const settled = async () => {
    const start = (await epochNow())?.epoch ?? 0;
    for (;;) {
      const d = await epochNow();
      if (d && d.epoch >= start + 2) return d;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** Once the client is on the directory's current epoch, it draws that document's μ. */
  const follows = async (c: MixnetClient) => {
    for (;;) {
      const d = await epochNow();
      const s = c.topologyStatus();
      if (d && s.epoch === d.epoch) {
        expect(s.muMs).toBe(d.muMs);
        return d.muMs as number;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Median of sends to ourselves (out and back through both layers), by a client taking μ from the document. */
  const latency = async (c: MixnetClient, n = 5) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await c.send(c.address, new TextEncoder().encode(`m${i}`));
      times.push(performance.now() - t);
    }
    return median(times);
  };

  it('more offered traffic: a smaller published μ, which clients use, and a lower latency', async () => {
    const probe = await createClient({
      ...clientNetwork(state),
      traffic: { cover: false, sendGapMs: 0, ackWaitAdditionMs: 3_000 },
    });
    clients.push(probe);

    // Low: only the network requester's cover and the monitor's probes.
    const low = await settled();
    await follows(probe);
    const lowLatency = await latency(probe);

    // High: four clients with cover at 100 packets/s each.
    for (let i = 0; i < 4; i++)
      clients.push(await createClient({ ...clientNetwork(state), traffic: { sendGapMs: 10, loopGapMs: 200 } }));
    const high = await settled();
    const highLatency = await latency(probe);
    await follows(probe);

    const lines = sizedLines(dir);
    process.stderr.write(
      `auto-size: low μ ${low.muMs} ms (p50 ${lowLatency.toFixed(0)} ms), high μ ${high.muMs} ms (p50 ${highLatency.toFixed(0)} ms); directory: ${JSON.stringify(lines.map((l) => [l.epoch, l.rates, l.muMs]))}\n`,
    );
    expect(low.muMs).toBeDefined();
    expect(high.muMs as number).toBeLessThan((low.muMs as number) / 2);
    // Out and back through 2 mixes each way: ~4μ of mixing; the margin is wide.
    expect(highLatency).toBeLessThan(lowLatency);
  }, 90_000);
});
