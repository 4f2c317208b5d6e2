/**
 * Descriptors: what a node (or a service provider) tells the directory about itself, signed by its
 * Ed25519 identity (docs/directory.md §2). The signature covers the exact JSON text, so no
 * canonical-JSON rule is needed. Every check throws a DescriptorError with a code; the directory
 * counts refusals by code.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';
import { verifyIdentitySignature } from './identity.js';
import { parseHostPort } from './topology.js';
import { xeddsaSign, xeddsaVerify } from './xeddsa.js';

export const MAX_DESCRIPTOR_SIZE = 8 * 1024;
const DESCRIPTOR_CONTEXT = utf8('mixnet-descriptor-v1\n');
const POP_CONTEXT = utf8('mixnet-sphinx-pop-v1');
/** How far a descriptor's issuedAt may lie in the past and the future. */
export const DESCRIPTOR_MAX_AGE_MS = 5 * 60_000;
export const DESCRIPTOR_MAX_FUTURE_MS = 60_000;

export type DescriptorErrorCode =
  | 'OVERSIZE'
  | 'MALFORMED'
  | 'BAD_SIGNATURE'
  | 'BAD_PROOF'
  | 'STALE'
  | 'REPLAYED'
  | 'NOT_ADMITTED'
  | 'ID_CONFLICT';

export class DescriptorError extends Error {
  readonly code: DescriptorErrorCode;
  constructor(code: DescriptorErrorCode, message: string) {
    super(message);
    this.name = 'DescriptorError';
    this.code = code;
  }
}

export interface SphinxKeyEntry {
  rotation: number;
  /** X25519 public key, hex. */
  key: string;
  /** XEdDSA proof of possession, hex (64 bytes). */
  proof: string;
}

export interface NodeDescriptor {
  v: 1;
  kind: 'node';
  id: string;
  role: 'mix' | 'gateway';
  identityKey: string;
  sphinxKeys: SphinxKeyEntry[];
  address: string;
  clientUrl?: string;
  metricsUrl?: string;
  software: string;
  issuedAt: number;
}

export interface ServiceProviderDescriptor {
  v: 1;
  kind: 'service-provider';
  id: string;
  identityKey: string;
  /** The id of the gateway it is registered with. */
  gateway: string;
  issuedAt: number;
}

export type Descriptor = NodeDescriptor | ServiceProviderDescriptor;

/** What travels: the descriptor's JSON text and the identity's signature over it. */
export interface SignedDescriptor {
  descriptor: string;
  signature: string;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{128}$/;

/** The bytes a Sphinx key's proof of possession signs: it binds the key to the identity and rotation. */
export function sphinxKeyProofMessage(identityKey: Uint8Array, rotation: number, key: Uint8Array): Uint8Array {
  const r = new Uint8Array(4);
  new DataView(r.buffer).setUint32(0, rotation, false);
  return concatBytes(POP_CONTEXT, identityKey, r, key);
}

/** A Sphinx key entry with its proof, made by the holder of the X25519 private key. */
export function sphinxKeyEntry(
  rotation: number,
  sphinxPrivateKey: Uint8Array,
  sphinxPublicKey: Uint8Array,
  identityKey: Uint8Array,
): SphinxKeyEntry {
  const random = crypto.getRandomValues(new Uint8Array(64));
  const proof = xeddsaSign(sphinxPrivateKey, sphinxKeyProofMessage(identityKey, rotation, sphinxPublicKey), random);
  return { rotation, key: toHex(sphinxPublicKey), proof: toHex(proof) };
}

/** Signs a message with an Ed25519 identity: RFC 8032 is deterministic, so any implementation gives these bytes. */
export type Ed25519Signer = (message: Uint8Array) => Uint8Array;

/**
 * Serialises and signs a descriptor with the identity's Ed25519 secret key, or with a signer
 * holding it (a node signs natively: a pure-JS signature costs ~30 × more CPU).
 */
export function signDescriptor(descriptor: Descriptor, identity: Uint8Array | Ed25519Signer): SignedDescriptor {
  const text = JSON.stringify(descriptor);
  const message = concatBytes(DESCRIPTOR_CONTEXT, utf8(text));
  const signature = typeof identity === 'function' ? identity(message) : ed25519.sign(message, identity);
  return { descriptor: text, signature: toHex(signature) };
}

function fail(field: string, what: string): never {
  throw new DescriptorError('MALFORMED', `descriptor.${field} ${what}`);
}
function str(o: Record<string, unknown>, f: string, re?: RegExp): string {
  const v = o[f];
  if (typeof v !== 'string' || v === '' || v.length > 512) fail(f, 'must be a non-empty string (≤ 512 chars)');
  if (re && !re.test(v)) fail(f, `has the wrong form (${re.source})`);
  return v;
}
function int(o: Record<string, unknown>, f: string, min: number, max: number): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail(f, `must be an integer from ${min} to ${max}`);
  return v;
}
function url(o: Record<string, unknown>, f: string, schemes: RegExp): string {
  const v = str(o, f);
  if (!schemes.test(v)) fail(f, `must be a ${schemes.source} URL`);
  try {
    new URL(v);
  } catch {
    fail(f, 'is not a URL');
  }
  return v;
}

function parseFields(o: Record<string, unknown>): Descriptor {
  if (o.v !== 1) fail('v', 'must be 1');
  const id = str(o, 'id', ID);
  const identityKey = str(o, 'identityKey', HEX32);
  const issuedAt = int(o, 'issuedAt', 0, 2 ** 50);
  if (o.kind === 'service-provider') {
    return { v: 1, kind: 'service-provider', id, identityKey, gateway: str(o, 'gateway', ID), issuedAt };
  }
  if (o.kind !== 'node') fail('kind', 'must be "node" or "service-provider"');
  if (o.role !== 'mix' && o.role !== 'gateway') fail('role', 'must be "mix" or "gateway"');
  const address = str(o, 'address');
  try {
    parseHostPort(address);
  } catch {
    fail('address', 'must be host:port');
  }
  if (!Array.isArray(o.sphinxKeys) || o.sphinxKeys.length < 1 || o.sphinxKeys.length > 3)
    fail('sphinxKeys', 'must hold 1 to 3 entries');
  const rotations = new Set<number>();
  const sphinxKeys = (o.sphinxKeys as unknown[]).map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) fail(`sphinxKeys[${i}]`, 'must be an object');
    const r = e as Record<string, unknown>;
    const entry = {
      rotation: int(r, 'rotation', 0, 2 ** 32 - 1),
      key: str(r, 'key', HEX32),
      proof: str(r, 'proof', HEX64),
    };
    if (rotations.has(entry.rotation)) fail(`sphinxKeys[${i}].rotation`, 'repeats another entry');
    rotations.add(entry.rotation);
    return entry;
  });
  const d: NodeDescriptor = {
    v: 1,
    kind: 'node',
    id,
    role: o.role,
    identityKey,
    sphinxKeys,
    address,
    software: str(o, 'software'),
    issuedAt,
  };
  if (o.role === 'gateway') d.clientUrl = url(o, 'clientUrl', /^wss?:\/\//);
  else if (o.clientUrl !== undefined) fail('clientUrl', 'is for gateways only');
  if (o.metricsUrl !== undefined) d.metricsUrl = url(o, 'metricsUrl', /^https?:\/\//);
  return d;
}

export interface VerifyDescriptorOptions {
  /** The verifier's clock, ms since the Unix epoch (default Date.now()). */
  now?: number;
  /**
   * Replaces `verifyIdentitySignature` (same contract: strict, small-order keys refused), e.g. a
   * native check for identity keys already vetted, so a re-announce costs no pure-JS verify.
   */
  verifySignature?: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
  /** Replaces `xeddsaVerify` for the proofs, e.g. a cache of proofs already verified (they repeat). */
  verifyProof?: (key: Uint8Array, message: Uint8Array, proof: Uint8Array) => boolean;
}

/**
 * Checks a signed descriptor as received (the parsed request body): size, shape, the identity's
 * signature, every Sphinx key's proof, and freshness. Returns the descriptor or throws DescriptorError.
 */
export function verifyDescriptor(body: unknown, opts: VerifyDescriptorOptions = {}): Descriptor {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DescriptorError('MALFORMED', 'body must be {"descriptor": text, "signature": hex}');
  const b = body as Record<string, unknown>;
  if (typeof b.descriptor !== 'string' || typeof b.signature !== 'string')
    throw new DescriptorError('MALFORMED', 'body must be {"descriptor": text, "signature": hex}');
  if (b.descriptor.length > MAX_DESCRIPTOR_SIZE)
    throw new DescriptorError('OVERSIZE', `descriptor over ${MAX_DESCRIPTOR_SIZE} bytes`);
  if (!HEX64.test(b.signature)) throw new DescriptorError('MALFORMED', 'signature must be 64 bytes of hex');
  let parsed: unknown;
  try {
    parsed = JSON.parse(b.descriptor);
  } catch {
    throw new DescriptorError('MALFORMED', 'descriptor is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new DescriptorError('MALFORMED', 'descriptor must be a JSON object');
  const d = parseFields(parsed as Record<string, unknown>);
  const identity = fromHex(d.identityKey);
  const verifySignature = opts.verifySignature ?? verifyIdentitySignature;
  const verifyProof = opts.verifyProof ?? xeddsaVerify;
  if (!verifySignature(fromHex(b.signature), concatBytes(DESCRIPTOR_CONTEXT, utf8(b.descriptor)), identity))
    throw new DescriptorError(
      'BAD_SIGNATURE',
      `descriptor of ${d.id}: the signature does not verify with its identity key`,
    );
  if (d.kind === 'node') {
    for (const e of d.sphinxKeys) {
      const key = fromHex(e.key);
      if (!verifyProof(key, sphinxKeyProofMessage(identity, e.rotation, key), fromHex(e.proof)))
        throw new DescriptorError(
          'BAD_PROOF',
          `descriptor of ${d.id}: no proof of possession for the rotation ${e.rotation} key`,
        );
    }
  }
  const now = opts.now ?? Date.now();
  if (d.issuedAt < now - DESCRIPTOR_MAX_AGE_MS || d.issuedAt > now + DESCRIPTOR_MAX_FUTURE_MS)
    throw new DescriptorError(
      'STALE',
      `descriptor of ${d.id} issued at ${new Date(d.issuedAt).toISOString()}, too far from now`,
    );
  return d;
}
