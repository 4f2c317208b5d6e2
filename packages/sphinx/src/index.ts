/** @mixnet/sphinx: Nym-compatible Sphinx packets (sphinx-packet 0.6.0, format version 258). */

export type { DecodedNodeAddress, NodeAddress } from './address.js';
export { decodeNodeAddress, encodeNodeAddress, formatNodeAddress } from './address.js';
export * from './constants.js';
export type { BackendName, CryptoBackend, Primitive } from './crypto/backend.js';
export type { NativeBackendOptions } from './crypto/native.js';
export { createNobleBackend } from './crypto/noble.js';
export { createNativeBackend } from './crypto/platform.js';
export { defaultBackendName, getBackend } from './crypto/select.js';
export type { SphinxErrorCode } from './errors.js';
export { SphinxError } from './errors.js';
export type { RouteNode } from './header.js';
export { expandSharedSecret } from './kdf.js';
export type { KeyPair } from './keys.js';
export { generateKeyPair, publicKeyFromPrivate } from './keys.js';
export { lionessDecryptInPlace, lionessEncryptInPlace } from './lioness.js';
export type {
  BackendChoice,
  CreatePacketOptions,
  PacketVersion,
  ProcessPacketOptions,
  ProcessPacketResult,
  RouteOptions,
} from './packet.js';
export { createPacket, processPacket } from './packet.js';
export { recoverMessage } from './payload.js';
export type { CreateSurbOptions, PacketFromSurbOptions, PacketFromSurbResult, Surb } from './surb.js';
export { createSurb, encodeSurb, packetFromSurb, parseSurb } from './surb.js';
