/** createPacket / processPacket: whole Sphinx packets (SPHINX.md §3–§5, §7). */
import { copyBytes, readBigUint64BE } from './bytes.js';
import {
  DEFAULT_PAYLOAD_SIZE,
  FINAL_HOP,
  finalPaddingLength,
  GROUP_ELEMENT_SIZE,
  HEADER_SIZE,
  IDENTIFIER_LENGTH,
  MAX_PATH_LENGTH,
  MIN_PAYLOAD_SIZE,
  NODE_ADDRESS_LENGTH,
  PACKET_VERSION,
  PAYLOAD_OVERHEAD_SIZE,
  VERSION_INITIAL_LEGACY,
  VERSION_PAYLOAD_KEYS_SEEDS,
  VERSION_UPDATED_LEGACY,
  VERSION_X25519_EXPLICIT_PAYLOAD_KEYS,
} from './constants.js';
import type { BackendName, CryptoBackend } from './crypto/backend.js';
import { getBackend } from './crypto/select.js';
import { guard, SphinxError } from './errors.js';
import { buildHeader, type HeaderSpec, type RouteNode, unwrapHeader } from './header.js';
import { BLINDING_FACTOR, PAYLOAD_KEY, PAYLOAD_KEY_SEED, payloadKeyFromSeed, REPLAY_TAG } from './kdf.js';
import { legacyBlind } from './legacy.js';
import { lionessDecryptInPlace } from './lioness.js';
import { encapsulatePayload } from './payload.js';
import { requireBytes, requireInteger, requireObject, requireU64 } from './validate.js';

/** A backend by name, or a backend object (e.g. `createNativeBackend({ sodium: false })`). */
export type BackendChoice = BackendName | CryptoBackend;

export interface RouteOptions {
  /** 1..5 hops; the packet is sent to `route[0].address`. */
  route: readonly RouteNode[];
  /** One delay per hop in nanoseconds; delaysNs[i] is written into hop i's slot, the last is not encoded (§3). */
  delaysNs: readonly bigint[];
  /** 32 bytes delivered by the final hop; for Nym, the recipient's Ed25519 identity key (§1.3). */
  destination: Uint8Array;
  /** 16 bytes delivered by the final hop; default zeros, as Nym sends. */
  identifier?: Uint8Array;
  /** The sender's secret x; fresh randomness by default (set only for test vectors). */
  initialSecret?: Uint8Array;
  /** Random padding of the final routing slot; fresh randomness by default (set only for vectors). */
  finalPadding?: Uint8Array;
  backend?: BackendChoice;
}

export interface CreatePacketOptions extends RouteOptions {
  message: Uint8Array;
  /** Sphinx payload size, ≥ 33; default 2065 (Nym's regular 2413-byte packet, §1.4). */
  payloadSize?: number;
  /**
   * 258 (default, what Nym clients send and the vectors cover) or 259 (Appendix A: payload keys
   * from 16-byte seeds, the version of seed SURBs). Every hop reads the version, so a sender whose
   * replies and acks travel in seed SURBs sends 259 too, or its packets are told apart by kind.
   */
  version?: PacketVersion;
}

/** The versions we build: 258 and 259 (§1.1); 1 and 257 are processed only (Appendix B). */
export type PacketVersion = typeof VERSION_X25519_EXPLICIT_PAYLOAD_KEYS | typeof VERSION_PAYLOAD_KEYS_SEEDS;

export type ProcessPacketResult =
  | { kind: 'forward'; nextAddress: Uint8Array; delayNs: bigint; packet: Uint8Array; replayTag: Uint8Array }
  | { kind: 'final'; destination: Uint8Array; identifier: Uint8Array; payload: Uint8Array; replayTag: Uint8Array };

export interface ProcessPacketOptions {
  backend?: BackendChoice;
  /**
   * Process the legacy versions 1 and 257 (Appendix B: a BigInt ladder, ~10x the CPU of 258).
   * Default true; a relay facing the network sets false and gets UNSUPPORTED_VERSION instead.
   */
  allowLegacyVersions?: boolean;
}

/** Validates route options and fills in defaults; shared by packets and SURBs. */
export function resolveHeaderSpec(opts: RouteOptions, backend: CryptoBackend): HeaderSpec {
  requireObject('options', opts);
  const { route, delaysNs } = opts;
  if (!Array.isArray(route) || route.length < 1 || route.length > MAX_PATH_LENGTH) {
    throw new SphinxError('INVALID_ARGUMENT', `route must have 1 to ${MAX_PATH_LENGTH} hops`);
  }
  route.forEach((node: unknown, i) => {
    const n = requireObject(`route[${i}]`, node);
    requireBytes(`route[${i}].address`, n.address, NODE_ADDRESS_LENGTH);
    requireBytes(`route[${i}].publicKey`, n.publicKey, GROUP_ELEMENT_SIZE);
  });
  if (!Array.isArray(delaysNs) || delaysNs.length !== route.length) {
    throw new SphinxError('INVALID_ARGUMENT', `delaysNs must have one entry per hop (${route.length})`);
  }
  for (const [i, d] of delaysNs.entries()) requireU64(`delaysNs[${i}]`, d);
  const padLength = finalPaddingLength(route.length);
  return {
    route,
    delaysNs,
    destination: requireBytes('destination', opts.destination, 32),
    identifier:
      opts.identifier === undefined
        ? new Uint8Array(IDENTIFIER_LENGTH)
        : requireBytes('identifier', opts.identifier, IDENTIFIER_LENGTH),
    initialSecret:
      opts.initialSecret === undefined
        ? backend.randomBytes(32)
        : requireBytes('initialSecret', opts.initialSecret, 32),
    finalPadding:
      opts.finalPadding === undefined
        ? backend.randomBytes(padLength)
        : requireBytes('finalPadding', opts.finalPadding, padLength),
    version: PACKET_VERSION,
  };
}

export function resolvePayloadSize(payloadSize: unknown): number {
  if (payloadSize === undefined) return DEFAULT_PAYLOAD_SIZE;
  return requireInteger('payloadSize', payloadSize, MIN_PAYLOAD_SIZE, 2 ** 31 - 1);
}

function resolveVersion(version: unknown): PacketVersion {
  if (version === undefined) return PACKET_VERSION;
  if (version !== VERSION_X25519_EXPLICIT_PAYLOAD_KEYS && version !== VERSION_PAYLOAD_KEYS_SEEDS) {
    throw new SphinxError('INVALID_ARGUMENT', `version must be 258 or 259, got ${String(version)}`);
  }
  return version;
}

export function createPacket(opts: CreatePacketOptions): Uint8Array {
  return guard(() => {
    const backend = getBackend(requireObject('options', opts).backend as BackendChoice | undefined);
    const spec = resolveHeaderSpec(opts, backend);
    const seeded = resolveVersion(opts.version) === VERSION_PAYLOAD_KEYS_SEEDS;
    if (seeded) spec.version = VERSION_PAYLOAD_KEYS_SEEDS;
    const message = requireBytes('message', opts.message);
    const payloadSize = resolvePayloadSize(opts.payloadSize);
    const { header, payloadKeys, expansions } = buildHeader(backend, spec);
    const keys = seeded
      ? expansions.map((e) => payloadKeyFromSeed(backend, e.subarray(...PAYLOAD_KEY_SEED)))
      : payloadKeys;
    const payload = encapsulatePayload(backend, message, keys, payloadSize);
    const packet = new Uint8Array(HEADER_SIZE + payloadSize);
    packet.set(header, 0);
    packet.set(payload, HEADER_SIZE);
    return packet;
  });
}

/**
 * One hop (§4): MAC check, decryption, then the payload layer. The replay tag is returned for the
 * caller's replay filter (§2.4); it is the same for a replayed packet and a reused SURB.
 */
export function processPacket(
  packet: Uint8Array,
  privateKey: Uint8Array,
  opts?: ProcessPacketOptions,
): ProcessPacketResult {
  return guard(() => {
    const backend = getBackend(opts?.backend);
    requireBytes('packet', packet, undefined, 'INVALID_PACKET');
    if (packet.length < HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE) {
      throw new SphinxError('INVALID_PACKET', `packet too short: ${packet.length} bytes, at least 365 needed`);
    }
    requireBytes('privateKey', privateKey, 32);
    const { expanded, routing, flag, version } = unwrapHeader(backend, packet, privateKey);
    if (opts?.allowLegacyVersions === false && isLegacy(version)) {
      throw new SphinxError('UNSUPPORTED_VERSION', `legacy packet version ${version} refused`);
    }
    const payloadKey = selectPayloadKey(backend, expanded, version);
    const replayTag = copyBytes(expanded, ...REPLAY_TAG);

    if (flag === FINAL_HOP) {
      const payload = copyBytes(packet, HEADER_SIZE);
      lionessDecryptInPlace(backend, payloadKey, payload);
      return {
        kind: 'final',
        destination: copyBytes(routing, 4, 36),
        identifier: copyBytes(routing, 36, 52),
        payload,
        replayTag,
      };
    }
    const alpha = packet.subarray(0, GROUP_ELEMENT_SIZE);
    const blindingFactor = expanded.subarray(...BLINDING_FACTOR);
    const next = new Uint8Array(packet.length);
    next.set(isLegacy(version) ? legacyBlind(blindingFactor, alpha) : backend.x25519(blindingFactor, alpha), 0);
    next.set(routing.subarray(44), GROUP_ELEMENT_SIZE); // next gamma (16) || next beta (300)
    next.set(packet.subarray(HEADER_SIZE), HEADER_SIZE);
    lionessDecryptInPlace(backend, payloadKey, next.subarray(HEADER_SIZE));
    return {
      kind: 'forward',
      nextAddress: copyBytes(routing, 4, 36),
      delayNs: readBigUint64BE(routing, 36),
      packet: next,
      replayTag,
    };
  });
}

const isLegacy = (version: number) => version === VERSION_INITIAL_LEGACY || version === VERSION_UPDATED_LEGACY;

/** §4.1 step 6: versions 1, 257 and 258 carry the key itself; 259 and unknown ones a seed (Appendix A). */
function selectPayloadKey(backend: CryptoBackend, expanded: Uint8Array, version: number): Uint8Array {
  if (version === VERSION_X25519_EXPLICIT_PAYLOAD_KEYS || isLegacy(version)) {
    return expanded.subarray(...PAYLOAD_KEY);
  }
  return payloadKeyFromSeed(backend, expanded.subarray(...PAYLOAD_KEY_SEED));
}
