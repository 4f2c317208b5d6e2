/**
 * The client's side of trace mode (ANONYMITY.md §1): one line per packet it emits, with the ground
 * truth `gt` (kind, and destination name; '?' for packets sent into a SURB, whose end we do not
 * know), and one per packet delivered to it. Wire ids: the first 8 bytes of SHA-256 of the frame on
 * our link, the SEND frame we send and the DELIVER frame we receive (the gateway hashes the same).
 * The line format has one writer (@mixnet/sphinx/wire trace-line.ts).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClientFrame, formatDeliverLine, formatEmitLine } from '@mixnet/sphinx/wire';
import type { OutgoingPacket } from './traffic.js';

export interface ClientTracer {
  emit(p: OutgoingPacket): void;
  deliver(frame: Uint8Array): void;
  close(): Promise<void>;
}

const SEND_KIND = Uint8Array.of(ClientFrame.Send);
const wireId = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const now = () => Number(process.hrtime.bigint());

export function createClientTracer(opts: { dir: string; name: string; gateway: string }): ClientTracer {
  mkdirSync(opts.dir, { recursive: true });
  const out = createWriteStream(join(opts.dir, `${opts.name}.jsonl`), { flags: 'a' });
  // A frame can still arrive while the client closes: after close it is not traced (no write after end).
  let closed = false;
  return {
    emit(p) {
      if (closed) return;
      const gt = p.gt ?? { k: 'real', d: '?' };
      // The bytes on our link: the SEND frame, 0x01 || first hop || packet (gateway protocol).
      const hx = createHash('sha256').update(SEND_KIND).update(p.firstHop).update(p.packet).digest('hex').slice(0, 16);
      out.write(`${formatEmitLine(opts.name, now(), opts.gateway, hx, gt.k, gt.d)}\n`);
    },
    deliver(frame) {
      if (closed) return;
      out.write(`${formatDeliverLine(opts.name, now(), opts.gateway, wireId(frame))}\n`);
    },
    close: () => {
      closed = true;
      return new Promise<void>((resolve) => out.end(() => resolve()));
    },
  };
}
