/**
 * The epoch clock (docs/directory.md §4), pure. Epoch e covers [genesis + e·epochMs, genesis +
 * (e+1)·epochMs); genesis is when the first document was published. Epoch numbers only go up: after
 * a restart, or a clock step back, the next epoch is max(last + 1, the grid's epoch now).
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface EpochGrid {
  genesis: number;
  epochMs: number;
}

export const epochStart = (g: EpochGrid, e: number): number => g.genesis + e * g.epochMs;

/** The grid's epoch at time t (0 before genesis). */
export const epochAt = (g: EpochGrid, t: number): number => Math.max(0, Math.floor((t - g.genesis) / g.epochMs));

/** The number of the next document to publish, and when it is due (now or later). */
export function nextEpoch(g: EpochGrid, lastEpoch: number, now: number): { epoch: number; dueAt: number } {
  const epoch = Math.max(lastEpoch + 1, epochAt(g, now));
  return { epoch, dueAt: Math.max(now, epochStart(g, epoch)) };
}

export const keyRotationOf = (epoch: number, keyRotationEpochs: number): number =>
  Math.floor(epoch / keyRotationEpochs);

const SEED_CONTEXT = new TextEncoder().encode('mixnet-epoch-seed');

/**
 * seed = SHA-256("mixnet-epoch-seed" || previous document's hash (32 bytes; zeros for the first
 * document) || BE64(epoch)). Chained to the previous document, so it is fixed only once that is out.
 */
export function epochSeed(previousHash: string | undefined, epoch: number): Uint8Array {
  const prev = previousHash ? Uint8Array.from(Buffer.from(previousHash, 'hex')) : new Uint8Array(32);
  if (prev.length !== 32) throw new RangeError('previous document hash must be 32 bytes of hex');
  const e = new Uint8Array(8);
  new DataView(e.buffer).setBigUint64(0, BigInt(epoch), false);
  const input = new Uint8Array(SEED_CONTEXT.length + 40);
  input.set(SEED_CONTEXT, 0);
  input.set(prev, SEED_CONTEXT.length);
  input.set(e, SEED_CONTEXT.length + 32);
  return sha256(input);
}
