import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, normalizeIp, parseIPv4, parseIPv6, parseIp, prefixEquals } from './ip.js';

describe('IP literals', () => {
  it('parses the usual forms and refuses inet_aton shorthands', () => {
    expect(parseIPv4('192.168.0.1')).toEqual(Uint8Array.of(192, 168, 0, 1));
    for (const bad of ['127.1', '2130706433', '0177.0.0.1', '0x7f.0.0.1', '1.2.3.256', '1.2.3.4.', ' 1.2.3.4', '']) {
      expect(parseIPv4(bad)).toBeUndefined();
    }
    expect(formatIp({ family: 6, bytes: parseIPv6('2001:DB8:0:0:1:0:0:1') as Uint8Array })).toBe('2001:db8::1:0:0:1');
    expect(formatIp({ family: 6, bytes: parseIPv6('::') as Uint8Array })).toBe('::');
    expect(formatIp({ family: 6, bytes: parseIPv6('1:0:2:3:4:5:6:7') as Uint8Array })).toBe('1:0:2:3:4:5:6:7');
    for (const bad of ['1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '::1%eth0', '::12345', '1.2.3.4::']) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
    expect(parseIp('[::1]')).toEqual({ family: 6, bytes: parseIPv6('::1') });
  });

  it('IPv4-mapped IPv6 normalizes to IPv4', () => {
    const mapped = parseIp('::ffff:10.1.2.3') as NonNullable<ReturnType<typeof parseIp>>;
    expect(formatIp(mapped)).toBe('::ffff:10.1.2.3');
    expect(normalizeIp(mapped)).toEqual({ family: 4, bytes: Uint8Array.of(10, 1, 2, 3) });
    expect(normalizeIp(parseIp('::10.1.2.3') as NonNullable<ReturnType<typeof parseIp>>).family).toBe(6);
  });

  it('agrees with node:net on random candidate strings', () => {
    const hexy = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'), maxLength: 45 });
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), hexy), (text) => {
        expect(parseIPv4(text) !== undefined).toBe(isIPv4(text));
        expect(parseIPv6(text) !== undefined).toBe(isIPv6(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('formats IPv6 as the WHATWG URL parser does, and reads its own output back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, zeroRun) => {
        if (zeroRun) bytes.fill(0, 4, 10);
        const text = formatIp({ family: 6, bytes });
        expect(parseIPv6(text)).toEqual(bytes);
        if (!text.includes('.')) expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      }),
      { numRuns: 3000 },
    );
  });

  it('prefixEquals compares exactly the first n bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 31 }), (bytes, bit) => {
        const other = bytes.slice();
        other[bit >> 3] = (other[bit >> 3] as number) ^ (0x80 >> (bit & 7));
        expect(prefixEquals(bytes, other, bit)).toBe(true);
        expect(prefixEquals(bytes, other, bit + 1)).toBe(false);
      }),
    );
  });
});
