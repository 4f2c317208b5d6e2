/**
 * What one Sphinx payload carries for the client (our own format). Every packet's message fills
 * the whole plaintext capacity (2048 bytes in Nym's regular packet), so the exit gateway, which
 * sees final payloads in the clear, cannot tell data, replies, acks and cover apart by length:
 *
 *   data  (forward, to a client)  seal(recipient, u16 len || ack SURB || u16 len || fragment || 0-pad)
 *                                 = ephemeral X25519 key (32) || tag || ciphertext
 *   reply (in a reply SURB)       decoy key (32) || sealOneTime(key, kind u8 || u16 len || body || 0-pad)
 *                                 kind 1: body = fragment; kind 2: body = u32 SURBs wanted
 *   ack   (in an ack SURB)        decoy key (32) || random bytes: the SURB's identifier is the ack
 *   loop cover                    decoy key (32) || random bytes: its identifier is the loop
 *
 * Nor by content (issue 14 #8): data begins with an X25519 public key, which a gateway can test
 * (on the curve, not the twist; top bit 0; even in the prime-order subgroup). So every other
 * payload begins with a decoy: a fresh public key from the same key generation, whose secret is
 * thrown away. What follows is a MAC and AES-CTR output in data, random bytes elsewhere.
 *
 * Acks and loops go through Lioness like data, so every payload their gateway delivers starts with
 * §5.4's 16 zero bytes. Drop cover skips Lioness (core.ts); its gateway drops it by destination.
 */
import { type CryptoBackend, DEFAULT_PAYLOAD_SIZE, PAYLOAD_OVERHEAD_SIZE } from '@mixnet/sphinx';
import { DecodeError, Reader, randomBytes, Writer } from './bytes.js';
import { decodeFragment, encodeFragment, FRAGMENT_HEADER_SIZE, type Fragment } from './fragment.js';
import {
  DECOY_KEY_SIZE,
  decoyKey,
  open,
  openOneTime,
  SEAL_OVERHEAD,
  type SealKeys,
  SYMMETRIC_OVERHEAD,
  seal,
  sealOneTime,
} from './seal.js';

/** Sphinx payload size of every client packet: Nym's regular packet. */
export const PAYLOAD_SIZE = DEFAULT_PAYLOAD_SIZE;
/** The message bytes one packet carries (§5.1: payload minus 16 zeros and the 0x01 marker). */
export const PACKET_MESSAGE_SIZE = PAYLOAD_SIZE - PAYLOAD_OVERHEAD_SIZE;
/** A version-259 SURB over 5 hops: header 348, first hop 32, five 16-byte seeds. */
export const MAX_ACK_SURB_SIZE = 348 + 32 + 5 * 16;
/** Message bytes per data fragment, whatever the route length. */
export const DATA_CAPACITY = PACKET_MESSAGE_SIZE - SEAL_OVERHEAD - 2 - MAX_ACK_SURB_SIZE - 2 - FRAGMENT_HEADER_SIZE;
/** Message bytes per reply fragment. */
export const REPLY_CAPACITY = PACKET_MESSAGE_SIZE - DECOY_KEY_SIZE - SYMMETRIC_OVERHEAD - 1 - 2 - FRAGMENT_HEADER_SIZE;

function pad(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length > size) throw new RangeError(`packet content of ${bytes.length} bytes exceeds ${size}`);
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

export function sealData(
  backend: CryptoBackend,
  recipientSealKey: Uint8Array,
  ackSurb: Uint8Array,
  fragment: Fragment,
): Uint8Array {
  const frag = encodeFragment(fragment);
  const body = new Writer().u16(ackSurb.length).bytes(ackSurb).u16(frag.length).bytes(frag).finish();
  return seal(backend, recipientSealKey, pad(body, PACKET_MESSAGE_SIZE - SEAL_OVERHEAD));
}

/** null: not sealed for us (or altered). Throws DecodeError on a malformed opened body. */
export function openData(
  backend: CryptoBackend,
  keys: SealKeys,
  message: Uint8Array,
): { ackSurb: Uint8Array; fragment: Fragment } | null {
  const body = open(backend, keys, message);
  if (!body) return null;
  const r = new Reader(body, 'data packet');
  const ackSurb = r.take(r.u16());
  const fragment = decodeFragment(r.take(r.u16()));
  return { ackSurb, fragment };
}

export type ReplyContent = { kind: 'fragment'; fragment: Fragment } | { kind: 'need-surbs'; count: number };

export function sealReply(backend: CryptoBackend, key: Uint8Array, content: ReplyContent): Uint8Array {
  const body =
    content.kind === 'fragment' ? encodeFragment(content.fragment) : new Writer().u32(content.count).finish();
  const plain = new Writer()
    .u8(content.kind === 'fragment' ? 1 : 2)
    .u16(body.length)
    .bytes(body)
    .finish();
  const sealed = sealOneTime(backend, key, pad(plain, PACKET_MESSAGE_SIZE - DECOY_KEY_SIZE - SYMMETRIC_OVERHEAD));
  const out = new Uint8Array(PACKET_MESSAGE_SIZE);
  out.set(decoyKey(backend), 0);
  out.set(sealed, DECOY_KEY_SIZE);
  return out;
}

export function openReply(backend: CryptoBackend, key: Uint8Array, message: Uint8Array): ReplyContent | null {
  if (message.length < DECOY_KEY_SIZE) return null;
  const plain = openOneTime(backend, key, message.subarray(DECOY_KEY_SIZE));
  if (!plain) return null;
  const r = new Reader(plain, 'reply packet');
  const kind = r.u8();
  const body = r.take(r.u16());
  if (kind === 1) return { kind: 'fragment', fragment: decodeFragment(body) };
  if (kind === 2) return { kind: 'need-surbs', count: new Reader(body, 'reply packet').u32() };
  throw new DecodeError(`reply packet: unknown kind ${kind}`);
}

/** Content of acks and loop cover: a decoy key, then random bytes, as sealed data looks to a gateway. */
export function coverContent(backend: CryptoBackend): Uint8Array {
  const out = randomBytes(PACKET_MESSAGE_SIZE);
  out.set(decoyKey(backend), 0);
  return out;
}
