/**
 * Client ↔ gateway messages over WebSocket (ARCHITECTURE.md, "Wire between processes").
 * Control messages are JSON text frames; packets travel in binary frames `kind(1) || body`:
 *
 *   gateway → client  {"type":"challenge","nonce":hex32,"gateway":hex32}
 *   client  → gateway {"type":"auth","identity":hex32,"signature":hex64}
 *                     Ed25519 over AUTH_CONTEXT || gateway identity (32) || nonce (32)
 *   gateway → client  {"type":"ready","address":hex32,"queued":n}   then the mailbox, drained
 *   gateway → client  {"type":"error","message":string}             then close
 *   client  → gateway binary SEND    = 0x01 || first hop address (32) || Sphinx packet
 *   gateway → client  binary DELIVER = 0x02 || identifier (16) || final-hop payload (SPHINX.md §4.2)
 *
 * A client's address is its Ed25519 identity key, as for Nym (SPHINX.md §1.3), so nobody can
 * register, or drain, a mailbox that is not theirs. Final-hop packets for the all-zero address are
 * drop cover (Loopix): the gateway counts and discards them.
 */
import { fromHex, toHex } from '../bytes.js';

export const AUTH_CONTEXT = new TextEncoder().encode('mixnet-gateway-auth-v1');
export const MAX_CONTROL_MESSAGE_SIZE = 1024;
/** The destination of Loopix drop-cover packets; no identity key is all zeros. */
export const DROP_COVER_DESTINATION: Uint8Array = new Uint8Array(32);

/** Whether a final hop's destination is DROP_COVER_DESTINATION. */
export function isDropCover(destination: Uint8Array): boolean {
  return destination.length === 32 && destination.every((b) => b === 0);
}
export const ClientFrame = { Send: 0x01, Deliver: 0x02 } as const;

export type ControlMessage =
  | { type: 'challenge'; nonce: string; gateway: string }
  | { type: 'auth'; identity: string; signature: string }
  | { type: 'ready'; address: string; queued: number }
  | { type: 'error'; message: string };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** The bytes a client signs to prove its identity to one gateway for one connection. */
export function authPayload(gatewayIdentity: Uint8Array, nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(AUTH_CONTEXT.length + 64);
  out.set(AUTH_CONTEXT, 0);
  out.set(gatewayIdentity, AUTH_CONTEXT.length);
  out.set(nonce, AUTH_CONTEXT.length + 32);
  return out;
}

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${2 * n}}$`);
const HEX32 = HEX(32);
const HEX64 = HEX(64);

/** Parses one JSON control message, bounded in size and checked field by field. */
export function parseControl(text: string): ControlMessage {
  if (text.length > MAX_CONTROL_MESSAGE_SIZE)
    throw new ProtocolError(`control message over ${MAX_CONTROL_MESSAGE_SIZE} bytes`);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new ProtocolError('control message is not JSON');
  }
  if (typeof msg !== 'object' || msg === null) throw new ProtocolError('control message is not an object');
  const m = msg as Record<string, unknown>;
  const str = (field: string, pattern?: RegExp): string => {
    const v = m[field];
    if (typeof v !== 'string' || (pattern && !pattern.test(v)))
      throw new ProtocolError(`${String(m.type)}.${field} is malformed`);
    return v;
  };
  switch (m.type) {
    case 'challenge':
      return { type: 'challenge', nonce: str('nonce', HEX32), gateway: str('gateway', HEX32) };
    case 'auth':
      return { type: 'auth', identity: str('identity', HEX32), signature: str('signature', HEX64) };
    case 'ready': {
      const queued = m.queued;
      if (typeof queued !== 'number' || !Number.isInteger(queued) || queued < 0)
        throw new ProtocolError('ready.queued is malformed');
      return { type: 'ready', address: str('address', HEX32), queued };
    }
    case 'error':
      return { type: 'error', message: str('message') };
    default:
      throw new ProtocolError(`unknown control message type ${JSON.stringify(m.type)}`);
  }
}

/** kind(1) || head || body: the layout of both binary client frames. */
function encodeClientFrame(kind: number, head: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + head.length + body.length);
  out[0] = kind;
  out.set(head, 1);
  out.set(body, 1 + head.length);
  return out;
}

function decodeClientFrame(
  bytes: Uint8Array,
  kind: number,
  headLength: number,
  name: string,
): [Uint8Array, Uint8Array] {
  if (bytes[0] !== kind || bytes.length < 1 + headLength) throw new ProtocolError(`malformed ${name} frame`);
  return [bytes.subarray(1, 1 + headLength), bytes.subarray(1 + headLength)];
}

export function encodeSend(firstHop: Uint8Array, packet: Uint8Array): Uint8Array {
  return encodeClientFrame(ClientFrame.Send, firstHop, packet);
}

export function decodeSend(bytes: Uint8Array): { firstHop: Uint8Array; packet: Uint8Array } {
  const [firstHop, packet] = decodeClientFrame(bytes, ClientFrame.Send, 32, 'SEND');
  return { firstHop, packet };
}

export function encodeDeliver(identifier: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeClientFrame(ClientFrame.Deliver, identifier, payload);
}

export function decodeDeliver(bytes: Uint8Array): { identifier: Uint8Array; payload: Uint8Array } {
  const [identifier, payload] = decodeClientFrame(bytes, ClientFrame.Deliver, 16, 'DELIVER');
  return { identifier, payload };
}

export const hex = { encode: toHex, decode: fromHex };

/** How a client is named in traces (ANONYMITY.md §1) by gateways and by itself: its address's first 8 bytes. */
export function traceClientName(identity: Uint8Array): string {
  return `c-${toHex(identity).slice(0, 16)}`;
}
