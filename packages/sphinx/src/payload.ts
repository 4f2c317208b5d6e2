/** Payload plaintext layout, layering and recovery (SPHINX.md §5.1, §5.3, §5.4). */
import { copyBytes } from './bytes.js';
import { MIN_PAYLOAD_SIZE, PAYLOAD_OVERHEAD_SIZE, SECURITY_PARAMETER } from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { SphinxError } from './errors.js';
import { lionessEncryptInPlace } from './lioness.js';
import { requireBytes } from './validate.js';

/** M = 0^16 || msg || 0x01 || 0^(payloadSize − 17 − len(msg)) (§5.1). */
export function encodePlaintext(message: Uint8Array, payloadSize: number): Uint8Array {
  if (payloadSize < MIN_PAYLOAD_SIZE) {
    throw new SphinxError('INVALID_PAYLOAD', `payload size must be at least ${MIN_PAYLOAD_SIZE}, got ${payloadSize}`);
  }
  if (message.length > payloadSize - PAYLOAD_OVERHEAD_SIZE) {
    throw new SphinxError(
      'INVALID_PAYLOAD',
      `too long message provided: ${message.length} bytes, at most ${payloadSize - PAYLOAD_OVERHEAD_SIZE} fit in a ${payloadSize}-byte payload`,
    );
  }
  const out = new Uint8Array(payloadSize);
  out.set(message, SECURITY_PARAMETER);
  out[SECURITY_PARAMETER + message.length] = 0x01;
  return out;
}

/** The sender's layering: the last hop's Lioness layer is innermost (§5.3). */
export function encapsulatePayload(
  backend: CryptoBackend,
  message: Uint8Array,
  payloadKeys: readonly Uint8Array[],
  payloadSize: number,
): Uint8Array {
  const payload = encodePlaintext(message, payloadSize);
  for (let i = payloadKeys.length - 1; i >= 0; i--)
    lionessEncryptInPlace(backend, payloadKeys[i] as Uint8Array, payload);
  return payload;
}

/**
 * The recipient's check and unpadding (§5.4): 16 leading zeros, then the message up to the last
 * 0x01. This is where payload tampering is detected; the hops do not check the payload (§4.2).
 */
export function recoverMessage(payload: Uint8Array): Uint8Array {
  requireBytes('payload', payload, undefined, 'INVALID_PAYLOAD');
  if (payload.length < PAYLOAD_OVERHEAD_SIZE) {
    throw new SphinxError('INVALID_PAYLOAD', 'malformed payload - no leading zero padding present');
  }
  for (let i = 0; i < SECURITY_PARAMETER; i++) {
    if (payload[i] !== 0)
      throw new SphinxError('INVALID_PAYLOAD', 'malformed payload - no leading zero padding present');
  }
  const marker = payload.lastIndexOf(0x01);
  if (marker < SECURITY_PARAMETER) {
    throw new SphinxError('INVALID_PAYLOAD', 'malformed payload - invalid trailing padding');
  }
  return copyBytes(payload, SECURITY_PARAMETER, marker);
}
