/** Nym node addresses (SPHINX.md §1.3). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNodeAddress, encodeNodeAddress, formatNodeAddress } from './address.js';
import { toHex } from './bytes.js';
import { SphinxError } from './errors.js';

/** WHATWG URL parsing is an independent IPv6 normaliser (RFC 5952 style). */
const normalIPv6 = (host: string) => new URL(`http://[${host}]/`).hostname.slice(1, -1);

describe('node addresses', () => {
  it('encodes the spec example 10.0.0.2:1789', () => {
    expect(toHex(encodeNodeAddress({ host: '10.0.0.2', port: 1789 }))).toBe(`0406fd0a000002${'00'.repeat(25)}`);
  });

  it('round-trips IPv4 and IPv6 addresses with any port', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        const bytes = encodeNodeAddress({ host, port });
        expect(bytes.length).toBe(32);
        expect(decodeNodeAddress(bytes)).toEqual({ family: 4, host, port });
        expect(bytes.subarray(7).every((b) => b === 0)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        const bytes = encodeNodeAddress({ host, port });
        const decoded = decodeNodeAddress(bytes);
        expect(decoded.family).toBe(6);
        expect(decoded.host).toBe(normalIPv6(host));
        expect(decoded.port).toBe(port);
        expect(bytes.subarray(19).every((b) => b === 0)).toBe(true);
        expect(formatNodeAddress(bytes)).toBe(`[${normalIPv6(host)}]:${port}`);
      }),
    );
  });

  it('ignores trailing bytes and needs only 7 or 19', () => {
    const v4 = encodeNodeAddress({ host: '127.0.0.1', port: 9 });
    expect(decodeNodeAddress(v4.subarray(0, 7))).toEqual({ family: 4, host: '127.0.0.1', port: 9 });
    const v6 = encodeNodeAddress({ host: '::1', port: 80 });
    expect(decodeNodeAddress(v6.subarray(0, 19)).host).toBe('::1');
    expect(() => decodeNodeAddress(v6.subarray(0, 18))).toThrow(SphinxError);
  });

  it('refuses unknown families, bad hosts and bad ports', () => {
    const bad = new Uint8Array(32);
    bad[0] = 5;
    expect(() => decodeNodeAddress(bad)).toThrow(/unknown address family byte 5/);
    for (const host of ['256.0.0.1', '1.2.3', 'example.org', '1::2::3', '::g', '01.2.3.4', '']) {
      expect(() => encodeNodeAddress({ host, port: 1 }), host).toThrow(SphinxError);
    }
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      expect(() => encodeNodeAddress({ host: '1.2.3.4', port })).toThrow(/port must be/);
    }
  });
});
