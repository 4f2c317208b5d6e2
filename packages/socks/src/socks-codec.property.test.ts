/** Property tests: any bytes, split anywhere, give a request or a SocksProtocolError, the same whatever the split. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIPv4 } from './ip.js';
import { encodeSocks4Connect, encodeSocks5Connect, encodeSocks5Greeting } from './socks-client.js';
import { createSocksParser, SocksProtocolError, type SocksRequest } from './socks-codec.js';

/** Everything the server would do with these chunks: bytes written back, and the outcome. */
interface Outcome {
  written: string;
  request?: SocksRequest;
  /** Client bytes after the request: `rest` plus chunks never fed. */
  after?: string;
  error?: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function run(chunks: Uint8Array[]): Outcome {
  const parser = createSocksParser();
  let written = '';
  for (let i = 0; i < chunks.length; i++) {
    const result = parser.push(chunks[i] as Uint8Array);
    if (result.kind === 'error') {
      if (!(result.error instanceof SocksProtocolError)) throw new Error('not a SocksProtocolError');
      return { written: written + hex(result.error.reply), error: result.error.field };
    }
    if (result.reply) written += hex(result.reply);
    if (result.kind === 'request') {
      return {
        written,
        request: result.request,
        after:
          hex(result.rest) +
          chunks
            .slice(i + 1)
            .map(hex)
            .join(''),
      };
    }
  }
  return { written };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

const domainArb = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 255,
});
const portArb = fc.integer({ min: 0, max: 65535 });
const v4Arb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => formatIp({ family: 4, bytes }));
const v6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIp({ family: 6, bytes }));

const requestArb: fc.Arbitrary<SocksRequest> = fc.oneof(
  fc.record({
    version: fc.constant(5 as const),
    command: fc.constant('connect' as const),
    host: v4Arb,
    port: portArb,
    addressType: fc.constant('ipv4' as const),
  }),
  fc.record({
    version: fc.constant(5 as const),
    command: fc.constant('connect' as const),
    host: v6Arb,
    port: portArb,
    addressType: fc.constant('ipv6' as const),
  }),
  fc.record({
    version: fc.constant(5 as const),
    command: fc.constant('connect' as const),
    host: domainArb,
    port: portArb,
    addressType: fc.constant('domain' as const),
  }),
  fc.record({
    version: fc.constant(4 as const),
    command: fc.constant('connect' as const),
    host: v4Arb.filter((h) => !h.startsWith('0.0.0.') || h === '0.0.0.0'),
    port: portArb,
    addressType: fc.constant('ipv4' as const),
    userId: domainArb,
  }),
  fc.record({
    version: fc.constant(4 as const),
    command: fc.constant('connect' as const),
    host: domainArb.filter((h) => parseIPv4(h) === undefined),
    port: portArb,
    addressType: fc.constant('domain' as const),
    userId: fc.oneof(fc.constant(''), domainArb),
  }),
);

function encode(request: SocksRequest, methods: number[]): Uint8Array {
  if (request.version === 4) return encodeSocks4Connect(request.host, request.port, request.userId);
  const greeting = encodeSocks5Greeting(methods);
  const connect = encodeSocks5Connect(request.host, request.port, request.addressType);
  return Uint8Array.from([...greeting, ...connect]);
}

const methodsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 8 })
  .map((m) => (m.includes(0) ? m : [...m, 0]));
const cutsArb = fc.array(fc.nat(600), { maxLength: 8 });

describe('SOCKS codec properties', () => {
  it('round trip: an encoded request parses back to itself, split anywhere', () => {
    fc.assert(
      fc.property(requestArb, methodsArb, cutsArb, (request, methods, cuts) => {
        const outcome = run(split(encode(request, methods), cuts));
        expect(outcome.request).toEqual(request);
        expect(outcome.written).toBe(request.version === 5 ? '0500' : '');
        expect(outcome.after).toBe('');
      }),
      { numRuns: 3000 },
    );
  });

  it('10,000 random and mutated handshakes: a request or a SocksProtocolError, the same for any split', () => {
    const valid = fc.tuple(requestArb, methodsArb).map(([r, m]) => encode(r, m));
    const mutated = fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(600), fc.nat(3), fc.nat(255)), { minLength: 1, maxLength: 4 }))
      .map(([bytes, edits]) => {
        const out = [...bytes];
        for (const [at, op, value] of edits) {
          const i = at % (out.length + 1);
          if (op === 0) out.splice(i, 0, value);
          else if (op === 1) out.splice(i, 1);
          else if (op === 2 && i < out.length) out[i] = value;
          else out.length = i; // truncate
        }
        return Uint8Array.from(out);
      });
    const random = fc.oneof(
      fc.uint8Array({ maxLength: 700 }),
      fc.tuple(fc.constantFrom(4, 5), fc.uint8Array({ maxLength: 600 })).map(([v, b]) => Uint8Array.of(v, ...b)),
    );
    fc.assert(
      fc.property(
        fc.oneof(valid, mutated, random),
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 2 }),
        cutsArb,
        (bytes, trailing, cuts) => {
          const all = Uint8Array.from([...bytes, ...trailing.flatMap((t) => [...t])]);
          const whole = run([all]);
          const pieces = run(split(all, cuts));
          // Plain comparisons: expect() per run would dominate the run time.
          if (JSON.stringify(whole) !== JSON.stringify(pieces)) {
            throw new Error(`split changed the outcome: ${JSON.stringify(whole)} vs ${JSON.stringify(pieces)}`);
          }
          return whole.request !== undefined || whole.error !== undefined || all.length < 520;
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
