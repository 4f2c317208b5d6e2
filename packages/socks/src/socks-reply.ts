/** SOCKS server replies: the bytes a proxy sends back once it knows how a CONNECT went. */
import { parseIPv4, parseIp } from './ip.js';

/** SOCKS5 REP codes (RFC 1928 section 6). */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export type Socks5ReplyCode = (typeof SOCKS5_REPLY)[keyof typeof SOCKS5_REPLY];

/** SOCKS4 CD codes in a reply. */
export const SOCKS4_GRANTED = 0x5a;
export const SOCKS4_REJECTED = 0x5b;

/** SOCKS5 method-selection answers (RFC 1928 section 3). */
export const SOCKS5_NO_AUTH = 0x00;
export const SOCKS5_NO_ACCEPTABLE_METHOD = 0xff;

export interface SocksBindAddress {
  /** IPv4/IPv6 literal, or a domain name for SOCKS5. */
  readonly host: string;
  readonly port: number;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bind port ${port} is not 0-65535`);
}

/** VER REP RSV ATYP BND.ADDR BND.PORT; the bind address defaults to 0.0.0.0:0. */
export function socks5Reply(code: Socks5ReplyCode, bind: SocksBindAddress = { host: '0.0.0.0', port: 0 }): Uint8Array {
  checkPort(bind.port);
  const ip = parseIp(bind.host);
  let addr: Uint8Array;
  if (ip) {
    addr = new Uint8Array(1 + ip.bytes.length);
    addr[0] = ip.family === 4 ? 0x01 : 0x04;
    addr.set(ip.bytes, 1);
  } else {
    const name = new TextEncoder().encode(bind.host);
    if (name.length < 1 || name.length > 255) throw new RangeError('bind domain must be 1-255 bytes');
    addr = new Uint8Array(2 + name.length);
    addr[0] = 0x03;
    addr[1] = name.length;
    addr.set(name, 2);
  }
  const out = new Uint8Array(3 + addr.length + 2);
  out.set([0x05, code, 0x00]);
  out.set(addr, 3);
  out[out.length - 2] = bind.port >> 8;
  out[out.length - 1] = bind.port & 0xff;
  return out;
}

/** VN=0 CD DSTPORT DSTIP (8 bytes); the bind address defaults to 0.0.0.0:0. */
export function socks4Reply(granted: boolean, bind: SocksBindAddress = { host: '0.0.0.0', port: 0 }): Uint8Array {
  checkPort(bind.port);
  const ip = parseIPv4(bind.host);
  if (!ip) throw new RangeError('a SOCKS4 bind address must be IPv4');
  const out = new Uint8Array(8);
  out[1] = granted ? SOCKS4_GRANTED : SOCKS4_REJECTED;
  out[2] = bind.port >> 8;
  out[3] = bind.port & 0xff;
  out.set(ip, 4);
  return out;
}

/** The failure reply in the client's protocol: SOCKS4 has a single "rejected" code. */
export function failureReply(version: 4 | 5, code: Exclude<Socks5ReplyCode, 0>): Uint8Array {
  return version === 4 ? socks4Reply(false) : socks5Reply(code);
}

/** The success reply in the client's protocol. */
export function successReply(version: 4 | 5, bind?: SocksBindAddress): Uint8Array {
  if (version === 5) return socks5Reply(SOCKS5_REPLY.succeeded, bind);
  return socks4Reply(true, bind && parseIPv4(bind.host) ? bind : undefined);
}

/**
 * The REP code for a failed upstream connect, from a Node socket or DNS error's `code`.
 * Timeouts map to "TTL expired" as Tor does; anything unknown is a general failure.
 */
export function socks5CodeForError(error: unknown): Exclude<Socks5ReplyCode, 0> {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ECONNREFUSED':
      return SOCKS5_REPLY.connectionRefused;
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return SOCKS5_REPLY.networkUnreachable;
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return SOCKS5_REPLY.hostUnreachable;
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return SOCKS5_REPLY.ttlExpired;
    default:
      return SOCKS5_REPLY.generalFailure;
  }
}
