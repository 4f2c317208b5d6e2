/** End-to-end sealing (seal.ts): round trips on both backends, tamper and misdelivery detection, reply keys. */
import { type CryptoBackend, getBackend } from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  open,
  openOneTime,
  replyKey,
  SEAL_OVERHEAD,
  SYMMETRIC_OVERHEAD,
  seal,
  sealKeysFromIdentity,
  sealOneTime,
  sealPublicKey,
  TAG_SIZE,
} from './seal.js';

const BACKENDS: [string, CryptoBackend][] = [
  ['noble', getBackend('noble')],
  ['native', getBackend('native')],
];

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const secretArb = bytes(32, 32);
const plaintextArb = fc.oneof(bytes(0, 64), bytes(0, 2100));

/** Every single-bit change of `sealed`, one at a time. */
function* bitFlips(sealed: Uint8Array): Generator<[number, Uint8Array]> {
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const copy = sealed.slice();
    copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
    yield [bit, copy];
  }
}

function identity(secret: Uint8Array) {
  return { keys: sealKeysFromIdentity(secret), sealKey: sealPublicKey(ed25519.getPublicKey(secret)) };
}

describe('sealKeysFromIdentity / sealPublicKey', () => {
  it('the sender derives from the address the same key the recipient derives from its secret', () => {
    fc.assert(
      fc.property(secretArb, (secret) => {
        const { keys, sealKey } = identity(secret);
        expect(sealKey).toEqual(keys.public);
        expect(keys.secret).toHaveLength(32);
      }),
      { numRuns: 50 },
    );
  });
});

describe.each(BACKENDS)('seal / open on %s', (_name, backend) => {
  it('round-trips any plaintext to an Ed25519 identity', () => {
    fc.assert(
      fc.property(secretArb, plaintextArb, (secret, plaintext) => {
        const { keys, sealKey } = identity(secret);
        const sealed = seal(backend, sealKey, plaintext);
        expect(sealed).toHaveLength(plaintext.length + SEAL_OVERHEAD);
        expect(open(backend, keys, sealed)).toEqual(plaintext);
      }),
      { numRuns: 40 },
    );
  });

  it('is interoperable with the other backend', () => {
    const other = backend.name === 'noble' ? getBackend('native') : getBackend('noble');
    fc.assert(
      fc.property(secretArb, bytes(0, 300), (secret, plaintext) => {
        const { keys, sealKey } = identity(secret);
        expect(open(other, keys, seal(backend, sealKey, plaintext))).toEqual(plaintext);
      }),
      { numRuns: 20 },
    );
  });

  it('uses a fresh ephemeral key each time: the same plaintext never seals to the same bytes', () => {
    const { sealKey } = identity(ed25519.utils.randomSecretKey());
    const pt = new Uint8Array(40);
    const a = seal(backend, sealKey, pt);
    const b = seal(backend, sealKey, pt);
    expect(a).not.toEqual(b);
    expect(a.subarray(0, 32)).not.toEqual(b.subarray(0, 32));
  });

  it('any single bit flip anywhere makes open return null (exhaustive over a small box)', () => {
    const { keys, sealKey } = identity(ed25519.utils.randomSecretKey());
    const sealed = seal(backend, sealKey, new TextEncoder().encode('attack at dawn'));
    expect(open(backend, keys, sealed)).not.toBeNull();
    for (const [bit, flipped] of bitFlips(sealed)) {
      expect(open(backend, keys, flipped), `bit ${bit}`).toBeNull();
    }
  });

  it('a random bit flip in a larger box makes open return null', () => {
    fc.assert(
      fc.property(secretArb, bytes(1, 2100), fc.nat(), (secret, plaintext, pick) => {
        const { keys, sealKey } = identity(secret);
        const sealed = seal(backend, sealKey, plaintext);
        const bit = pick % (sealed.length * 8);
        sealed[bit >> 3] = (sealed[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(open(backend, keys, sealed)).toBeNull();
      }),
      { numRuns: 30 },
    );
  });

  it('a box sealed for another identity does not open', () => {
    fc.assert(
      fc.property(secretArb, secretArb, bytes(0, 200), (a, b, plaintext) => {
        fc.pre(Buffer.compare(a, b) !== 0);
        const alice = identity(a);
        const bob = identity(b);
        const sealed = seal(backend, alice.sealKey, plaintext);
        expect(open(backend, bob.keys, sealed)).toBeNull();
        expect(open(backend, alice.keys, sealed)).toEqual(plaintext);
      }),
      { numRuns: 30 },
    );
  });

  it('input shorter than the overhead is refused, not read out of bounds', () => {
    const { keys, sealKey } = identity(ed25519.utils.randomSecretKey());
    for (let n = 0; n < SEAL_OVERHEAD; n++) expect(open(backend, keys, new Uint8Array(n)), `${n} bytes`).toBeNull();
    // Exactly the overhead is an empty plaintext, and opens.
    const empty = seal(backend, sealKey, new Uint8Array(0));
    expect(empty).toHaveLength(SEAL_OVERHEAD);
    expect(open(backend, keys, empty)).toEqual(new Uint8Array(0));
    // A truncated box does not open.
    const sealed = seal(backend, sealKey, new Uint8Array(100));
    for (const cut of [1, 50, 99]) expect(open(backend, keys, sealed.subarray(0, sealed.length - cut))).toBeNull();
  });

  it('a low-order ephemeral point is refused (returns null, does not throw)', () => {
    const { keys } = identity(ed25519.utils.randomSecretKey());
    for (const u of [0, 1]) {
      const box = new Uint8Array(SEAL_OVERHEAD + 10);
      box[0] = u;
      expect(open(backend, keys, box)).toBeNull();
    }
  });
});

describe.each(BACKENDS)('sealOneTime / openOneTime on %s', (_name, backend) => {
  it('round-trips any plaintext under a key', () => {
    fc.assert(
      fc.property(bytes(32, 32), plaintextArb, (key, plaintext) => {
        const sealed = sealOneTime(backend, key, plaintext);
        expect(sealed).toHaveLength(plaintext.length + SYMMETRIC_OVERHEAD);
        expect(openOneTime(backend, key, sealed)).toEqual(plaintext);
      }),
      { numRuns: 50 },
    );
  });

  it('any single bit flip anywhere makes openOneTime return null', () => {
    const key = backend.randomBytes(32);
    const sealed = sealOneTime(backend, key, new TextEncoder().encode('a reply through a SURB'));
    for (const [bit, flipped] of bitFlips(sealed)) expect(openOneTime(backend, key, flipped), `bit ${bit}`).toBeNull();
    fc.assert(
      fc.property(bytes(32, 32), bytes(0, 2100), fc.nat(), (k, plaintext, pick) => {
        const box = sealOneTime(backend, k, plaintext);
        const bit = pick % (box.length * 8);
        box[bit >> 3] = (box[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(openOneTime(backend, k, box)).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it('another key does not open it', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(32, 32), bytes(0, 200), (k1, k2, plaintext) => {
        fc.pre(Buffer.compare(k1, k2) !== 0);
        expect(openOneTime(backend, k2, sealOneTime(backend, k1, plaintext))).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it('input shorter than the tag is refused', () => {
    const key = backend.randomBytes(32);
    for (let n = 0; n < TAG_SIZE; n++) expect(openOneTime(backend, key, new Uint8Array(n))).toBeNull();
    expect(openOneTime(backend, key, sealOneTime(backend, key, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it('is interoperable with the other backend', () => {
    const other = backend.name === 'noble' ? getBackend('native') : getBackend('noble');
    fc.assert(
      fc.property(bytes(32, 32), bytes(0, 300), (key, plaintext) => {
        expect(openOneTime(other, key, sealOneTime(backend, key, plaintext))).toEqual(plaintext);
      }),
      { numRuns: 30 },
    );
  });
});

describe.each(BACKENDS)('replyKey on %s', (_name, backend) => {
  it('is deterministic, 32 bytes, and differs per index', () => {
    const secret = backend.randomBytes(32);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const k = replyKey(backend, secret, i);
      expect(k).toHaveLength(32);
      expect(replyKey(backend, secret, i)).toEqual(k);
      seen.add(Buffer.from(k).toString('hex'));
    }
    expect(seen.size).toBe(200);
    // The whole u32 index is used, not only its low byte.
    expect(replyKey(backend, secret, 0x100)).not.toEqual(replyKey(backend, secret, 0));
    expect(replyKey(backend, secret, 0xffff_ffff)).not.toEqual(replyKey(backend, secret, 0x00ff_ffff));
  });

  it('differs per request secret and agrees across backends', () => {
    const other = backend.name === 'noble' ? getBackend('native') : getBackend('noble');
    fc.assert(
      fc.property(bytes(32, 32), bytes(32, 32), fc.nat({ max: 0xffff_ffff }), (s1, s2, index) => {
        fc.pre(Buffer.compare(s1, s2) !== 0);
        expect(replyKey(backend, s1, index)).not.toEqual(replyKey(backend, s2, index));
        expect(replyKey(other, s1, index)).toEqual(replyKey(backend, s1, index));
      }),
      { numRuns: 50 },
    );
  });

  it('a reply sealed under key i opens only under key i', () => {
    const secret = backend.randomBytes(32);
    const box = sealOneTime(backend, replyKey(backend, secret, 3), new Uint8Array([1, 2, 3]));
    expect(openOneTime(backend, replyKey(backend, secret, 3), box)).toEqual(new Uint8Array([1, 2, 3]));
    for (const i of [0, 2, 4]) expect(openOneTime(backend, replyKey(backend, secret, i), box)).toBeNull();
  });
});
