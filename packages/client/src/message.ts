/**
 * The reassembled message (our own format): what `send` and `request` carry end to end.
 *
 *   message  = kind u8 || …
 *   1 DATA     application bytes
 *   2 REQUEST  request id (16) || request secret (32) || surbs || application bytes
 *   3 SURBS    request id (16) || u16 resend count || u32 index × count || surbs
 *              (a top-up of reply SURBs; count 0xffff asks for every fragment again)
 *   surbs    = u8 n || n × (u32 index || u16 length || SURB)
 *
 * Reply SURB i of a request is used with the one-time key `replyKey(secret, i)` (seal.ts).
 */
import { DecodeError, Reader, Writer } from './bytes.js';

export const MessageKind = { Data: 1, Request: 2, Surbs: 3 } as const;
export const RESEND_ALL = 0xffff;
/** Bound on SURBs in one message and on those a replier keeps per request. */
export const MAX_SURBS_PER_MESSAGE = 64;
const MAX_SURB_SIZE = 348 + 32 + 5 * 192;

export interface IndexedSurb {
  index: number;
  surb: Uint8Array;
}

export type Message =
  | { kind: 'data'; body: Uint8Array }
  | { kind: 'request'; requestId: Uint8Array; secret: Uint8Array; surbs: IndexedSurb[]; body: Uint8Array }
  | { kind: 'surbs'; requestId: Uint8Array; resend: number[] | 'all'; surbs: IndexedSurb[] };

function writeSurbs(w: Writer, surbs: IndexedSurb[]): void {
  if (surbs.length > MAX_SURBS_PER_MESSAGE) throw new RangeError(`at most ${MAX_SURBS_PER_MESSAGE} SURBs per message`);
  w.u8(surbs.length);
  for (const s of surbs) w.u32(s.index).u16(s.surb.length).bytes(s.surb);
}

function readSurbs(r: Reader): IndexedSurb[] {
  const n = r.u8();
  if (n > MAX_SURBS_PER_MESSAGE) throw new DecodeError(`message: ${n} SURBs, at most ${MAX_SURBS_PER_MESSAGE}`);
  const out: IndexedSurb[] = [];
  for (let i = 0; i < n; i++) {
    const index = r.u32();
    const len = r.u16();
    if (len > MAX_SURB_SIZE) throw new DecodeError(`message: SURB of ${len} bytes`);
    out.push({ index, surb: r.take(len) });
  }
  return out;
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  switch (m.kind) {
    case 'data':
      return w.u8(MessageKind.Data).bytes(m.body).finish();
    case 'request':
      w.u8(MessageKind.Request).bytes(m.requestId).bytes(m.secret);
      writeSurbs(w, m.surbs);
      return w.bytes(m.body).finish();
    case 'surbs': {
      w.u8(MessageKind.Surbs).bytes(m.requestId);
      if (m.resend === 'all') w.u16(RESEND_ALL);
      else {
        if (m.resend.length >= RESEND_ALL) throw new RangeError('too many fragments to resend');
        w.u16(m.resend.length);
        for (const i of m.resend) w.u32(i);
      }
      writeSurbs(w, m.surbs);
      return w.finish();
    }
  }
}

export function decodeMessage(bytes: Uint8Array): Message {
  const r = new Reader(bytes, 'message');
  const kind = r.u8();
  switch (kind) {
    case MessageKind.Data:
      return { kind: 'data', body: r.rest() };
    case MessageKind.Request: {
      const requestId = r.take(16);
      const secret = r.take(32);
      const surbs = readSurbs(r);
      return { kind: 'request', requestId, secret, surbs, body: r.rest() };
    }
    case MessageKind.Surbs: {
      const requestId = r.take(16);
      const n = r.u16();
      let resend: number[] | 'all' = 'all';
      if (n !== RESEND_ALL) {
        resend = [];
        for (let i = 0; i < n; i++) resend.push(r.u32());
      }
      const surbs = readSurbs(r);
      if (r.remaining !== 0) throw new DecodeError('message: trailing bytes after SURBs');
      return { kind: 'surbs', requestId, resend, surbs };
    }
    default:
      throw new DecodeError(`message: unknown kind ${kind}`);
  }
}
