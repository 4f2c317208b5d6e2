/**
 * Fragments: how a message of any size travels in fixed-size Sphinx payloads (our own format).
 *
 *   fragment = message id (16) || index (u32 BE) || count (u32 BE) || data
 *
 * The message id is random, chosen by the sender, and is what the receiver reassembles and dedupes
 * by; `count` ≥ 1 and `index` < `count`. Every fragment of a message but the last carries exactly
 * the per-packet capacity, so `count` alone bounds the message size the receiver must accept.
 */
import { DecodeError, Reader, Writer } from './bytes.js';

export const MESSAGE_ID_SIZE = 16;
export const FRAGMENT_HEADER_SIZE = MESSAGE_ID_SIZE + 4 + 4;

export interface Fragment {
  messageId: Uint8Array;
  index: number;
  count: number;
  data: Uint8Array;
}

export function encodeFragment(f: Fragment): Uint8Array {
  return new Writer().bytes(f.messageId).u32(f.index).u32(f.count).bytes(f.data).finish();
}

export function decodeFragment(bytes: Uint8Array): Fragment {
  const r = new Reader(bytes, 'fragment');
  const messageId = r.take(MESSAGE_ID_SIZE);
  const index = r.u32();
  const count = r.u32();
  if (count === 0 || index >= count) throw new DecodeError(`fragment: index ${index} of ${count}`);
  return { messageId, index, count, data: r.rest() };
}

/** Splits `message` into fragments of at most `capacity` data bytes (an empty message is one fragment). */
export function splitMessage(messageId: Uint8Array, message: Uint8Array, capacity: number): Fragment[] {
  if (capacity < 1) throw new RangeError('fragment capacity must be at least 1');
  const count = Math.max(1, Math.ceil(message.length / capacity));
  const out: Fragment[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ messageId, index: i, count, data: message.subarray(i * capacity, (i + 1) * capacity) });
  }
  return out;
}
