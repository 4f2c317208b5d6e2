/**
 * Sphinx processing spread over worker threads (issue #4 item 9): the main thread only moves bytes
 * and keeps time. Packets go to the least-busy worker in batches, one message per worker per tick,
 * each batch packed into one transferred buffer (batch-codec.ts). `workers: 0` processes inline, for small setups.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type BackendName, processPacket, SphinxError, type SphinxErrorCode } from '@mixnet/sphinx';
import { decodeOutcomes, encodePackets } from './batch-codec.js';

export type ProcessOutcome =
  | {
      kind: 'forward';
      nextAddress: Uint8Array;
      delayNs: bigint;
      packet: Uint8Array;
      /** `packet` already framed for the wire (FrameKind.Packet), when it came back from a worker. */
      frame?: Uint8Array;
      replayTag: Uint8Array;
      processingNs: number;
    }
  | {
      kind: 'final';
      destination: Uint8Array;
      identifier: Uint8Array;
      payload: Uint8Array;
      replayTag: Uint8Array;
      processingNs: number;
    }
  | { kind: 'error'; code: SphinxErrorCode | 'overloaded'; processingNs: number };

export type ProcessCallback = (outcome: ProcessOutcome) => void;

export interface PacketProcessorOptions {
  privateKey: Uint8Array;
  /** Worker threads; 0 processes on the calling thread. */
  workers: number;
  backend?: BackendName;
  /** Packets in flight per worker before new ones are refused as 'overloaded'. */
  maxInFlightPerWorker?: number;
  /** Process Sphinx versions 1 and 257 (default false: refused as UNSUPPORTED_VERSION; issue 14 #13). */
  allowLegacyVersions?: boolean;
}

export interface PacketProcessor {
  process(packet: Uint8Array, done: ProcessCallback): void;
  readonly inFlight: number;
  close(): Promise<void>;
}

/** Runs processPacket and turns its result or SphinxError into an outcome (shared with the worker). */
export function processOne(
  packet: Uint8Array,
  privateKey: Uint8Array,
  opts: { backend?: BackendName | undefined; allowLegacyVersions?: boolean | undefined } = {},
): ProcessOutcome {
  const t0 = process.hrtime.bigint();
  try {
    const r = processPacket(packet, privateKey, {
      ...(opts.backend ? { backend: opts.backend } : {}),
      allowLegacyVersions: opts.allowLegacyVersions ?? false,
    });
    return { ...r, processingNs: Number(process.hrtime.bigint() - t0) };
  } catch (err) {
    const code = err instanceof SphinxError ? err.code : 'CRYPTO_FAILURE';
    return { kind: 'error', code, processingNs: Number(process.hrtime.bigint() - t0) };
  }
}

function workerUrl(): URL {
  // From dist this is packet-worker.js beside us; from the TypeScript sources (tests), the built one.
  const here = new URL('./packet-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/packet-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(built)))
    throw new Error('packet-worker.js not found: build @mixnet/node first (pnpm build)');
  return built;
}

interface WorkerSlot {
  worker: Worker;
  batch: Uint8Array[];
  callbacks: ProcessCallback[];
  inFlight: number;
}

export function createPacketProcessor(opts: PacketProcessorOptions): PacketProcessor {
  const maxInFlight = opts.maxInFlightPerWorker ?? 8192;
  const processing = { backend: opts.backend, allowLegacyVersions: opts.allowLegacyVersions ?? false };
  if (opts.workers === 0) {
    return {
      process: (packet, done) => done(processOne(packet, opts.privateKey, processing)),
      inFlight: 0,
      close: async () => {},
    };
  }
  const url = workerUrl();
  const slots: WorkerSlot[] = [];
  let flushScheduled = false;
  let closed = false;

  const flush = () => {
    flushScheduled = false;
    for (const slot of slots) {
      if (slot.batch.length === 0) continue;
      const batch = encodePackets(slot.batch);
      slot.batch = [];
      slot.worker.postMessage(batch, [batch.buffer as ArrayBuffer]);
    }
  };

  for (let i = 0; i < opts.workers; i++) {
    const worker = new Worker(url, { workerData: { privateKey: opts.privateKey, ...processing } });
    const slot: WorkerSlot = { worker, batch: [], callbacks: [], inFlight: 0 };
    worker.on('message', (batch: Uint8Array) => {
      for (const outcome of decodeOutcomes(batch)) {
        slot.inFlight--;
        (slot.callbacks.shift() as ProcessCallback)(outcome);
      }
    });
    worker.on('error', (err) => {
      // A worker that dies fails its packets rather than losing them silently.
      for (const cb of slot.callbacks.splice(0)) cb({ kind: 'error', code: 'CRYPTO_FAILURE', processingNs: 0 });
      slot.inFlight = 0;
      if (!closed) throw err;
    });
    worker.unref();
    slots.push(slot);
  }

  return {
    process(packet, done) {
      let best = slots[0] as WorkerSlot;
      for (const slot of slots) if (slot.inFlight < best.inFlight) best = slot;
      if (best.inFlight >= maxInFlight) {
        done({ kind: 'error', code: 'overloaded', processingNs: 0 });
        return;
      }
      best.batch.push(packet);
      best.callbacks.push(done);
      best.inFlight++;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    get inFlight() {
      return slots.reduce((n, s) => n + s.inFlight, 0);
    },
    async close() {
      closed = true;
      // Let what is in flight come back first, then stop the workers.
      const deadline = Date.now() + 5_000;
      while (slots.some((s) => s.inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
