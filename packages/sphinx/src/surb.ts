/** Single-use reply blocks, version 258 (SPHINX.md §6); version-259 seed SURBs parse too (Appendix A). */
import { concatBytes, copyBytes } from './bytes.js';
import {
  HEADER_SIZE,
  MAX_PATH_LENGTH,
  NODE_ADDRESS_LENGTH,
  PAYLOAD_KEY_SEED_SIZE,
  PAYLOAD_KEY_SIZE,
  VERSION_PAYLOAD_KEYS_SEEDS,
} from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { getBackend } from './crypto/select.js';
import { guard, SphinxError } from './errors.js';
import { buildHeader } from './header.js';
import { PAYLOAD_KEY_SEED, payloadKeyFromSeed } from './kdf.js';
import { type BackendChoice, type RouteOptions, resolveHeaderSpec, resolvePayloadSize } from './packet.js';
import { encapsulatePayload } from './payload.js';
import { requireBytes, requireObject } from './validate.js';

const KEYS_OFFSET = HEADER_SIZE + NODE_ADDRESS_LENGTH;
/** Shortest parseable SURB: header, first hop and one 16-byte seed (§6.2). */
const MIN_SURB_LENGTH = KEYS_OFFSET + PAYLOAD_KEY_SEED_SIZE;
const MAX_SURB_LENGTH = KEYS_OFFSET + MAX_PATH_LENGTH * PAYLOAD_KEY_SIZE;

export interface CreateSurbOptions extends RouteOptions {
  /**
   * `keys` (default): version 258 with full 192-byte payload keys, as Nym clients send.
   * `seeds`: version 259 with 16-byte seeds (Appendix A), a SURB of 444 rather than 1148 bytes over 4 hops.
   */
  keyMaterial?: 'keys' | 'seeds';
}

export interface Surb {
  header: Uint8Array;
  firstHop: Uint8Array;
  /** Full 192-byte keys (version 258) or 16-byte seeds (version 259). */
  keyMaterial: { kind: 'keys' | 'seeds'; items: Uint8Array[] };
}

export interface PacketFromSurbOptions {
  /** Sphinx payload size, ≥ 33; default 2065 (§1.4). */
  payloadSize?: number;
  backend?: BackendChoice;
}

export interface PacketFromSurbResult {
  firstHop: Uint8Array;
  packet: Uint8Array;
}

/** header(348) || first hop(32) || K_0(192) || … || K_{n−1}(192) (§6.2). */
export function createSurb(opts: CreateSurbOptions): Uint8Array {
  return guard(() => {
    const backend = getBackend(requireObject('options', opts).backend as BackendChoice | undefined);
    const seeds = opts.keyMaterial === 'seeds';
    if (opts.keyMaterial !== undefined && !seeds && opts.keyMaterial !== 'keys') {
      throw new SphinxError('INVALID_ARGUMENT', `keyMaterial must be "keys" or "seeds"`);
    }
    const spec = resolveHeaderSpec(opts, backend);
    if (seeds) spec.version = VERSION_PAYLOAD_KEYS_SEEDS;
    const { header, payloadKeys, expansions } = buildHeader(backend, spec);
    return encodeSurb({
      header,
      firstHop: (spec.route[0] as { address: Uint8Array }).address,
      keyMaterial: seeds
        ? { kind: 'seeds', items: expansions.map((e) => e.subarray(...PAYLOAD_KEY_SEED)) }
        : { kind: 'keys', items: payloadKeys },
    });
  });
}

export function encodeSurb(surb: Surb): Uint8Array {
  return guard(() => {
    requireBytes('header', surb.header, HEADER_SIZE, 'INVALID_SURB');
    requireBytes('firstHop', surb.firstHop, NODE_ADDRESS_LENGTH, 'INVALID_SURB');
    const size = surb.keyMaterial.kind === 'keys' ? PAYLOAD_KEY_SIZE : PAYLOAD_KEY_SEED_SIZE;
    const { items } = surb.keyMaterial;
    if (items.length < 1 || items.length > MAX_PATH_LENGTH) {
      throw new SphinxError('INVALID_SURB', `a SURB carries 1 to ${MAX_PATH_LENGTH} keys, got ${items.length}`);
    }
    for (const [i, k] of items.entries()) requireBytes(`keyMaterial.items[${i}]`, k, size, 'INVALID_SURB');
    return concatBytes(surb.header, surb.firstHop, ...items);
  });
}

/**
 * §6.2: after header and first hop, fewer than 192 bytes are 16-byte seeds, otherwise 192-byte
 * keys; the rest must be a whole number of items. We also bound it at 5 items (r = 5).
 */
export function parseSurb(bytes: Uint8Array): Surb {
  return guard(() => {
    requireBytes('surb', bytes, undefined, 'INVALID_SURB');
    if (bytes.length < MIN_SURB_LENGTH || bytes.length > MAX_SURB_LENGTH) {
      throw new SphinxError(
        'INVALID_SURB',
        `SURB must be ${MIN_SURB_LENGTH} to ${MAX_SURB_LENGTH} bytes, got ${bytes.length}`,
      );
    }
    const rest = bytes.length - KEYS_OFFSET;
    const kind = rest < PAYLOAD_KEY_SIZE ? 'seeds' : 'keys';
    const size = kind === 'keys' ? PAYLOAD_KEY_SIZE : PAYLOAD_KEY_SEED_SIZE;
    if (rest % size !== 0) {
      throw new SphinxError('INVALID_SURB', `SURB key material of ${rest} bytes is not a multiple of ${size}`);
    }
    const items: Uint8Array[] = [];
    for (let off = KEYS_OFFSET; off < bytes.length; off += size) items.push(copyBytes(bytes, off, off + size));
    if (items.length > MAX_PATH_LENGTH) {
      throw new SphinxError('INVALID_SURB', `a SURB carries at most ${MAX_PATH_LENGTH} keys, got ${items.length}`);
    }
    return {
      header: copyBytes(bytes, 0, HEADER_SIZE),
      firstHop: copyBytes(bytes, HEADER_SIZE, KEYS_OFFSET),
      keyMaterial: { kind, items },
    };
  });
}

/** The replier's side (§6.3): encrypt the reply with the SURB's keys; the header goes unchanged. */
export function packetFromSurb(
  surb: Uint8Array | Surb,
  message: Uint8Array,
  opts?: PacketFromSurbOptions,
): PacketFromSurbResult {
  return guard(() => {
    const backend = getBackend(opts?.backend);
    const parsed = surb instanceof Uint8Array ? parseSurb(surb) : parseSurb(encodeSurb(surb));
    requireBytes('message', message);
    const payloadSize = resolvePayloadSize(opts?.payloadSize);
    const keys = payloadKeysOf(backend, parsed);
    const payload = encapsulatePayload(backend, message, keys, payloadSize);
    return { firstHop: parsed.firstHop, packet: concatBytes(parsed.header, payload) };
  });
}

function payloadKeysOf(backend: CryptoBackend, surb: Surb): Uint8Array[] {
  const { kind, items } = surb.keyMaterial;
  return kind === 'keys' ? items : items.map((seed) => payloadKeyFromSeed(backend, seed));
}
