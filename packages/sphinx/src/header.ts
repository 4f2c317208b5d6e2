/** Sphinx header creation (SPHINX.md §3) and per-hop unwrapping (§4.1). */

import { createBlindingChain } from './blinding.js';
import { constantTimeEqual, writeBigUint64BE, xorInto } from './bytes.js';
import {
  FINAL_HOP,
  FORWARD_HOP,
  GROUP_ELEMENT_SIZE,
  HEADER_MAC_SIZE,
  HEADER_SIZE,
  ROUTING_INFO_SIZE,
  SLOT_SIZE,
  STREAM_CIPHER_OUTPUT_LENGTH,
  TRUNCATED_ROUTING_INFO_SIZE,
} from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { SphinxError } from './errors.js';
import { BLINDING_FACTOR, expandSharedSecret, HEADER_MAC_KEY, PAYLOAD_KEY, STREAM_KEY } from './kdf.js';

export interface RouteNode {
  /** 32-byte opaque node address; Nym's encoding is in address.ts (§1.3). */
  address: Uint8Array;
  /** 32-byte X25519 public key. */
  publicKey: Uint8Array;
}

/** Inputs already validated by the caller (packet.ts / surb.ts). */
export interface HeaderSpec {
  route: readonly RouteNode[];
  delaysNs: readonly bigint[];
  destination: Uint8Array;
  identifier: Uint8Array;
  initialSecret: Uint8Array;
  finalPadding: Uint8Array;
  version: number;
}

export interface BuiltHeader {
  header: Uint8Array;
  /** K_i = E_i[32:224] for every hop, first hop first (§3 step 5). */
  payloadKeys: Uint8Array[];
  /** The 288-byte expansions E_i, kept for tests and tools. */
  expansions: Uint8Array[];
}

/** ρ(key): the first 360 bytes of the AES-128-CTR keystream (§2.1). */
function rho(backend: CryptoBackend, expanded: Uint8Array): Uint8Array {
  return backend.aes128CtrKeystream(expanded.subarray(...STREAM_KEY), STREAM_CIPHER_OUTPUT_LENGTH);
}

/** The 16-byte header MAC over beta (§2.1). */
function headerMac(backend: CryptoBackend, expanded: Uint8Array, beta: Uint8Array): Uint8Array {
  return backend.hmacSha256(expanded.subarray(...HEADER_MAC_KEY), beta).subarray(0, HEADER_MAC_SIZE);
}

export function versionBytes(version: number): Uint8Array {
  return Uint8Array.of(0, (version >> 8) & 0xff, version & 0xff);
}

export function buildHeader(backend: CryptoBackend, spec: HeaderSpec): BuiltHeader {
  const n = spec.route.length;
  const version = versionBytes(spec.version);

  // Step 1: s_i is pk_i multiplied by x, then by every earlier blinding factor, in order
  // (blinding.ts computes that with about one ladder per hop).
  const chain = createBlindingChain(backend, spec.initialSecret);
  const expansions: Uint8Array[] = [];
  for (const node of spec.route) {
    const expanded = expandSharedSecret(backend, chain.sharedSecret(node.publicKey));
    expansions.push(expanded);
    chain.blind(expanded.subarray(...BLINDING_FACTOR));
  }
  const streams = expansions.map((e) => rho(backend, e));

  // Step 2: the filler, 60·(n−1) bytes, from the keys of hops 0..n−2.
  const filler = new Uint8Array(SLOT_SIZE * (n - 1));
  for (let i = 1; i < n; i++) {
    const stream = streams[i - 1] as Uint8Array;
    xorInto(filler.subarray(0, SLOT_SIZE * i), stream.subarray(STREAM_CIPHER_OUTPUT_LENGTH - SLOT_SIZE * i));
  }

  // Step 3: the innermost layer, for the final hop.
  let beta = new Uint8Array(ROUTING_INFO_SIZE);
  const finalLength = ROUTING_INFO_SIZE - filler.length;
  beta[0] = FINAL_HOP;
  beta.set(version, 1);
  beta.set(spec.destination, 4);
  beta.set(spec.identifier, 36);
  beta.set(spec.finalPadding, 52);
  xorInto(beta.subarray(0, finalLength), (streams[n - 1] as Uint8Array).subarray(0, finalLength));
  beta.set(filler, finalLength);
  let gamma = headerMac(backend, expansions[n - 1] as Uint8Array, beta);

  // Step 4: forward layers from the inside out; hop i's slot names hop i+1.
  for (let i = n - 2; i >= 0; i--) {
    const next = new Uint8Array(ROUTING_INFO_SIZE);
    next[0] = FORWARD_HOP;
    next.set(version, 1);
    next.set((spec.route[i + 1] as RouteNode).address, 4);
    writeBigUint64BE(next, 36, spec.delaysNs[i] as bigint);
    next.set(gamma, 44);
    next.set(beta.subarray(0, TRUNCATED_ROUTING_INFO_SIZE), SLOT_SIZE);
    xorInto(next, (streams[i] as Uint8Array).subarray(0, ROUTING_INFO_SIZE));
    beta = next;
    gamma = headerMac(backend, expansions[i] as Uint8Array, beta);
  }

  // Step 5.
  const header = new Uint8Array(HEADER_SIZE);
  header.set(backend.x25519Base(spec.initialSecret), 0);
  header.set(gamma, GROUP_ELEMENT_SIZE);
  header.set(beta, GROUP_ELEMENT_SIZE + HEADER_MAC_SIZE);
  return { header, payloadKeys: expansions.map((e) => e.subarray(...PAYLOAD_KEY)), expansions };
}

export interface UnwrappedHeader {
  /** E = expand(X25519(sk, alpha)), 288 bytes (§2.2). */
  expanded: Uint8Array;
  /** R = (beta || 0^60) XOR ρ, 360 bytes (§4.1 step 4). */
  routing: Uint8Array;
  flag: number;
  version: number;
}

/**
 * §4.1 steps 1–5 on the first 348 bytes of `packet`: derive, check the MAC in constant time,
 * decrypt. Throws INVALID_HEADER on a MAC mismatch, INVALID_ROUTING on an unknown flag.
 */
export function unwrapHeader(backend: CryptoBackend, packet: Uint8Array, privateKey: Uint8Array): UnwrappedHeader {
  const alpha = packet.subarray(0, GROUP_ELEMENT_SIZE);
  const gamma = packet.subarray(GROUP_ELEMENT_SIZE, GROUP_ELEMENT_SIZE + HEADER_MAC_SIZE);
  const beta = packet.subarray(GROUP_ELEMENT_SIZE + HEADER_MAC_SIZE, HEADER_SIZE);

  const expanded = expandSharedSecret(backend, backend.x25519(privateKey, alpha));
  if (!constantTimeEqual(gamma, headerMac(backend, expanded, beta))) {
    throw new SphinxError('INVALID_HEADER', 'failed to verify integrity MAC');
  }
  const routing = rho(backend, expanded);
  xorInto(routing, beta);
  const flag = routing[0] as number;
  // R[1] should be 0 but is not checked (§4.1 step 5).
  const version = ((routing[2] as number) << 8) | (routing[3] as number);
  if (flag !== FORWARD_HOP && flag !== FINAL_HOP) {
    throw new SphinxError('INVALID_ROUTING', `tried to parse unknown routing flag: ${flag}`);
  }
  return { expanded, routing, flag, version };
}
