/**
 * The ack timeout, adapted to the round trips we measure. Nym's rule is expected RTT × 1.5 + a
 * constant, the RTT modelled from the per-hop delays; we also apply it to the smoothed RTT we
 * measure, and take TCP's RTO (RFC 6298: smoothed RTT + 4 × its mean deviation) when that is
 * larger. The rule with the modelled RTT stays the floor, so we never resend sooner than Nym would;
 * when queues make acks slower than the model (a burst, a busy machine or client), the timeout
 * follows them instead of resending packets whose acks are on their way. Capped at `maxFactor` ×
 * the floor, so a few very late acks cannot stall the recovery of a lost packet for long.
 */

export interface AckTimeoutOptions {
  /** The cap as a multiple of the floor. Default 4. */
  maxFactor?: number;
}

export interface AckTimeout {
  /** An ack's round trip (ms), for a packet sent once only (Karn: a resent one's is ambiguous). */
  sample(rttMs: number): void;
  /**
   * The timeout (ms) given Nym's rule in force now (`floorMs`, from the modelled RTT) and its
   * constant (`additionMs`, traffic.ackWaitAdditionMs).
   */
  timeoutMs(floorMs: number, additionMs: number): number;
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
    timeoutMs(floor, addition) {
      if (srtt === undefined) return floor;
      const measured = Math.max(srtt * 1.5 + addition, srtt + 4 * rttvar);
      return Math.min(Math.max(floor, measured), floor * maxFactor);
    },
    get srttMs() {
      return srtt;
    },
  };
}
