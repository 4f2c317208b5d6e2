/** @mixnet/sphinx/wire: the small wire formats nodes and clients share. */

/** Byte helpers every package needs the same way (constant-time compare for MACs). */
export { concatBytes, constantTimeEqual, xorInto } from '../bytes.js';
export * from './admin-auth.js';
export * from './capped-body.js';
export * from './directory-descriptor.js';
export * from './directory-document.js';
export * from './frame.js';
export * from './gateway-protocol.js';
export * from './identity.js';
export * from './packet-format.js';
export * from './topology.js';
export * from './trace-line.js';
export * from './xeddsa.js';
