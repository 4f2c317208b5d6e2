/**
 * Reassembly of fragmented messages at the receiver: bounded by message size and by the number of
 * messages in progress, deduplicated (a retransmitted fragment, or a whole message seen again, is
 * not delivered twice), and incomplete sets dropped after a timeout.
 */
import { toHex } from './bytes.js';
import type { Fragment } from './fragment.js';

export interface ReassemblerOptions {
  /** Data bytes per full fragment: with `count`, bounds what a sender can make us hold. */
  capacity: number;
  maxMessageSize: number;
  /** Incomplete messages are dropped this long after their last fragment. */
  timeoutMs: number;
  /** How many incomplete messages may be held at once; the oldest goes first. */
  maxPending?: number;
  now?: () => number;
}

export type AddResult =
  | { kind: 'complete'; message: Uint8Array }
  | { kind: 'partial'; received: number; count: number }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: string };

export interface Reassembler {
  add(fragment: Fragment): AddResult;
  /** Drops timed-out sets; returns how many were dropped. */
  sweep(): number;
  /** Indices still missing of a message in progress (undefined if unknown or done). */
  missing(messageId: Uint8Array): number[] | undefined;
  readonly pending: number;
}

interface Pending {
  count: number;
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  touched: number;
}

export function createReassembler(opts: ReassemblerOptions): Reassembler {
  const now = opts.now ?? Date.now;
  const maxPending = opts.maxPending ?? 1024;
  const pending = new Map<string, Pending>();
  /** Completed message ids and when, kept for dedupe of late duplicates. */
  const done = new Map<string, number>();
  const doneTtl = opts.timeoutMs * 4;
  const maxCount = Math.max(1, Math.ceil(opts.maxMessageSize / opts.capacity));

  const sweep = () => {
    const t = now();
    let dropped = 0;
    for (const [id, p] of pending) {
      if (t - p.touched > opts.timeoutMs) {
        pending.delete(id);
        dropped++;
      }
    }
    for (const [id, at] of done) {
      if (t - at > doneTtl) done.delete(id);
      else break; // insertion order = completion order
    }
    return dropped;
  };

  return {
    add(f) {
      const id = toHex(f.messageId);
      if (done.has(id)) return { kind: 'duplicate' };
      if (f.count > maxCount || f.data.length > opts.capacity)
        return { kind: 'refused', reason: `message of ${f.count} fragments exceeds the maximum size` };
      let p = pending.get(id);
      if (!p) {
        if (pending.size >= maxPending) {
          const oldest = pending.keys().next().value as string;
          pending.delete(oldest);
        }
        p = { count: f.count, parts: new Array(f.count), received: 0, bytes: 0, touched: now() };
        pending.set(id, p);
      }
      if (p.count !== f.count) return { kind: 'refused', reason: 'fragment count differs within a message' };
      p.touched = now();
      if (p.parts[f.index]) return { kind: 'duplicate' };
      p.parts[f.index] = f.data;
      p.received++;
      p.bytes += f.data.length;
      if (p.bytes > opts.maxMessageSize) {
        pending.delete(id);
        return { kind: 'refused', reason: `message exceeds ${opts.maxMessageSize} bytes` };
      }
      if (p.received < p.count) return { kind: 'partial', received: p.received, count: p.count };
      pending.delete(id);
      done.set(id, now());
      const message = new Uint8Array(p.bytes);
      let off = 0;
      for (const part of p.parts as Uint8Array[]) {
        message.set(part, off);
        off += part.length;
      }
      return { kind: 'complete', message };
    },
    sweep,
    missing(messageId) {
      const p = pending.get(toHex(messageId));
      if (!p) return undefined;
      const out: number[] = [];
      for (let i = 0; i < p.count; i++) if (!p.parts[i]) out.push(i);
      return out;
    },
    get pending() {
      return pending.size;
    },
  };
}
