/**
 * Sphinx processing spread over worker threads (issue #4 item 9): the main thread only moves bytes
 * and keeps time. Packets go to the least-busy worker in batches, one message per worker per tick,
 * each batch packed into one transferred buffer (batch-codec.ts). A tick of a few packets is processed
 * on the main thread instead while that stays cheap (inline-budget.ts). `workers: 0` processes inline,
 * for small setups.
 *
 * Several keys (key rotation, docs/directory.md §6): a packet names no key, so it is tried with the
 * current key first, then the others; a wrong key fails at the header MAC (INVALID_HEADER, SPHINX.md)
 * before any other work. The outcome says which rotation's key opened it, for its replay filter.
 * Key changes reach the workers as a message, ordered before every batch posted after it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type BackendName,
  type ProcessPacketOptions,
  processPacket,
  SphinxError,
  type SphinxErrorCode,
} from '@mixnet/sphinx';
import { decodeOutcomes, encodePackets } from './batch-codec.js';
import { createInlineBudget } from './inline-budget.js';

export type ProcessOutcome =
  | {
      kind: 'forward';
      nextAddress: Uint8Array;
      delayNs: bigint;
      packet: Uint8Array;
      /** `packet` already framed for the wire (FrameKind.Packet), when it came back from a worker. */
      frame?: Uint8Array;
      replayTag: Uint8Array;
      /** the key rotation whose key opened the packet */
      rotation: number;
      processingNs: number;
    }
  | {
      kind: 'final';
      destination: Uint8Array;
      identifier: Uint8Array;
      payload: Uint8Array;
      replayTag: Uint8Array;
      rotation: number;
      processingNs: number;
    }
  | { kind: 'error'; code: SphinxErrorCode | 'overloaded'; processingNs: number };

export type ProcessCallback = (outcome: ProcessOutcome) => void;

/** A private key and its rotation; a processor holds them in the order to try them, current first. */
export interface ProcessingKey {
  rotation: number;
  privateKey: Uint8Array;
}

export interface PacketProcessorOptions {
  keys: readonly ProcessingKey[];
  /** Worker threads; 0 processes on the calling thread. */
  workers: number;
  backend?: BackendName;
  /** Packets in flight per worker before new ones are refused as 'overloaded'. */
  maxInFlightPerWorker?: number;
  /** Process Sphinx versions 1 and 257 (default false: refused as UNSUPPORTED_VERSION; issue 14 #13). */
  allowLegacyVersions?: boolean;
  /** Share of the main thread small batches may be processed on (inline-budget.ts); 0 = always the workers. */
  inlineShare?: number;
}

export interface PacketProcessor {
  process(packet: Uint8Array, done: ProcessCallback): void;
  /** Replaces the keys (current first); packets posted after this call use them. */
  setKeys(keys: readonly ProcessingKey[]): void;
  readonly inFlight: number;
  close(): Promise<void>;
}

export interface ProcessingOptions {
  backend?: BackendName | undefined;
  allowLegacyVersions?: boolean | undefined;
}

/** processPacket's options for a processor, built once: nothing is allocated per packet for them. */
export function packetOptions(p: ProcessingOptions = {}): ProcessPacketOptions {
  return { ...(p.backend ? { backend: p.backend } : {}), allowLegacyVersions: p.allowLegacyVersions ?? false };
}

const DEFAULT_PACKET_OPTIONS = packetOptions();

/**
 * Runs processPacket with each key in turn until one opens the packet, and turns the result or the
 * SphinxError into an outcome (shared with the worker). Only a MAC failure means "another key may".
 */
export function processOne(
  packet: Uint8Array,
  keys: readonly ProcessingKey[],
  opts: ProcessPacketOptions = DEFAULT_PACKET_OPTIONS,
): ProcessOutcome {
  const t0 = process.hrtime.bigint();
  let code: SphinxErrorCode = 'INVALID_HEADER';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as ProcessingKey;
    try {
      const r = processPacket(packet, key.privateKey, opts);
      return { ...r, rotation: key.rotation, processingNs: Number(process.hrtime.bigint() - t0) };
    } catch (err) {
      code = err instanceof SphinxError ? err.code : 'CRYPTO_FAILURE';
      if (code !== 'INVALID_HEADER') break;
    }
  }
  return { kind: 'error', code, processingNs: Number(process.hrtime.bigint() - t0) };
}

/** What the main thread posts to a worker besides batches. */
export interface WorkerKeysMessage {
  keys: ProcessingKey[];
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

/**
 * The worker is always the built JavaScript: a parent started with the source condition (vitest,
 * tsx) must not make it resolve our packages to TypeScript it cannot load. Undefined (inherit, the
 * default) otherwise: an explicit list may not hold V8 flags such as the relay's heap sizes.
 */
function workerExecArgv(): string[] | undefined {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === '@mixnet/source') i++;
    else if (a !== '--conditions=@mixnet/source') out.push(a);
  }
  return out.length === argv.length ? undefined : out;
}

interface Pending {
  packets: Uint8Array[];
  callbacks: ProcessCallback[];
}

interface WorkerSlot {
  worker: Worker;
  /** Packets for this tick, by key set (one batch message per set per tick). */
  pending: Map<number, Pending>;
  /** Callbacks of posted packets, in the order the worker answers them. */
  callbacks: ProcessCallback[];
  inFlight: number;
}

/** Batches of a tick, each for one key set (one node of a host), or a key change of one set. */
export type WorkerMessage = { batches: { set: number; batch: Uint8Array }[] } | ({ set: number } & WorkerKeysMessage);

export interface PacketPoolOptions {
  /** Worker threads shared by every processor of the pool (at least 1). */
  workers: number;
  backend?: BackendName;
  /** Packets in flight per worker before new ones are refused as 'overloaded'. */
  maxInFlightPerWorker?: number;
  allowLegacyVersions?: boolean;
  /** Share of the main thread small batches may be processed on (inline-budget.ts); 0 = always the workers. */
  inlineShare?: number;
}

/**
 * One set of worker threads for several nodes of a node host (`mixnet run host`): each node gets
 * its own processor with its own keys (a key set in every worker), and all share the threads, so a
 * host of 25 nodes runs one or two Sphinx workers rather than 25.
 */
export interface PacketPool {
  /** A processor with these keys; `close()` of it forgets its keys, the threads stay. */
  processor(keys: readonly ProcessingKey[]): PacketProcessor;
  close(): Promise<void>;
}

const copyKeys = (keys: readonly ProcessingKey[]) =>
  keys.map((k) => ({ rotation: k.rotation, privateKey: Uint8Array.from(k.privateKey) }));

export function createPacketPool(opts: PacketPoolOptions): PacketPool {
  if (opts.workers < 1) throw new Error(`a packet pool needs at least 1 worker, got ${opts.workers}`);
  const maxInFlight = opts.maxInFlightPerWorker ?? 8192;
  const processing = { backend: opts.backend, allowLegacyVersions: opts.allowLegacyVersions ?? false };
  const url = workerUrl();
  const slots: WorkerSlot[] = [];
  let flushScheduled = false;
  let closed = false;
  let nextSet = 0;
  // Each set's keys on this thread too, for the small batches processed inline.
  const keySets = new Map<number, ProcessingKey[]>();
  const inline = createInlineBudget(opts.inlineShare !== undefined ? { share: opts.inlineShare } : {});
  const inlineOptions = packetOptions(processing);

  /** A tick's few packets, processed here: cheaper than a worker round trip (inline-budget.ts). */
  const processInline = () => {
    let ms = 0;
    for (const slot of slots) {
      for (const [set, p] of slot.pending) {
        const keys = keySets.get(set) ?? [];
        for (let i = 0; i < p.packets.length; i++) {
          const outcome = processOne(p.packets[i] as Uint8Array, keys, inlineOptions);
          ms += outcome.processingNs / 1e6;
          slot.inFlight--;
          (p.callbacks[i] as ProcessCallback)(outcome);
        }
      }
      slot.pending.clear();
    }
    inline.spent(ms);
  };

  // One message per worker per tick, whatever the number of nodes with packets in it.
  const flushSlot = (slot: WorkerSlot) => {
    if (slot.pending.size === 0) return;
    const batches: { set: number; batch: Uint8Array }[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const [set, p] of slot.pending) {
      const batch = encodePackets(p.packets);
      for (const cb of p.callbacks) slot.callbacks.push(cb);
      batches.push({ set, batch });
      transfer.push(batch.buffer as ArrayBuffer);
    }
    slot.pending.clear();
    const message: WorkerMessage = { batches };
    slot.worker.postMessage(message, transfer);
  };
  const flush = () => {
    flushScheduled = false;
    let pending = 0;
    for (const slot of slots) for (const p of slot.pending.values()) pending += p.packets.length;
    if (inline.allows(pending)) processInline();
    else for (const slot of slots) flushSlot(slot);
  };

  for (let i = 0; i < opts.workers; i++) {
    const execArgv = workerExecArgv();
    const worker = new Worker(url, { workerData: processing, ...(execArgv ? { execArgv } : {}) });
    const slot: WorkerSlot = { worker, pending: new Map(), callbacks: [], inFlight: 0 };
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

  const postKeys = (set: number, keys: readonly ProcessingKey[]) => {
    // Batches waiting for this tick were queued under the old keys: send them first.
    for (const slot of slots) flushSlot(slot);
    const message: WorkerMessage = { set, keys: copyKeys(keys) };
    if (keys.length === 0) keySets.delete(set);
    else keySets.set(set, copyKeys(keys));
    for (const slot of slots) slot.worker.postMessage(message);
  };

  return {
    processor(keys) {
      const set = nextSet++;
      postKeys(set, keys);
      let inFlight = 0;
      return {
        process(packet, done) {
          let best = slots[0] as WorkerSlot;
          for (const slot of slots) if (slot.inFlight < best.inFlight) best = slot;
          if (best.inFlight >= maxInFlight) {
            done({ kind: 'error', code: 'overloaded', processingNs: 0 });
            return;
          }
          let p = best.pending.get(set);
          if (!p) {
            p = { packets: [], callbacks: [] };
            best.pending.set(set, p);
          }
          p.packets.push(packet);
          inFlight++;
          p.callbacks.push((outcome) => {
            inFlight--;
            done(outcome);
          });
          best.inFlight++;
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        },
        setKeys(next) {
          postKeys(set, next);
        },
        get inFlight() {
          return inFlight;
        },
        async close() {
          const deadline = Date.now() + 5_000;
          while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          if (!closed) postKeys(set, []);
        },
      };
    },
    async close() {
      // Let what is in flight come back first, then stop the workers.
      const deadline = Date.now() + 5_000;
      while (slots.some((s) => s.inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

export function createPacketProcessor(opts: PacketProcessorOptions): PacketProcessor {
  if (opts.workers === 0) {
    let keys = copyKeys(opts.keys);
    const inline = packetOptions({ backend: opts.backend, allowLegacyVersions: opts.allowLegacyVersions ?? false });
    return {
      process: (packet, done) => done(processOne(packet, keys, inline)),
      setKeys(next) {
        keys = copyKeys(next);
      },
      inFlight: 0,
      close: async () => {},
    };
  }
  // A node of its own: a pool of its own, closed with it.
  const pool = createPacketPool({
    workers: opts.workers,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.maxInFlightPerWorker !== undefined ? { maxInFlightPerWorker: opts.maxInFlightPerWorker } : {}),
    ...(opts.allowLegacyVersions !== undefined ? { allowLegacyVersions: opts.allowLegacyVersions } : {}),
    ...(opts.inlineShare !== undefined ? { inlineShare: opts.inlineShare } : {}),
  });
  const processor = pool.processor(opts.keys);
  return {
    process: processor.process,
    setKeys: processor.setKeys,
    get inFlight() {
      return processor.inFlight;
    },
    async close() {
      await processor.close();
      await pool.close();
    },
  };
}
