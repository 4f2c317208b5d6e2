import { describe, expect, it } from 'vitest';
import {
  failureReply,
  SOCKS5_REPLY,
  socks4Reply,
  socks5CodeForError,
  socks5Reply,
  successReply,
} from './socks-reply.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('SOCKS replies', () => {
  it('SOCKS5: every REP code, with an IPv4, IPv6 or domain bind address', () => {
    expect(toHex(socks5Reply(SOCKS5_REPLY.succeeded))).toBe('05000001000000000000');
    expect(Object.values(SOCKS5_REPLY)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(toHex(socks5Reply(SOCKS5_REPLY.notAllowed, { host: '10.0.0.1', port: 1080 }))).toBe('050200010a0000010438');
    expect(toHex(socks5Reply(SOCKS5_REPLY.succeeded, { host: '::1', port: 443 }))).toBe(
      `05000004${'00'.repeat(15)}0101bb`,
    );
    expect(toHex(socks5Reply(SOCKS5_REPLY.succeeded, { host: 'ab.c', port: 1 }))).toBe('050000030461622e630001');
    expect(() => socks5Reply(SOCKS5_REPLY.succeeded, { host: '1.2.3.4', port: 70000 })).toThrow(RangeError);
  });

  it('SOCKS4: granted 5a, rejected 5b, in 8 bytes', () => {
    expect(toHex(socks4Reply(true))).toBe('005a000000000000');
    expect(toHex(socks4Reply(false, { host: '127.0.0.1', port: 8080 }))).toBe('005b1f907f000001');
    expect(() => socks4Reply(true, { host: '::1', port: 1 })).toThrow(RangeError);
  });

  it('failure and success replies in the client protocol', () => {
    expect(toHex(failureReply(5, SOCKS5_REPLY.connectionRefused))).toBe('05050001000000000000');
    expect(toHex(failureReply(4, SOCKS5_REPLY.connectionRefused))).toBe('005b000000000000');
    expect(toHex(successReply(4, { host: '::1', port: 9 }))).toBe('005a000000000000');
    expect(toHex(successReply(5, { host: '1.2.3.4', port: 9 }))).toBe('05000001010203040009');
  });

  it('maps socket and DNS errors to REP codes', () => {
    const code = (c: string) => socks5CodeForError(Object.assign(new Error(c), { code: c }));
    expect(code('ECONNREFUSED')).toBe(SOCKS5_REPLY.connectionRefused);
    expect(code('ENETUNREACH')).toBe(SOCKS5_REPLY.networkUnreachable);
    expect(code('EHOSTUNREACH')).toBe(SOCKS5_REPLY.hostUnreachable);
    expect(code('ENOTFOUND')).toBe(SOCKS5_REPLY.hostUnreachable);
    expect(code('ETIMEDOUT')).toBe(SOCKS5_REPLY.ttlExpired);
    expect(code('EPIPE')).toBe(SOCKS5_REPLY.generalFailure);
    expect(socks5CodeForError('nope')).toBe(SOCKS5_REPLY.generalFailure);
    expect(socks5CodeForError(null)).toBe(SOCKS5_REPLY.generalFailure);
  });
});
