/**
 * Sphinx per-packet costs measured the same way on Node and in a page (browser-suite.ts): create
 * (4 hops, 2065-byte payload) and process (one hop). Timed in batches of at least `batchMs`, since
 * a page's clock is coarsened (100 µs in Chromium without cross-origin isolation); the figure is
 * the median over batches of the mean time per packet. Imports only @mixnet/sphinx (no Node).
 */
import {
  type CryptoBackend,
  createPacket,
  encodeNodeAddress,
  generateKeyPair,
  NYM_PAYLOAD_SIZES,
  processPacket,
} from '@mixnet/sphinx';

export interface SphinxCostOptions {
  backend: CryptoBackend;
  /** Time spent per operation, after warm-up (default 1000 ms). */
  timeMs?: number;
  /** Minimum length of one timed batch (default 20 ms). */
  batchMs?: number;
}

export interface SphinxCost {
  backend: string;
  /** Median µs per packet. */
  createUs: number;
  processUs: number;
  /** Batches timed per operation. */
  batches: number;
}

const HOPS = 4;

/** Median over batches of the mean µs per call. */
function measure(fn: () => void, timeMs: number, batchMs: number): { us: number; batches: number } {
  // Warm-up, and the batch size that lasts about batchMs.
  let n = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t >= batchMs) break;
    n *= 2;
  }
  const samples: number[] = [];
  const end = performance.now() + timeMs;
  while (performance.now() < end || samples.length < 5) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return { us: samples[Math.floor(samples.length / 2)] as number, batches: samples.length };
}

export function measureSphinxCost(opts: SphinxCostOptions): SphinxCost {
  const { backend } = opts;
  const timeMs = opts.timeMs ?? 1000;
  const batchMs = opts.batchMs ?? 20;
  const route = Array.from({ length: HOPS }, (_, i) => ({
    ...generateKeyPair({ backend }),
    address: encodeNodeAddress({ host: `10.0.0.${i + 1}`, port: 1789 }),
  }));
  const message = new Uint8Array(NYM_PAYLOAD_SIZES.regular - 17).fill(7);
  const delaysNs = route.map(() => 15_000_000n);
  const destination = new Uint8Array(32);
  const packet = createPacket({ route, delaysNs, destination, message, backend });
  const first = route[0] as (typeof route)[number];
  const create = measure(() => createPacket({ route, delaysNs, destination, message, backend }), timeMs, batchMs);
  const process = measure(() => processPacket(packet, first.privateKey, { backend }), timeMs, batchMs);
  return {
    backend: backend.name,
    createUs: create.us,
    processUs: process.us,
    batches: create.batches + process.batches,
  };
}
