/** Sizes, flags and versions of Nym's sphinx-packet 0.6.0 (SPHINX.md §1). */

export const SECURITY_PARAMETER = 16;
/** r: routes have 1..5 hops (§1). */
export const MAX_PATH_LENGTH = 5;
export const GROUP_ELEMENT_SIZE = 32;
export const NODE_ADDRESS_LENGTH = 32;
export const DESTINATION_ADDRESS_LENGTH = 32;
export const IDENTIFIER_LENGTH = 16;
export const FLAG_LENGTH = 1;
export const VERSION_LENGTH = 3;
export const DELAY_LENGTH = 8;
export const HEADER_MAC_SIZE = 16;
export const STREAM_CIPHER_KEY_SIZE = 16;
export const INTEGRITY_MAC_KEY_SIZE = 16;
export const PAYLOAD_KEY_SIZE = 192;
export const PAYLOAD_KEY_SEED_SIZE = 16;
export const BLINDING_FACTOR_SIZE = 32;
export const REPLAY_TAG_SIZE = 32;
/** §2.2: 16 + 16 + 192 + 32 + 32. */
export const EXPANDED_SHARED_SECRET_LENGTH = 288;
/** flag 1 + version 3 + address 32 + delay 8 (§1). */
export const NODE_META_INFO_SIZE = 44;
/** flag 1 + version 3 + destination 32 + identifier 16 (§1). */
export const FINAL_NODE_META_INFO_LENGTH = 52;
/** One routing slot: meta info + the next hop's MAC; the filler step (§3 step 2). */
export const SLOT_SIZE = NODE_META_INFO_SIZE + HEADER_MAC_SIZE;
/** beta (§1). */
export const ROUTING_INFO_SIZE = SLOT_SIZE * MAX_PATH_LENGTH;
export const TRUNCATED_ROUTING_INFO_SIZE = ROUTING_INFO_SIZE - SLOT_SIZE;
/** ρ output length per hop (§2.1). */
export const STREAM_CIPHER_OUTPUT_LENGTH = SLOT_SIZE * (MAX_PATH_LENGTH + 1);
/** alpha 32 + gamma 16 + beta 300 (§3 step 5). */
export const HEADER_SIZE = GROUP_ELEMENT_SIZE + HEADER_MAC_SIZE + ROUTING_INFO_SIZE;
/** 16 leading zero bytes + one 0x01 marker (§5.1). */
export const PAYLOAD_OVERHEAD_SIZE = SECURITY_PARAMETER + 1;
/** Lioness needs a block longer than 32 bytes (§5.2), so 33 is the smallest usable payload. */
export const MIN_PAYLOAD_SIZE = 33;
/** Nym's RegularPacket sphinx payload (§1.4); our default, not the crate builder's 1024. */
export const DEFAULT_PAYLOAD_SIZE = 2065;
/** A bound for decoders: Nym's largest Sphinx packet is ExtendedPacket32 (§1.4). */
export const MAX_PAYLOAD_SIZE = 32785;

export const FORWARD_HOP = 0x01;
export const FINAL_HOP = 0x02;

/** §1.1. */
export const VERSION_INITIAL_LEGACY = 1;
export const VERSION_UPDATED_LEGACY = 257;
export const VERSION_X25519_EXPLICIT_PAYLOAD_KEYS = 258;
export const VERSION_PAYLOAD_KEYS_SEEDS = 259;
/** What we write: the version Nym clients send by default (§0.1). */
export const PACKET_VERSION = VERSION_X25519_EXPLICIT_PAYLOAD_KEYS;

/** Sphinx payload sizes of Nym's packet size classes (`packet_sizes.rs`, §1.4). */
export const NYM_PAYLOAD_SIZES = {
  regular: 2065,
  ack: 38,
  extended8: 529,
  extended16: 16401,
  extended32: 32785,
} as const;

/** HKDF info of the shared-secret expansion: 97 ASCII bytes, no NUL (§2.2). */
export const HKDF_INFO =
  'Dwste mou enan moxlo arketa makru kai ena upomoxlio gia na ton topothetisw kai tha kinisw thn gh.';
/** Appendix A (version 259 payload keys). */
export const PAYLOAD_KEY_HKDF_SALT = 'sphinx-payload-key-V01-CS01-HKDF:SHA256-SALT';
export const PAYLOAD_KEY_HKDF_INFO = 'sphinx-payload-key-V01-CS01-HKDF:SHA256-INFO';

/** Length of the random final-slot padding for an n-hop route (§3 inputs). */
export function finalPaddingLength(hops: number): number {
  return ROUTING_INFO_SIZE - SLOT_SIZE * (hops - 1) - FINAL_NODE_META_INFO_LENGTH;
}
