/**
 * A traced ramp on an auto-sized testnet (issue 16, docs/directory.md §7): clients join in steps at
 * epoch boundaries, the directory measures each epoch's traffic and publishes the next epoch's width
 * and μ, clients take μ from the document, and the trace (with the directory's epochs in its header)
 * is analysed per epoch. Shared by the live test and `mixnet bench --suite scaling`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnalyzeResult, analyzeTraces, type EpochResult } from '@mixnet/analyze';
import { createClient, type MixnetClient } from '@mixnet/client';
import { clientNetwork } from './client-network.js';
import { fetchDocument } from './directory-api.js';
import type { TestnetState } from './layout.js';
import { downTestnet, upTestnet } from './testnet.js';

export interface RampOptions {
  layers: number;
  /** Clients sending in each step, e.g. [4, 12, 40]. */
  steps: readonly number[];
  /** Epochs each step lasts (the first one runs on the μ planned from the step before). Default 2. */
  epochsPerStep?: number;
  epochMs: number;
  anonymityTargetBits: number;
  minWidth?: number;
  maxWidth?: number;
  /** Mixes beyond layers × maxWidth, waiting as standby. Default 0. */
  standby?: number;
  mu: { minMs: number; maxMs: number };
  /** Per client: the payload stream's mean gap and the loops' (cover on), and real messages per second. */
  sendGapMs: number;
  loopGapMs: number;
  realRate: number;
  /** Keep the trace here (default: a temporary folder, removed). */
  traceDir?: string;
  log?: (line: string) => void;
}

export interface RampEpoch extends EpochResult {
  /** Clients of the ramp sending during the epoch (at its start). */
  clients: number;
  /**
   * What the clients offered in the epoch before, packets/s: the traffic the directory measured
   * when it chose this epoch's width and μ.
   */
  offeredBefore: number;
}

export interface RampResult {
  epochs: RampEpoch[];
  analysis: AnalyzeResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runRamp(o: RampOptions): Promise<RampResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-ramp-'));
  const trace = o.traceDir ?? join(dir, 'trace');
  const maxWidth = o.maxWidth ?? 1;
  const log = o.log ?? (() => {});
  const state: TestnetState = await upTestnet({
    dir,
    layers: o.layers,
    nodesPerLayer: maxWidth,
    standby: o.standby ?? 0,
    epochMs: o.epochMs,
    chain: 'none',
    logLevel: 'warn',
    skipSmoke: true,
    trace,
    activeSet: {
      anonymityTargetBits: o.anonymityTargetBits,
      minWidth: o.minWidth ?? 1,
      maxWidth,
      mu: o.mu,
    },
  });
  log(`up: ${o.layers} layers, epochs of ${o.epochMs} ms`);
  const directory = state.directory as NonNullable<TestnetState['directory']>;
  // A loaded machine's directory may answer late: a failed poll is retried, not fatal.
  const epochNow = async () => (await fetchDocument(directory, 5_000).catch(() => undefined))?.document.epoch ?? -1;
  const nextBoundary = async (after: number) => {
    for (;;) {
      const e = await epochNow();
      if (e > after) return e;
      await sleep(100);
    }
  };
  const clients: MixnetClient[] = [];
  /** Clients sending from each epoch on. */
  const clientsFrom = new Map<number, number>();
  let stop = false;
  const senders: Promise<void>[] = [];
  const startSender = (i: number) =>
    senders.push(
      (async () => {
        const from = clients[i] as MixnetClient;
        while (!stop) {
          await sleep(-Math.log(1 - Math.random()) * (1000 / o.realRate));
          if (stop || clients.length < 2) continue;
          let j = Math.floor(Math.random() * (clients.length - 1));
          if (j >= i) j++;
          void from.send((clients[j] as MixnetClient).address, new Uint8Array(64)).catch(() => {});
        }
      })(),
    );
  try {
    let epoch = await nextBoundary(await epochNow());
    for (const n of o.steps) {
      log(`epoch ${epoch}: ${n - clients.length} clients joining`);
      // In fours: a loaded machine's gateway answers a crowd of handshakes too late.
      while (clients.length < n) {
        const joined = await Promise.all(
          Array.from({ length: Math.min(4, n - clients.length) }, () =>
            createClient({
              ...clientNetwork(state),
              // no μ: clients take the document's (docs/directory.md §7)
              traffic: { acks: false, sendGapMs: o.sendGapMs, loopGapMs: o.loopGapMs },
              trace: { dir: trace },
            }),
          ),
        );
        for (const c of joined) {
          clients.push(c);
          startSender(clients.length - 1);
        }
      }
      log(`epoch ${epoch}: ${n} clients`);
      // Boundaries crossed, not polls: a slow poll may see two at once.
      const until = epoch + (o.epochsPerStep ?? 2);
      while (epoch < until) {
        const next = await nextBoundary(epoch);
        for (let e = epoch; e < next; e++) clientsFrom.set(e, n);
        epoch = next;
      }
    }
  } finally {
    stop = true;
    await Promise.all(senders);
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 })));
    await downTestnet(dir, {
      traceTraffic: { cover: true, sendGapMs: o.sendGapMs, loopGapMs: o.loopGapMs, realPerSecond: o.realRate },
    });
  }
  log(`analysing ${trace}…`);
  const analysis = await analyzeTraces([trace], { ksSample: 1000 });
  const all = analysis.epochs ?? [];
  const epochs = all
    .filter((e) => clientsFrom.has(e.epoch))
    .map((e) => ({
      ...e,
      clients: clientsFrom.get(e.epoch) as number,
      offeredBefore: all.find((b) => b.epoch === e.epoch - 1)?.offeredPerSecond ?? 0,
    }));
  if (!o.traceDir) rmSync(dir, { recursive: true, force: true });
  return { epochs, analysis };
}
