import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOutcomes, decodePackets, encodeOutcomes, encodePackets } from './batch-codec.js';
import type { ProcessOutcome } from './packet-processor.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const outcome: fc.Arbitrary<ProcessOutcome> = fc.oneof(
  fc.record({
    kind: fc.constant('forward' as const),
    delayNs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    nextAddress: bytes(32),
    replayTag: bytes(32),
    rotation: fc.nat({ max: 0xffffffff }),
    packet: fc.uint8Array({ maxLength: 3000 }),
    processingNs: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({
    kind: fc.constant('final' as const),
    destination: bytes(32),
    identifier: bytes(16),
    replayTag: bytes(32),
    rotation: fc.nat({ max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 3000 }),
    processingNs: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.constantFrom(
      'INVALID_PACKET',
      'INVALID_HEADER',
      'INVALID_ROUTING',
      'INVALID_PAYLOAD',
      'CRYPTO_FAILURE',
      'overloaded',
    ) as fc.Arbitrary<ProcessOutcome & { kind: 'error' } extends { code: infer C } ? C : never>,
    processingNs: fc.nat({ max: 0xffffffff }),
  }),
);

describe('worker batch codec', () => {
  it('round-trips packet batches', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }), (packets) => {
        expect(decodePackets(encodePackets(packets))).toEqual(packets);
      }),
    );
  });

  it('round-trips outcome batches, every kind', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 20 }), (outcomes) => {
        const decoded = decodeOutcomes(encodeOutcomes(outcomes));
        // Forwarded packets come back framed for the wire too; the rest is as encoded.
        expect(decoded.map((o) => (o.kind === 'forward' ? { ...o, frame: undefined } : o))).toEqual(
          outcomes.map((o) => (o.kind === 'forward' ? { ...o, frame: undefined } : o)),
        );
        for (const o of decoded)
          if (o.kind === 'forward') expect(o.frame).toEqual(encodeFrame(FrameKind.Packet, o.packet));
      }),
    );
  });
});
