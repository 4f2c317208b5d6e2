/**
 * A node's Ed25519 identity signing natively (node:crypto): ~50 µs a signature instead of ~1.4 ms
 * in pure JS, which matters when 170 hosted nodes re-announce. RFC 8032 signing is deterministic,
 * so the bytes are the same as @noble/curves gives (checked in the test).
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { Ed25519Signer } from '@mixnet/sphinx/wire';

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

export function createEd25519Signer(secretKey: Uint8Array, publicKey: Uint8Array): Ed25519Signer {
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secretKey), x: b64url(publicKey) },
    format: 'jwk',
  });
  return (message) => new Uint8Array(sign(null, message, key));
}
