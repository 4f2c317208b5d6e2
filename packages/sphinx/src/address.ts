/**
 * Nym's node address in the 32-byte routing field (SPHINX.md §1.3, `NymNodeRoutingAddress`):
 * IPv4 `0x04 || BE16(port) || ip(4) || 0^25`, IPv6 `0x06 || BE16(port) || ip(16) || 0^13`.
 */
import { NODE_ADDRESS_LENGTH } from './constants.js';
import { guard, SphinxError } from './errors.js';
import { requireBytes } from './validate.js';

export interface NodeAddress {
  /** Dotted IPv4 or IPv6 text, without brackets. */
  host: string;
  port: number;
}

export interface DecodedNodeAddress extends NodeAddress {
  family: 4 | 6;
}

export function encodeNodeAddress(address: NodeAddress): Uint8Array {
  return guard(() => {
    const { host, port } = address ?? ({} as NodeAddress);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new SphinxError('INVALID_ADDRESS', `port must be an integer in [0, 65535], got ${String(port)}`);
    }
    if (typeof host !== 'string') throw new SphinxError('INVALID_ADDRESS', 'host must be a string');
    const v4 = parseIPv4(host);
    const ip = v4 ?? parseIPv6(host);
    if (!ip) throw new SphinxError('INVALID_ADDRESS', `not an IPv4 or IPv6 address: "${host}"`);
    const out = new Uint8Array(NODE_ADDRESS_LENGTH);
    out[0] = v4 ? 4 : 6;
    out[1] = port >> 8;
    out[2] = port & 0xff;
    out.set(ip, 3);
    return out;
  });
}

/** Reads the first byte (4 or 6); needs 7 or 19 bytes; trailing bytes are ignored, as in Nym. */
export function decodeNodeAddress(bytes: Uint8Array): DecodedNodeAddress {
  return guard(() => {
    requireBytes('address', bytes, undefined, 'INVALID_ADDRESS');
    const family = bytes[0];
    if (family !== 4 && family !== 6) {
      throw new SphinxError('INVALID_ADDRESS', `unknown address family byte ${String(family)}`);
    }
    const ipLength = family === 4 ? 4 : 16;
    if (bytes.length < 3 + ipLength) {
      throw new SphinxError('INVALID_ADDRESS', `IPv${family} address needs ${3 + ipLength} bytes, got ${bytes.length}`);
    }
    const port = ((bytes[1] as number) << 8) | (bytes[2] as number);
    const ip = bytes.subarray(3, 3 + ipLength);
    return { family, host: family === 4 ? ip.join('.') : formatIPv6(ip), port };
  });
}

/** "10.0.0.2:1789" or "[::1]:1789". */
export function formatNodeAddress(bytes: Uint8Array): string {
  const { family, host, port } = decodeNodeAddress(bytes);
  return family === 4 ? `${host}:${port}` : `[${host}]:${port}`;
}

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(Number.parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
function formatIPv6(ip: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((ip[2 * i] as number) << 8) | (ip[2 * i + 1] as number));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
