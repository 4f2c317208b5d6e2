/**
 * Client ↔ gateway messages over WebSocket (ARCHITECTURE.md, "Wire between processes").
 * Control messages are JSON text frames; packets travel in binary frames `kind(1) || body`:
 *
 *   gateway → client  {"type":"challenge","nonce":hex32,"gateway":hex32}
 *   client  → gateway {"type":"auth","identity":hex32,"signature":hex64,"nonce"?:hex32}
 *                     signature: Ed25519 over AUTH_CONTEXT || gateway identity (32) || nonce (32)
 *                     nonce: the client's own fresh nonce, asking the gateway to prove itself
 *   gateway → client  {"type":"ready","address":hex32,"queued":n,"signature"?:hex64}  then the mailbox
 *                     signature (when the auth carried a nonce): the gateway's Ed25519 over
 *                     READY_CONTEXT || client identity (32) || gateway nonce (32) || client nonce (32)
 *   gateway → client  {"type":"error","message":string}             then close
 *   client  → gateway binary SEND    = 0x01 || first hop address (32) || Sphinx packet
 *   gateway → client  binary DELIVER = 0x02 || identifier (16) || final-hop payload (SPHINX.md §4.2)
 *
 * A client's address is its Ed25519 identity key, as for Nym (SPHINX.md §1.3), so nobody can
 * register, or drain, a mailbox that is not theirs. Final-hop packets for the all-zero address are
 * drop cover (Loopix): the gateway counts and discards them.
 *
 * Mutual authentication (issue 14 #6). The client pins its gateway's identity key (from the
 * topology) and signs a challenge only if it names that key, so a malicious gateway that relays
 * another gateway's challenge gets nothing it can use there: the signature names the pinned gateway.
 * The client then sends a fresh nonce and accepts the session only when `ready` carries the pinned
 * key's signature over both nonces and its identity, so nobody without that key can pose as its
 * gateway. Both signatures are checked with `verifyIdentitySignature` (identity.ts). This
 * authenticates the endpoints, not the channel: over plain ws:// an on-path relay still sees and
 * can inject frames (Sphinx packets are encrypted end to end anyway); use wss:// for that.
 * The client nonce is optional on the wire so that bare test clients keep working; the SDK always
 * sends it and refuses a `ready` without a valid signature.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '../bytes.js';
import { verifyIdentitySignature } from './identity.js';

export const AUTH_CONTEXT = new TextEncoder().encode('mixnet-gateway-auth-v1');
export const READY_CONTEXT = new TextEncoder().encode('mixnet-gateway-ready-v1');
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
  | { type: 'auth'; identity: string; signature: string; nonce?: string }
  | { type: 'ready'; address: string; queued: number; signature?: string }
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

/** The bytes a gateway signs to prove its identity to one client for one connection. */
export function readyPayload(
  clientIdentity: Uint8Array,
  gatewayNonce: Uint8Array,
  clientNonce: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(READY_CONTEXT.length + 96);
  out.set(READY_CONTEXT, 0);
  out.set(clientIdentity, READY_CONTEXT.length);
  out.set(gatewayNonce, READY_CONTEXT.length + 32);
  out.set(clientNonce, READY_CONTEXT.length + 64);
  return out;
}

/**
 * The gateway's side: the `signature` field of its `ready` (spread into the message), or nothing
 * when the client sent no nonce. Signed with the gateway's Ed25519 identity secret.
 */
export function readyProof(
  gatewayIdentitySecret: Uint8Array,
  auth: { identity: string; nonce?: string },
  gatewayNonce: Uint8Array,
): { signature?: string } {
  if (auth.nonce === undefined) return {};
  const message = readyPayload(fromHex(auth.identity), gatewayNonce, fromHex(auth.nonce));
  return { signature: toHex(ed25519.sign(message, gatewayIdentitySecret)) };
}

/** The client's side: whether `ready.signature` proves the pinned gateway answered this session. */
export function verifyReadyProof(
  gatewayIdentity: Uint8Array,
  session: { clientIdentity: Uint8Array; gatewayNonce: Uint8Array; clientNonce: Uint8Array },
  signature: string | undefined,
): boolean {
  if (signature === undefined) return false;
  const message = readyPayload(session.clientIdentity, session.gatewayNonce, session.clientNonce);
  return verifyIdentitySignature(fromHex(signature), message, gatewayIdentity);
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
    case 'auth': {
      const auth = { type: 'auth' as const, identity: str('identity', HEX32), signature: str('signature', HEX64) };
      return m.nonce === undefined ? auth : { ...auth, nonce: str('nonce', HEX32) };
    }
    case 'ready': {
      const queued = m.queued;
      if (typeof queued !== 'number' || !Number.isInteger(queued) || queued < 0)
        throw new ProtocolError('ready.queued is malformed');
      const ready = { type: 'ready' as const, address: str('address', HEX32), queued };
      return m.signature === undefined ? ready : { ...ready, signature: str('signature', HEX64) };
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
