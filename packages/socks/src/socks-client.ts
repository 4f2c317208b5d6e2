/** Client side of the handshake (what curl sends): used by tests and by callers that dial a SOCKS proxy. */
import { parseIPv4, parseIPv6 } from './ip.js';
import { MAX_SOCKS_NAME_BYTES, type SocksAddressType } from './socks-codec.js';

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port ${port} is not 0-65535`);
}

function nameBytes(text: string, what: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > MAX_SOCKS_NAME_BYTES) throw new RangeError(`${what} longer than ${MAX_SOCKS_NAME_BYTES} bytes`);
  return bytes;
}

/** VER NMETHODS METHODS; by default offers only "no authentication". */
export function encodeSocks5Greeting(methods: readonly number[] = [0x00]): Uint8Array {
  if (methods.length < 1 || methods.length > 255) throw new RangeError('1-255 methods');
  return Uint8Array.of(0x05, methods.length, ...methods);
}

/**
 * A SOCKS5 CONNECT. The address type follows the host (IPv4, IPv6 without brackets, else a
 * domain) unless `addressType` forces 'domain' (as curl --socks5-hostname does for names).
 */
export function encodeSocks5Connect(host: string, port: number, addressType?: SocksAddressType): Uint8Array {
  checkPort(port);
  let addr: Uint8Array;
  const v4 = addressType === 'domain' ? undefined : parseIPv4(host);
  const v6 = addressType === 'domain' || v4 ? undefined : parseIPv6(host);
  if (v4 && addressType !== 'ipv6') addr = Uint8Array.of(0x01, ...v4);
  else if (v6 && addressType !== 'ipv4') addr = Uint8Array.of(0x04, ...v6);
  else if (addressType === undefined || addressType === 'domain') {
    const name = nameBytes(host, 'domain name');
    if (name.length === 0) throw new RangeError('empty domain name');
    addr = Uint8Array.of(0x03, name.length, ...name);
  } else throw new RangeError(`${host} is not an ${addressType} address`);
  return Uint8Array.of(0x05, 0x01, 0x00, ...addr, port >> 8, port & 0xff);
}

/** A SOCKS4 CONNECT for an IPv4 host, or SOCKS4a (DSTIP 0.0.0.1 plus the name) for anything else. */
export function encodeSocks4Connect(host: string, port: number, userId = ''): Uint8Array {
  checkPort(port);
  const user = nameBytes(userId, 'USERID');
  if (user.includes(0)) throw new RangeError('USERID contains NUL');
  const head = [0x04, 0x01, port >> 8, port & 0xff];
  const v4 = parseIPv4(host);
  if (v4) return Uint8Array.of(...head, ...v4, ...user, 0);
  const name = nameBytes(host, 'domain name');
  if (name.length === 0 || name.includes(0)) throw new RangeError('domain name empty or contains NUL');
  return Uint8Array.of(...head, 0, 0, 0, 1, ...user, 0, ...name, 0);
}
