/**
 * The Sphinx version every sender of this network writes: clients (data, loop and drop cover,
 * acks and replies) and mixes (their loop cover). A hop reads the version from the routing slot it
 * decrypts (SPHINX.md §1.1), so two versions in use would tell it one kind of packet from another
 * (issue 14 #7: drop cover and acks were 259, data and loops 258).
 *
 * 259 rather than 258: replies and acks travel in SURBs, and a 259 SURB carries 16-byte seeds
 * (444 bytes over 4 hops) where a 258 one carries 192-byte keys (1148), which would take 880 bytes
 * from every data packet's fragment (its ack SURB). Nym's sphinx-packet 0.6 processes both; the
 * Nym interop suite checks our 259 packets against it.
 */
import { VERSION_PAYLOAD_KEYS_SEEDS } from '../constants.js';

export const NETWORK_PACKET_VERSION = VERSION_PAYLOAD_KEYS_SEEDS;
