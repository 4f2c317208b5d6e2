/** The one error type the packet API throws (issue #2: nothing else may escape). */

export type SphinxErrorCode =
  /** Packet too short or not bytes (§4.2). */
  | 'INVALID_PACKET'
  /** MAC check failed: wrong key, or alpha, gamma or beta changed (§4.1 step 3). */
  | 'INVALID_HEADER'
  /** MAC verified but the routing flag is neither forward nor final (§4.1 step 9). */
  | 'INVALID_ROUTING'
  /** Payload too small for Lioness, message too long, or plaintext recovery failed (§5). */
  | 'INVALID_PAYLOAD'
  /** SURB bytes that do not parse (§6.2). */
  | 'INVALID_SURB'
  /** A route, key, delay, address or option given to a builder is malformed. */
  | 'INVALID_ARGUMENT'
  /** A node address that is not Nym's IPv4/IPv6 encoding (§1.3). */
  | 'INVALID_ADDRESS'
  /** A crypto primitive failed unexpectedly; the cause is attached. */
  | 'CRYPTO_FAILURE'
  /** MAC verified but the packet is a legacy version (1 or 257) the caller refused (processPacket option). */
  | 'UNSUPPORTED_VERSION';

export class SphinxError extends Error {
  readonly code: SphinxErrorCode;

  constructor(code: SphinxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SphinxError';
    this.code = code;
  }
}

/** Runs `fn`, turning anything but a SphinxError into one, so callers see a single error type. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SphinxError) throw err;
    throw new SphinxError('CRYPTO_FAILURE', `unexpected failure: ${String((err as Error)?.message ?? err)}`, {
      cause: err,
    });
  }
}
