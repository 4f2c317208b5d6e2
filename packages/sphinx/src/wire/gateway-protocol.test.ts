/** Gateway control messages (gateway-protocol.ts): the optional mutual-auth fields and the ready proof. */
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { ProtocolError, parseControl, readyProof, verifyReadyProof } from './gateway-protocol.js';

const h32 = () => toHex(crypto.getRandomValues(new Uint8Array(32)));

describe('parseControl', () => {
  it('keeps the optional client nonce of auth and signature of ready, and checks their shape', () => {
    const auth = { type: 'auth', identity: h32(), signature: h32() + h32() };
    expect(parseControl(JSON.stringify(auth))).toEqual(auth);
    const withNonce = { ...auth, nonce: h32() };
    expect(parseControl(JSON.stringify(withNonce))).toEqual(withNonce);
    expect(() => parseControl(JSON.stringify({ ...auth, nonce: 'zz' }))).toThrow(/auth.nonce is malformed/);
    const ready = { type: 'ready', address: h32(), queued: 3 };
    expect(parseControl(JSON.stringify(ready))).toEqual(ready);
    expect(parseControl(JSON.stringify({ ...ready, signature: h32() + h32() }))).toEqual({
      ...ready,
      signature: expect.any(String),
    });
    expect(() => parseControl(JSON.stringify({ ...ready, signature: h32() }))).toThrow(/ready.signature is malformed/);
  });

  it('throws only ProtocolError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseControl(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});

describe('ready proof', () => {
  const gatewaySecret = ed25519.utils.randomSecretKey();
  const gatewayIdentity = ed25519.getPublicKey(gatewaySecret);
  const clientIdentity = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
  const session = {
    clientIdentity,
    gatewayNonce: crypto.getRandomValues(new Uint8Array(32)),
    clientNonce: crypto.getRandomValues(new Uint8Array(32)),
  };
  const auth = { identity: toHex(clientIdentity), nonce: toHex(session.clientNonce) };

  it('verifies for the gateway that signed this session only', () => {
    const { signature } = readyProof(gatewaySecret, auth, session.gatewayNonce);
    expect(verifyReadyProof(gatewayIdentity, session, signature)).toBe(true);
    const other = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    expect(verifyReadyProof(other, session, signature)).toBe(false);
    const replayed = { ...session, clientNonce: crypto.getRandomValues(new Uint8Array(32)) };
    expect(verifyReadyProof(gatewayIdentity, replayed, signature)).toBe(false);
    expect(verifyReadyProof(gatewayIdentity, session, undefined)).toBe(false);
  });

  it('is absent when the client sent no nonce', () => {
    expect(readyProof(gatewaySecret, { identity: auth.identity }, session.gatewayNonce)).toEqual({});
  });
});
