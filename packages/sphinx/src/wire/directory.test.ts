import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import {
  DescriptorError,
  type NodeDescriptor,
  signDescriptor,
  sphinxKeyEntry,
  verifyDescriptor,
} from './directory-descriptor.js';
import {
  type DocumentCache,
  DocumentError,
  MAX_DOCUMENT_MU_MS,
  signTopologyDocument,
  type TopologyDocument,
  verifyTopologyDocument,
} from './directory-document.js';

const NOW = 1_800_000_000_000;

function node(id: string, role: 'mix' | 'gateway' = 'mix') {
  const identitySecret = ed25519.utils.randomSecretKey();
  const identity = ed25519.getPublicKey(identitySecret);
  const sphinxSecret = crypto.getRandomValues(new Uint8Array(32));
  const sphinx = x25519.getPublicKey(sphinxSecret);
  const descriptor: NodeDescriptor = {
    v: 1,
    kind: 'node',
    id,
    role,
    identityKey: toHex(identity),
    sphinxKeys: [sphinxKeyEntry(3, sphinxSecret, sphinx, identity)],
    address: '127.0.0.1:4000',
    ...(role === 'gateway' ? { clientUrl: 'ws://127.0.0.1:4001' } : {}),
    metricsUrl: 'http://127.0.0.1:4002',
    software: 'mixnet/0.1.0',
    issuedAt: NOW,
  };
  return { identitySecret, identity, sphinxSecret, sphinx, descriptor };
}

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof DescriptorError || err instanceof DocumentError) return err.code;
    throw err;
  }
  return 'accepted';
};

describe('descriptors', () => {
  const n = node('mix-1-1');
  const signed = signDescriptor(n.descriptor, n.identitySecret);

  it('round-trips a signed descriptor', () => {
    expect(verifyDescriptor(signed, { now: NOW })).toEqual(n.descriptor);
    const g = node('gateway-1', 'gateway');
    expect(verifyDescriptor(signDescriptor(g.descriptor, g.identitySecret), { now: NOW })).toEqual(g.descriptor);
  });

  it('refuses a forged signature, another identity, a stolen Sphinx key, staleness, oversize', () => {
    const other = node('mix-1-2');
    // Signed by another key than the one it names.
    expect(code(() => verifyDescriptor(signDescriptor(n.descriptor, other.identitySecret), { now: NOW }))).toBe(
      'BAD_SIGNATURE',
    );
    // Another node's Sphinx key (with its proof) announced as ours: the proof binds it to their identity.
    const stolen = { ...other.descriptor, sphinxKeys: n.descriptor.sphinxKeys };
    expect(code(() => verifyDescriptor(signDescriptor(stolen, other.identitySecret), { now: NOW }))).toBe('BAD_PROOF');
    expect(code(() => verifyDescriptor(signed, { now: NOW + 6 * 60_000 }))).toBe('STALE');
    expect(code(() => verifyDescriptor(signed, { now: NOW - 2 * 60_000 }))).toBe('STALE');
    expect(code(() => verifyDescriptor({ ...signed, descriptor: ' '.repeat(9000) }, { now: NOW }))).toBe('OVERSIZE');
    // The small-order identity key with the signature that verifies under ZIP-215.
    const weak = new Uint8Array(32);
    weak[0] = 1;
    const forged = new Uint8Array(64);
    forged[0] = 1;
    const text = JSON.stringify({ ...n.descriptor, identityKey: toHex(weak) });
    expect(code(() => verifyDescriptor({ descriptor: text, signature: toHex(forged) }, { now: NOW }))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('names the bad field', () => {
    const bad = signDescriptor({ ...n.descriptor, address: 'nowhere' }, n.identitySecret);
    expect(() => verifyDescriptor(bad, { now: NOW })).toThrow(/descriptor\.address/);
    const mixWithUrl = signDescriptor({ ...n.descriptor, clientUrl: 'ws://x:1' }, n.identitySecret);
    expect(() => verifyDescriptor(mixWithUrl, { now: NOW })).toThrow(/clientUrl/);
  });

  it('10,000 random and mutated descriptors give only DescriptorErrors', () => {
    const text = signed.descriptor;
    const mutated = fc.tuple(fc.nat(text.length - 1), fc.string({ maxLength: 3 }), fc.nat(3)).map(([at, s, cut]) => ({
      descriptor: text.slice(0, at) + s + text.slice(at + cut),
      signature: signed.signature,
    }));
    const resigned = fc
      .dictionary(fc.constantFrom(...Object.keys(n.descriptor)), fc.jsonValue(), { maxKeys: 3 })
      .map((patch) => signDescriptor({ ...n.descriptor, ...patch } as NodeDescriptor, n.identitySecret));
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.record({ descriptor: fc.string(), signature: fc.string() }),
      mutated,
      resigned,
    );
    fc.assert(
      fc.property(anything, (body) => {
        try {
          verifyDescriptor(body, { now: NOW });
        } catch (err) {
          expect(err).toBeInstanceOf(DescriptorError);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('topology documents', () => {
  const dirSecret = ed25519.utils.randomSecretKey();
  const dirKey = ed25519.getPublicKey(dirSecret);
  const entry = (id: string) => {
    const n = node(id);
    return {
      id,
      address: '127.0.0.1:5000',
      sphinxKey: toHex(n.sphinx),
      identityKey: n.descriptor.identityKey,
    };
  };
  const doc: TopologyDocument = {
    v: 1,
    epoch: 7,
    keyRotation: 2,
    validFrom: NOW,
    validUntil: NOW + 20_000,
    epochMs: 20_000,
    graceMs: 20_000,
    issuedAt: NOW,
    seed: '00'.repeat(32),
    layers: [[entry('mix-1-1')], [entry('mix-2-1')]],
    gateways: [{ ...entry('gateway-1'), clientUrl: 'ws://127.0.0.1:5001' }],
    serviceProviders: [{ id: 'sp', address: '11'.repeat(32), gateway: 'gateway-1' }],
    standby: [{ ...entry('mix-1-2'), role: 'mix' }],
    scores: { 'mix-1-1': 1, 'mix-2-1': 0.5 },
  };
  const signed = signTopologyDocument(doc, dirSecret);

  it('round-trips and computes its hash and staleness', () => {
    const v = verifyTopologyDocument(signed, { publicKey: dirKey, now: NOW });
    expect(v.document).toEqual(doc);
    expect(v.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(v.stale).toBe(false);
    expect(verifyTopologyDocument(signed, { publicKey: dirKey, now: NOW + 60_000 }).stale).toBe(true);
  });

  it('with a cache, checks a document once; still refuses another text, another key, an epoch going back', () => {
    const cache: DocumentCache = new Map();
    let checks = 0;
    const verifySignature = (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => {
      checks++;
      return ed25519.verify(sig, msg, key);
    };
    const first = verifyTopologyDocument(signed, { publicKey: dirKey, now: NOW, cache, verifySignature });
    const again = verifyTopologyDocument(signed, { publicKey: dirKey, now: NOW + 60_000, cache, verifySignature });
    expect(checks).toBe(1);
    expect(again.hash).toBe(first.hash);
    expect(again.stale).toBe(true); // staleness is per call
    const tampered = { ...signed, document: signed.document.replace('"epoch":7', '"epoch":8') };
    expect(() => verifyTopologyDocument(tampered, { publicKey: dirKey, cache, verifySignature })).toThrow(/signed/);
    const other = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    expect(() => verifyTopologyDocument(signed, { publicKey: other, cache, verifySignature })).toThrow(DocumentError);
    expect(() => verifyTopologyDocument(signed, { publicKey: dirKey, afterEpoch: 8, cache })).toThrow(/older/);
  });

  it('refuses another key, a changed byte, an epoch going backwards, an active node also in standby', () => {
    const other = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    expect(code(() => verifyTopologyDocument(signed, { publicKey: other }))).toBe('BAD_SIGNATURE');
    const changed = { ...signed, document: signed.document.replace('"epoch":7', '"epoch":8') };
    expect(code(() => verifyTopologyDocument(changed, { publicKey: dirKey }))).toBe('BAD_SIGNATURE');
    expect(code(() => verifyTopologyDocument(signed, { publicKey: dirKey, afterEpoch: 8 }))).toBe('EPOCH_BACKWARDS');
    expect(code(() => verifyTopologyDocument(signed, { publicKey: dirKey, afterEpoch: 7 }))).toBe('accepted');
    const dup = signTopologyDocument(
      { ...doc, standby: [{ ...(doc.layers[0]?.[0] as TopologyDocument['standby'][number]), role: 'mix' }] },
      dirSecret,
    );
    expect(code(() => verifyTopologyDocument(dup, { publicKey: dirKey }))).toBe('MALFORMED');
    expect(
      code(() => verifyTopologyDocument({ ...signed, document: 'x'.repeat(1024 * 1024 + 1) }, { publicKey: dirKey })),
    ).toBe('OVERSIZE');
  });

  it('carries an optional muMs (older documents have none), bounded and named when bad', () => {
    expect('muMs' in verifyTopologyDocument(signed, { publicKey: dirKey, now: NOW }).document).toBe(false);
    const withMu = verifyTopologyDocument(signTopologyDocument({ ...doc, muMs: 12.5 }, dirSecret), {
      publicKey: dirKey,
      now: NOW,
    });
    expect(withMu.document.muMs).toBe(12.5);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.double()), (muMs) => {
        const body = signTopologyDocument({ ...doc, muMs } as TopologyDocument, dirSecret);
        const ok = typeof muMs === 'number' && muMs >= 0 && muMs <= MAX_DOCUMENT_MU_MS;
        try {
          const parsed = verifyTopologyDocument(body, { publicKey: dirKey, now: NOW }).document.muMs;
          expect(parsed === muMs).toBe(true);
          expect(ok).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(DocumentError);
          expect((err as Error).message).toMatch(/muMs/);
          expect(ok).toBe(false);
        }
      }),
    );
  });

  it('10,000 random and mutated documents give only DocumentErrors', () => {
    const mutated = fc
      .tuple(fc.nat(signed.document.length - 1), fc.string({ maxLength: 3 }), fc.nat(3))
      .map(([at, s, cut]) => ({
        document: signed.document.slice(0, at) + s + signed.document.slice(at + cut),
        signature: signed.signature,
      }));
    // Re-signed by the right key, so the schema checks are reached.
    const resigned = fc
      .dictionary(fc.constantFrom(...Object.keys(doc), 'muMs'), fc.jsonValue(), { maxKeys: 3 })
      .map((patch) => signTopologyDocument({ ...doc, ...patch } as TopologyDocument, dirSecret));
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.record({ document: fc.string(), signature: fc.string() }),
      mutated,
      resigned,
    );
    fc.assert(
      fc.property(anything, (body) => {
        try {
          verifyTopologyDocument(body, { publicKey: dirKey, now: NOW });
        } catch (err) {
          expect(err).toBeInstanceOf(DocumentError);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
