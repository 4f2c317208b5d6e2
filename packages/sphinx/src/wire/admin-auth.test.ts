/** Admin auth shared by the directory and the nodes (admin-auth.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizeAdmin, isLoopback, tokenMatches } from './admin-auth.js';

describe('isLoopback', () => {
  it('knows loopback in its spellings and nothing else', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::FFFF:127.0.0.1'])
      expect(isLoopback(a)).toBe(true);
    for (const a of [
      undefined,
      '',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      '127.0.0.1.nip.io',
      '127.1',
      '1127.0.0.1',
      '127.0.0.256',
      'fe80::1',
    ])
      expect(isLoopback(a)).toBe(false);
  });

  it('agrees with a plain reading of dotted IPv4 (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isLoopback(ip)).toBe(ip.startsWith('127.'));
        expect(isLoopback(`::ffff:${ip}`)).toBe(ip.startsWith('127.'));
      }),
    );
  });
});

describe('authorizeAdmin', () => {
  const token = 'x'.repeat(32);
  it('takes loopback without credentials, a right token from anywhere, and refuses a wrong one even from loopback', () => {
    expect(authorizeAdmin({ remoteAddress: '127.0.0.1', authorization: undefined, token })).toEqual({
      ok: true,
      via: 'loopback',
    });
    expect(authorizeAdmin({ remoteAddress: '192.0.2.1', authorization: `Bearer ${token}`, token })).toEqual({
      ok: true,
      via: 'token',
    });
    expect(authorizeAdmin({ remoteAddress: '127.0.0.1', authorization: 'Bearer nope', token }).ok).toBe(false);
    expect(authorizeAdmin({ remoteAddress: '192.0.2.1', authorization: undefined, token }).ok).toBe(false);
    expect(authorizeAdmin({ remoteAddress: '192.0.2.1', authorization: `Bearer ${token}`, token: undefined }).ok).toBe(
      false,
    );
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}y`, token)).toBe(false);
  });
});
