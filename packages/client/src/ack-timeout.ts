/**
 * The ack timeout, adapted to the round trips we measure (TCP's RTO, RFC 6298): smoothed RTT plus
 * four times its mean deviation. Nym's fixed rule (expected RTT × 1.5 + a constant) stays the
 * floor, so we never resend sooner than it would; when queues make acks slower than that rule
 * expects (a burst, a busy machine), the timeout follows them instead of resending packets whose
 * acks are on their way. Capped at `maxFactor` × the floor, so a few very late acks cannot stall
 * the recovery of a lost packet for long.
 */

export interface AckTimeoutOptions {
  /** The cap as a multiple of the floor. Default 4. */
  maxFactor?: number;
}

export interface AckTimeout {
  /** An ack's round trip (ms), for a packet sent once only (Karn: a resent one's is ambiguous). */
  sample(rttMs: number): void;
  /** The timeout (ms) given the floor in force now. */
  timeoutMs(floorMs: number): number;
  /** Smoothed RTT (ms); undefined before the first sample. */
  readonly srttMs: number | undefined;
}

export function createAckTimeout(opts: AckTimeoutOptions = {}): AckTimeout {
  const maxFactor = opts.maxFactor ?? 4;
  let srtt: number | undefined;
  let rttvar = 0;
  return {
    sample(rtt) {
      if (!Number.isFinite(rtt) || rtt < 0) return;
      if (srtt === undefined) {
        srtt = rtt;
        rttvar = rtt / 2;
        return;
      }
      rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - rtt);
      srtt = 0.875 * srtt + 0.125 * rtt;
    },
    timeoutMs(floor) {
      if (srtt === undefined) return floor;
      return Math.min(Math.max(floor, srtt + 4 * rttvar), floor * maxFactor);
    },
    get srttMs() {
      return srtt;
    },
  };
}
