/**
 * How batches cross the worker boundary (packet-processor.ts): packets in, outcomes out, each
 * batch packed into ONE ArrayBuffer that is transferred. Structured-cloning an object per packet
 * cost the main thread more than the packet's own I/O; one flat buffer costs a memcpy.
 *
 *   packets:  count u32 | (length u32 | bytes)*
 *   outcomes: count u32 | (kind u8 | processing ns u32 | fields)*
 *     forward: rotation u32 | delay u64 | next address 32 | replay tag 32 | BE32(length + 1) |
 *              FrameKind.Packet | packet
 *       (the packet already framed for the wire, so the main thread writes it to the link as is)
 *     final:   rotation u32 | destination 32 | identifier 16 | replay tag 32 | length u32 | payload
 *     error:   code u8 (index into ERROR_CODES)
 */
import type { SphinxErrorCode } from '@mixnet/sphinx';
import { FrameKind } from '@mixnet/sphinx/wire';
import type { ProcessOutcome } from './packet-processor.js';

const ERROR_CODES: (SphinxErrorCode | 'overloaded')[] = [
  'INVALID_PACKET',
  'INVALID_HEADER',
  'INVALID_ROUTING',
  'INVALID_PAYLOAD',
  'INVALID_SURB',
  'INVALID_ARGUMENT',
  'INVALID_ADDRESS',
  'CRYPTO_FAILURE',
  'UNSUPPORTED_VERSION',
  'overloaded',
];
const KIND_FORWARD = 0;
const KIND_FINAL = 1;
const KIND_ERROR = 2;

export function encodePackets(packets: readonly Uint8Array[]): Uint8Array {
  let size = 4;
  for (const p of packets) size += 4 + p.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, packets.length);
  let off = 4;
  for (const p of packets) {
    view.setUint32(off, p.length);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}

/** Views into `batch`, no copies. */
export function decodePackets(batch: Uint8Array): Uint8Array[] {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const count = view.getUint32(0);
  const out: Uint8Array[] = [];
  let off = 4;
  for (let i = 0; i < count; i++) {
    const len = view.getUint32(off);
    out.push(batch.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

function outcomeSize(o: ProcessOutcome): number {
  if (o.kind === 'forward') return 9 + 8 + 32 + 32 + 5 + o.packet.length;
  if (o.kind === 'final') return 9 + 32 + 16 + 32 + 4 + o.payload.length;
  return 5 + 1;
}

export function encodeOutcomes(outcomes: readonly ProcessOutcome[]): Uint8Array {
  let size = 4;
  for (const o of outcomes) size += outcomeSize(o);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, outcomes.length);
  let off = 4;
  for (const o of outcomes) {
    view.setUint32(off + 1, Math.min(o.processingNs, 0xffffffff));
    if (o.kind === 'forward') {
      out[off] = KIND_FORWARD;
      view.setUint32(off + 5, o.rotation);
      view.setBigUint64(off + 9, o.delayNs);
      out.set(o.nextAddress, off + 17);
      out.set(o.replayTag, off + 49);
      view.setUint32(off + 81, o.packet.length + 1);
      out[off + 85] = FrameKind.Packet;
      out.set(o.packet, off + 86);
    } else if (o.kind === 'final') {
      out[off] = KIND_FINAL;
      view.setUint32(off + 5, o.rotation);
      out.set(o.destination, off + 9);
      out.set(o.identifier, off + 41);
      out.set(o.replayTag, off + 57);
      view.setUint32(off + 89, o.payload.length);
      out.set(o.payload, off + 93);
    } else {
      out[off] = KIND_ERROR;
      out[off + 5] = Math.max(0, ERROR_CODES.indexOf(o.code));
    }
    off += outcomeSize(o);
  }
  return out;
}

/** Views into `batch`, no copies. */
export function decodeOutcomes(batch: Uint8Array): ProcessOutcome[] {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const count = view.getUint32(0);
  const out: ProcessOutcome[] = [];
  let off = 4;
  for (let i = 0; i < count; i++) {
    const kind = batch[off];
    const processingNs = view.getUint32(off + 1);
    if (kind === KIND_FORWARD) {
      const len = view.getUint32(off + 81) - 1;
      out.push({
        kind: 'forward',
        rotation: view.getUint32(off + 5),
        delayNs: view.getBigUint64(off + 9),
        nextAddress: batch.subarray(off + 17, off + 49),
        replayTag: batch.subarray(off + 49, off + 81),
        packet: batch.subarray(off + 86, off + 86 + len),
        frame: batch.subarray(off + 81, off + 86 + len),
        processingNs,
      });
      off += 86 + len;
    } else if (kind === KIND_FINAL) {
      const len = view.getUint32(off + 89);
      out.push({
        kind: 'final',
        rotation: view.getUint32(off + 5),
        destination: batch.subarray(off + 9, off + 41),
        identifier: batch.subarray(off + 41, off + 57),
        replayTag: batch.subarray(off + 57, off + 89),
        payload: batch.subarray(off + 93, off + 93 + len),
        processingNs,
      });
      off += 93 + len;
    } else {
      out.push({ kind: 'error', code: ERROR_CODES[batch[off + 5] as number] ?? 'CRYPTO_FAILURE', processingNs });
      off += 6;
    }
  }
  return out;
}
