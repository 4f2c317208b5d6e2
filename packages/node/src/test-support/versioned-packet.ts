/**
 * A one-hop forward packet of any Sphinx version, for tests of version handling: createPacket only
 * writes 258. Built from the public primitives (SPHINX.md §2.2 key schedule, §3 header layout):
 * routing slot = flag | 0 | version (BE16) | next address | delay, encrypted with ρ, MAC over beta.
 */
import { DEFAULT_PAYLOAD_SIZE, expandSharedSecret, FORWARD_HOP, getBackend, HEADER_SIZE } from '@mixnet/sphinx';

/** §2.2: stream key E[0:16], header MAC key E[16:32]. */
const STREAM_KEY = [0, 16] as const;
const MAC_KEY = [16, 32] as const;

export function versionedForwardPacket(opts: {
  publicKey: Uint8Array;
  nextAddress: Uint8Array;
  version: number;
  delayNs?: bigint;
}): Uint8Array {
  const backend = getBackend();
  const secret = backend.randomBytes(32);
  const expanded = expandSharedSecret(backend, backend.x25519(secret, opts.publicKey));
  const beta = backend.randomBytes(HEADER_SIZE - 48);
  const rho = backend.aes128CtrKeystream(expanded.subarray(...STREAM_KEY), 360);
  const slot = new Uint8Array(44);
  slot[0] = FORWARD_HOP;
  slot[2] = (opts.version >> 8) & 0xff;
  slot[3] = opts.version & 0xff;
  slot.set(opts.nextAddress.subarray(0, 32), 4);
  new DataView(slot.buffer).setBigUint64(36, opts.delayNs ?? 0n);
  for (let i = 0; i < slot.length; i++) beta[i] = (slot[i] as number) ^ (rho[i] as number);
  const gamma = backend.hmacSha256(expanded.subarray(...MAC_KEY), beta).subarray(0, 16);
  const packet = new Uint8Array(HEADER_SIZE + DEFAULT_PAYLOAD_SIZE);
  packet.set(backend.x25519Base(secret), 0);
  packet.set(gamma, 32);
  packet.set(beta, 48);
  packet.set(backend.randomBytes(DEFAULT_PAYLOAD_SIZE), HEADER_SIZE);
  return packet;
}
