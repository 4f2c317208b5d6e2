/** @mixnet/sphinx/wire: the small wire formats nodes and clients share. */
export * from './frame.js';
export * from './gateway-protocol.js';
export * from './topology.js';
