/** Packet contents (envelope.ts): round trips, and one fixed size whatever a packet carries. */
import {
  type CryptoBackend,
  createPacket,
  createSurb,
  encodeNodeAddress,
  generateKeyPair,
  getBackend,
  packetFromSurb,
  processPacket,
  recoverMessage,
} from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from './bytes.js';
import { ackPacket } from './core.js';
import {
  coverContent,
  DATA_CAPACITY,
  MAX_ACK_SURB_SIZE,
  openData,
  openReply,
  PACKET_MESSAGE_SIZE,
  PAYLOAD_SIZE,
  REPLY_CAPACITY,
  type ReplyContent,
  sealData,
  sealReply,
} from './envelope.js';
import { type Fragment, MESSAGE_ID_SIZE } from './fragment.js';
import { SEAL_OVERHEAD, seal, sealKeysFromIdentity, sealOneTime, sealPublicKey } from './seal.js';

const BACKENDS: [string, CryptoBackend][] = [
  ['noble', getBackend('noble')],
  ['native', getBackend('native')],
];

function hops(n: number, backend: CryptoBackend) {
  return Array.from({ length: n }, (_, i) => {
    const kp = generateKeyPair({ backend });
    return { ...kp, address: encodeNodeAddress({ host: '127.0.0.1', port: 9000 + i }) };
  });
}

/** A version-259 seed SURB over `n` hops, as the client makes for acks. */
function seedSurb(n: number, backend: CryptoBackend): Uint8Array {
  return createSurb({
    route: hops(n, backend).map(({ address, publicKey }) => ({ address, publicKey })),
    delaysNs: Array.from({ length: n }, () => 0n),
    destination: ed25519.getPublicKey(ed25519.utils.randomSecretKey()),
    identifier: new Uint8Array(16).fill(1),
    keyMaterial: 'seeds',
    backend,
  });
}

const idArb = fc.uint8Array({ minLength: MESSAGE_ID_SIZE, maxLength: MESSAGE_ID_SIZE });
const fragmentArb = (maxData: number): fc.Arbitrary<Fragment> =>
  fc
    .tuple(idArb, fc.integer({ min: 1, max: 1 << 20 }), fc.nat(), fc.uint8Array({ maxLength: maxData }))
    .map(([messageId, count, i, data]) => ({ messageId, count, index: i % count, data }));
const replyArb: fc.Arbitrary<ReplyContent> = fc.oneof(
  fragmentArb(REPLY_CAPACITY).map((fragment) => ({ kind: 'fragment' as const, fragment })),
  fc.nat({ max: 0xffff_ffff }).map((count) => ({ kind: 'need-surbs' as const, count })),
);

function recipient() {
  const secret = ed25519.utils.randomSecretKey();
  return { keys: sealKeysFromIdentity(secret), sealKey: sealPublicKey(ed25519.getPublicKey(secret)) };
}

describe('sizes', () => {
  it('a packet carries 2048 message bytes in a 2065-byte Sphinx payload', () => {
    expect(PAYLOAD_SIZE).toBe(2065);
    expect(PACKET_MESSAGE_SIZE).toBe(2048);
    expect(MAX_ACK_SURB_SIZE).toBe(460);
    expect(coverContent(getBackend('native'))).toHaveLength(PACKET_MESSAGE_SIZE);
  });

  it('a 5-hop seed SURB is exactly the ack SURB size the capacity assumes', () => {
    const backend = getBackend('native');
    expect(seedSurb(5, backend)).toHaveLength(MAX_ACK_SURB_SIZE);
    expect(seedSurb(1, backend).length).toBeLessThan(MAX_ACK_SURB_SIZE);
  });
});

describe.each(BACKENDS)('data packets on %s', (_name, backend) => {
  const surb5 = seedSurb(5, backend);

  it('round-trip and are always PACKET_MESSAGE_SIZE bytes', () => {
    const r = recipient();
    fc.assert(
      fc.property(
        fragmentArb(DATA_CAPACITY),
        fc.oneof(fc.constant(surb5), fc.uint8Array({ maxLength: MAX_ACK_SURB_SIZE })),
        (fragment, ackSurb) => {
          const sealed = sealData(backend, r.sealKey, ackSurb, fragment);
          expect(sealed).toHaveLength(PACKET_MESSAGE_SIZE);
          expect(openData(backend, r.keys, sealed)).toEqual({ ackSurb, fragment });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('DATA_CAPACITY bytes of data plus a 5-hop seed SURB fit exactly; one byte more throws', () => {
    const r = recipient();
    const full: Fragment = {
      messageId: new Uint8Array(16).fill(9),
      index: 4,
      count: 5,
      data: new Uint8Array(DATA_CAPACITY).fill(0xab),
    };
    const sealed = sealData(backend, r.sealKey, surb5, full);
    expect(sealed).toHaveLength(PACKET_MESSAGE_SIZE);
    expect(openData(backend, r.keys, sealed)).toEqual({ ackSurb: surb5, fragment: full });
    const over = { ...full, data: new Uint8Array(DATA_CAPACITY + 1) };
    expect(() => sealData(backend, r.sealKey, surb5, over)).toThrow(RangeError);
  });

  it('does not open for another identity', () => {
    const a = recipient();
    const b = recipient();
    const frag: Fragment = { messageId: new Uint8Array(16), index: 0, count: 1, data: new Uint8Array(10) };
    expect(openData(backend, b.keys, sealData(backend, a.sealKey, surb5, frag))).toBeNull();
    expect(openData(backend, a.keys, coverContent(backend))).toBeNull();
  });

  it('a sealed body that is malformed inside throws DecodeError (authentic but not a data packet)', () => {
    const r = recipient();
    const body = new Uint8Array(PACKET_MESSAGE_SIZE - SEAL_OVERHEAD);
    body[0] = 0xff; // ack SURB length 0xff00: longer than the body
    body[1] = 0x00;
    expect(() => openData(backend, r.keys, seal(backend, r.sealKey, body))).toThrow(DecodeError);
  });

  it('travels through a real Sphinx packet of PAYLOAD_SIZE and opens at the recipient', () => {
    const r = recipient();
    const [hop] = hops(1, backend) as [{ address: Uint8Array; publicKey: Uint8Array; privateKey: Uint8Array }];
    const fragment: Fragment = {
      messageId: new Uint8Array(16).fill(3),
      index: 0,
      count: 1,
      data: new Uint8Array(DATA_CAPACITY).fill(7),
    };
    const message = sealData(backend, r.sealKey, surb5, fragment);
    const packet = createPacket({
      route: [{ address: hop.address, publicKey: hop.publicKey }],
      delaysNs: [0n],
      destination: new Uint8Array(32),
      message,
      payloadSize: PAYLOAD_SIZE,
      backend,
    });
    const out = processPacket(packet, hop.privateKey, { backend });
    if (out.kind !== 'final') throw new Error('expected a final hop');
    const recovered = recoverMessage(out.payload);
    expect(recovered).toEqual(message);
    expect(openData(backend, r.keys, recovered)).toEqual({ ackSurb: surb5, fragment });
  });
});

describe.each(BACKENDS)('reply packets on %s', (_name, backend) => {
  it('round-trip both kinds and are always PACKET_MESSAGE_SIZE bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), replyArb, (key, content) => {
        const sealed = sealReply(backend, key, content);
        expect(sealed).toHaveLength(PACKET_MESSAGE_SIZE);
        expect(openReply(backend, key, sealed)).toEqual(content);
      }),
      { numRuns: 60 },
    );
  });

  it('REPLY_CAPACITY bytes fit exactly; one byte more throws', () => {
    const key = backend.randomBytes(32);
    const fragment: Fragment = {
      messageId: new Uint8Array(16),
      index: 0,
      count: 1,
      data: new Uint8Array(REPLY_CAPACITY),
    };
    const sealed = sealReply(backend, key, { kind: 'fragment', fragment });
    expect(openReply(backend, key, sealed)).toEqual({ kind: 'fragment', fragment });
    expect(() =>
      sealReply(backend, key, {
        kind: 'fragment',
        fragment: { ...fragment, data: new Uint8Array(REPLY_CAPACITY + 1) },
      }),
    ).toThrow(RangeError);
  });

  it('does not open under another key', () => {
    const sealed = sealReply(backend, backend.randomBytes(32), { kind: 'need-surbs', count: 3 });
    expect(openReply(backend, backend.randomBytes(32), sealed)).toBeNull();
    expect(openReply(backend, backend.randomBytes(32), coverContent(backend))).toBeNull();
  });

  it('an authentic reply of unknown kind throws DecodeError', () => {
    const key = backend.randomBytes(32);
    const plain = new Uint8Array(PACKET_MESSAGE_SIZE - 32 - 16);
    plain[0] = 3;
    const message = new Uint8Array(PACKET_MESSAGE_SIZE);
    message.set(sealOneTime(backend, key, plain), 32); // after the decoy key
    expect(() => openReply(backend, key, message)).toThrow(DecodeError);
  });

  it('a reply fits in the SURB it travels in', () => {
    const key = backend.randomBytes(32);
    const sealed = sealReply(backend, key, { kind: 'need-surbs', count: 1 });
    const { packet } = packetFromSurb(seedSurb(5, backend), sealed, { payloadSize: PAYLOAD_SIZE, backend });
    expect(packet).toHaveLength(348 + PAYLOAD_SIZE); // Nym's regular 2413-byte packet
  });
});

describe('what the exit gateway sees', () => {
  it('an ack reaches its gateway with §5.4’s 16 zero bytes, as data does, not as raw random bytes', () => {
    const backend = getBackend('native');
    const route = hops(3, backend);
    const surb = createSurb({
      route: route.map(({ address, publicKey }) => ({ address, publicKey })),
      delaysNs: [0n, 0n, 0n],
      destination: new Uint8Array(32),
      identifier: new Uint8Array(16).fill(7),
      keyMaterial: 'seeds',
      backend,
    });
    let packet = ackPacket(backend, surb).packet;
    for (const hop of route.slice(0, -1)) {
      const r = processPacket(packet, hop.privateKey, { backend });
      if (r.kind !== 'forward') throw new Error('expected a forward hop');
      packet = r.packet;
    }
    const last = processPacket(packet, (route[2] as { privateKey: Uint8Array }).privateKey, { backend });
    if (last.kind !== 'final') throw new Error('expected the final hop');
    expect(last.identifier).toEqual(new Uint8Array(16).fill(7));
    expect(recoverMessage(last.payload)).toHaveLength(PACKET_MESSAGE_SIZE);
  });

  it('data, replies of both kinds, acks and cover all have the same length', () => {
    const backend = getBackend('native');
    const r = recipient();
    const key = backend.randomBytes(32);
    const lengths = new Set([
      sealData(backend, r.sealKey, new Uint8Array(0), {
        messageId: new Uint8Array(16),
        index: 0,
        count: 1,
        data: new Uint8Array(0),
      }).length,
      sealData(backend, r.sealKey, seedSurb(5, backend), {
        messageId: new Uint8Array(16),
        index: 0,
        count: 1,
        data: new Uint8Array(DATA_CAPACITY),
      }).length,
      sealReply(backend, key, { kind: 'need-surbs', count: 64 }).length,
      sealReply(backend, key, {
        kind: 'fragment',
        fragment: { messageId: new Uint8Array(16), index: 0, count: 1, data: new Uint8Array(1) },
      }).length,
      coverContent(backend).length,
    ]);
    expect([...lengths]).toEqual([PACKET_MESSAGE_SIZE]);
  });
});
