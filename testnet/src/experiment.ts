/**
 * One traced experiment on a live process-runtime testnet (issue #8): clients exchange real
 * messages (a Poisson stream per client, each to another client at random) with or without cover,
 * every process traces, and the run is analysed with the exact posterior (ANONYMITY.md). Shared
 * by `mixnet bench --suite anonymity` and the live test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnalyzeResult, analyzeTraces, quantileSorted } from '@mixnet/analyze';
import { createClient, type MixnetClient } from '@mixnet/client';
import { downTestnet, upTestnet } from './testnet.js';

export interface ExperimentOptions {
  layers: number;
  width: number;
  /** Mean per-hop delay, ms. */
  mu: number;
  cover: boolean;
  clients: number;
  /** Real messages per second per client. */
  realRate: number;
  seconds: number;
  /** Where the trace goes (a temporary folder, removed afterwards, by default). */
  traceDir?: string;
  log?: (line: string) => void;
}

export interface ExperimentResult {
  options: Omit<ExperimentOptions, 'log'>;
  analysis: AnalyzeResult;
  /** Measured end-to-end latency of real messages, ms. */
  latency: { p50: number; mean: number; n: number };
  delivered: number;
  sent: number;
}

const SEND_GAP_MS = 20;
const LOOP_GAP_MS = 200;

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-exp-'));
  const trace = o.traceDir ?? join(dir, 'trace');
  const state = await upTestnet({
    dir,
    layers: o.layers,
    nodesPerLayer: o.width,
    mu: o.mu,
    chain: 'none',
    logLevel: 'warn',
    skipSmoke: true,
    trace,
    // A fixed network: one μ and one active set for the whole run (runs with a directory are
    // analysed per epoch, ramp.ts).
    directory: false,
  });
  const traffic = o.cover
    ? { mu: o.mu, acks: false, sendGapMs: SEND_GAP_MS, loopGapMs: LOOP_GAP_MS }
    : { mu: o.mu, acks: false, cover: false, sendGapMs: 0 };
  let clients: MixnetClient[] = [];
  const latencies: number[] = [];
  let sent = 0;
  try {
    clients = await Promise.all(
      Array.from({ length: o.clients }, () =>
        createClient({ topology: state.topologyPath, traffic, trace: { dir: trace } }),
      ),
    );
    for (const c of clients)
      c.onMessage(({ data }) => {
        const at = new DataView(data.buffer, data.byteOffset).getFloat64(0);
        latencies.push(performance.now() - at);
      });
    const until = performance.now() + o.seconds * 1000;
    // One Poisson stream of real messages per client, to a uniformly chosen other client.
    await Promise.all(
      clients.map(async (from, i) => {
        for (;;) {
          await new Promise((r) => setTimeout(r, -Math.log(1 - Math.random()) * (1000 / o.realRate)));
          if (performance.now() >= until) return;
          let j = Math.floor(Math.random() * (o.clients - 1));
          if (j >= i) j++;
          const msg = new Uint8Array(64);
          new DataView(msg.buffer).setFloat64(0, performance.now());
          sent++;
          void from.send((clients[j] as MixnetClient).address, msg).catch(() => {});
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1000 + 20 * o.layers * o.mu));
  } finally {
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 })));
    // `down` writes the trace's meta header; the clients' traffic goes into it.
    await downTestnet(dir, {
      traceTraffic: { cover: o.cover, sendGapMs: SEND_GAP_MS, loopGapMs: LOOP_GAP_MS, realPerSecond: o.realRate },
    });
  }
  o.log?.(`analysing ${trace}…`);
  // The KS check at 1,000 sampled delays: node timers add ~0.1–1 ms of jitter that a test on every
  // delay would resolve; the fitted c and m are reported beside it.
  const analysis = await analyzeTraces([trace], { ksSample: 1000 });
  latencies.sort((a, b) => a - b);
  const { log: _log, ...options } = o;
  const result: ExperimentResult = {
    options,
    analysis,
    latency: {
      p50: quantileSorted(latencies, 0.5),
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
      n: latencies.length,
    },
    delivered: latencies.length,
    sent,
  };
  if (!o.traceDir) rmSync(dir, { recursive: true, force: true });
  return result;
}
