/** Property tests: random policy text only ever gives ExitPolicyError; verdicts match a small reference model. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkResolved, ExitPolicyError, parseExitPolicy } from './exit-policy.js';

type Addr =
  | { t: 'any' | 'any4' | 'any6' }
  | { t: 'v4' | 'v6'; bytes: number[]; bits: number }
  | { t: 'host'; name: string; sub: boolean };
interface ModelRule {
  accept: boolean;
  addr: Addr;
  from: number;
  to: number;
}

// Small pools so that random destinations often hit the rules.
const NAMES = ['a.test', 'b.test', 'x.a.test', 'chain.local'];
const V4_BASES = [
  [10, 0, 0, 1],
  [127, 0, 0, 1],
  [192, 168, 7, 9],
];
const V6_BASES = [
  [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1],
  [0xfe, 0x80, ...new Array(13).fill(0), 5],
];

const bytesNear = (bases: number[][]) =>
  fc
    .tuple(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(15), fc.nat(255)), { maxLength: 2 }))
    .map(([base, edits]) => {
      const out = [...base];
      for (const [i, v] of edits) if (i < out.length) out[i] = v;
      return out;
    });

const addrArb: fc.Arbitrary<Addr> = fc.oneof(
  fc.constantFrom<Addr>({ t: 'any' }, { t: 'any4' }, { t: 'any6' }),
  fc.record({ t: fc.constant('v4' as const), bytes: bytesNear(V4_BASES), bits: fc.integer({ min: 0, max: 32 }) }),
  fc.record({
    t: fc.constant('v6' as const),
    bytes: bytesNear(V6_BASES).map((b) => b.slice(0, 16)),
    bits: fc.integer({ min: 0, max: 128 }),
  }),
  fc.record({ t: fc.constant('host' as const), name: fc.constantFrom(...NAMES), sub: fc.boolean() }),
);

const portPair = fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }));
const ruleArb: fc.Arbitrary<ModelRule> = fc
  .record({ accept: fc.boolean(), addr: addrArb, ports: portPair, star: fc.boolean() })
  .map(({ accept, addr, ports, star }) => ({
    accept,
    addr,
    from: star ? 1 : Math.min(...ports),
    to: star ? 65535 : Math.max(...ports),
  }));

// Full, uncompressed IPv6 groups: independent of the formatter under test.
const v6Text = (b: number[]): string =>
  Array.from({ length: 8 }, (_, i) => (((b[2 * i] as number) << 8) | (b[2 * i + 1] as number)).toString(16)).join(':');

function addrText(a: Addr): string {
  if (a.t === 'host') return `${a.sub ? '*.' : ''}${a.name}`;
  if (a.t === 'v4') return `${a.bytes.join('.')}/${a.bits}`;
  if (a.t === 'v6') return `[${v6Text(a.bytes)}]/${a.bits}`;
  return { any: '*', any4: '*4', any6: '*6' }[a.t];
}

function render(rule: ModelRule): string {
  const addr = addrText(rule.addr);
  const ports =
    rule.from === 1 && rule.to === 65535 ? '*' : rule.from === rule.to ? `${rule.from}` : `${rule.from}-${rule.to}`;
  return `${rule.accept ? 'accept' : 'reject'} ${addr}:${ports}`;
}

const toBig = (b: number[]): bigint => b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
function inPrefix(rule: number[], ip: number[], bits: number): boolean {
  const shift = BigInt(rule.length * 8 - bits);
  return toBig(rule) >> shift === toBig(ip) >> shift;
}

interface Ip {
  v: 4 | 6;
  bytes: number[];
}
const ipText = (ip: Ip): string => (ip.v === 4 ? ip.bytes.join('.') : v6Text(ip.bytes));
const ipArb: fc.Arbitrary<Ip> = fc.oneof(
  bytesNear(V4_BASES).map((bytes) => ({ v: 4 as const, bytes })),
  bytesNear(V6_BASES).map((bytes) => ({ v: 6 as const, bytes: bytes.slice(0, 16) })),
);

function modelAllows(rules: ModelRule[], name: string | undefined, ip: Ip, port: number): boolean {
  for (const r of rules) {
    if (port < r.from || port > r.to) continue;
    const a = r.addr;
    const hit =
      a.t === 'any' ||
      (a.t === 'any4' && ip.v === 4) ||
      (a.t === 'any6' && ip.v === 6) ||
      (a.t === 'v4' && ip.v === 4 && inPrefix(a.bytes, ip.bytes, a.bits)) ||
      (a.t === 'v6' && ip.v === 6 && inPrefix(a.bytes, ip.bytes, a.bits)) ||
      (a.t === 'host' && name !== undefined && (a.sub ? name.endsWith(`.${a.name}`) : name === a.name));
    if (hit) return r.accept;
  }
  return false;
}

describe('exit policy properties', () => {
  it('10,000 random and mutated lines: a policy or an ExitPolicyError pointing into the line', () => {
    const valid = ruleArb.map(render);
    const mutated = fc
      .tuple(
        valid,
        fc.array(fc.tuple(fc.nat(40), fc.nat(2), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([text, edits]) => {
        let out = text;
        for (const [at, op, s] of edits) {
          const i = at % (out.length + 1);
          out =
            op === 0
              ? out.slice(0, i) + s + out.slice(i)
              : op === 1
                ? out.slice(0, i) + out.slice(i + 1)
                : out.slice(0, i) + s + out.slice(i + s.length);
        }
        return out;
      });
    const line = fc.oneof(
      valid,
      mutated,
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: fc.constantFrom(...'acceptrj6*:[]/.,-0123456789 #xf'), maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.nat(3), line, (before, text) => {
        const lines = [...new Array(before).fill('accept *:80'), text];
        // Plain boolean checks here: expect() per run costs more than the parser itself.
        try {
          const policy = parseExitPolicy(lines.join('\n'));
          return policy.rules.every((r) => r.ports.from >= 0 && r.ports.to <= 65535 && r.ports.from <= r.ports.to);
        } catch (error) {
          if (!(error instanceof ExitPolicyError)) throw error;
          // The error names a line of the random text and a column inside it (or just past its end).
          const row = text.split(/\r?\n/)[error.line - before - 1];
          return (
            row !== undefined &&
            error.column >= 1 &&
            error.column <= row.length + 1 &&
            error.message.includes(`line ${error.line}`)
          );
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('IP destinations: verdicts agree with a reference model', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 8 }), ipArb, fc.integer({ min: 1, max: 120 }), (rules, ip, port) => {
        const policy = parseExitPolicy(rules.map(render).join('\n'));
        expect(policy.check({ host: ipText(ip), port }).allowed).toBe(modelAllows(rules, undefined, ip, port));
      }),
      { numRuns: 3000 },
    );
  });

  it('names: checkResolved agrees with the model, and check() before DNS never contradicts it', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 8 }),
        fc.constantFrom(...NAMES, 'other.test'),
        fc.array(ipArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 120 }),
        (rules, name, ips, port) => {
          const policy = parseExitPolicy(rules.map(render).join('\n'));
          const expected = ips.every((ip) => modelAllows(rules, name, ip, port));
          const after = checkResolved(policy, name, ips.map(ipText), port);
          expect(after.allowed).toBe(expected);
          const before = policy.check({ host: name, port });
          if (!before.allowed) expect(after.allowed).toBe(false); // an early refusal is always right
          if (before.decided) expect(after.allowed).toBe(before.allowed);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('check never throws on arbitrary destinations', () => {
    const policy = parseExitPolicy('reject 127.0.0.0/8:*\naccept *.test:*\naccept *:443');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.oneof(fc.integer(), fc.double()), (host, port) => {
        const verdict = policy.check({ host, port });
        expect(typeof verdict.allowed).toBe('boolean');
        expect(typeof checkResolved(policy, host, [host], port).allowed).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
