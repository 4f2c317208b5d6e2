/** Client options, their defaults, and the checks that name a bad field. */

export interface TrafficOptions {
  /** Mean per-hop delay μ in ms; each hop's delay is drawn from Exp(μ) (Loopix). Default 15, as Nym. */
  mu: number;
  /** Mean gap of the Poisson send stream in ms. Default 20. With `cover: false`, 0 means no pacing. */
  sendGapMs: number;
  /** Mean gap of the loop-cover stream in ms. Default 200. */
  loopGapMs: number;
  /** Drop and loop cover on (default) or off (benchmarks). */
  cover: boolean;
  /** Retransmission timeout = expected RTT × 1.5 + this. Default 1,500 ms (Nym's ack wait addition). */
  ackWaitAdditionMs: number;
  /** Sends of one fragment before its message fails. Default 20. */
  maxAttempts: number;
  /** Largest message `send` or `request` accepts (and a receiver reassembles). Default 1 MiB. */
  maxMessageSize: number;
  /** Incomplete messages are dropped after this long without a new fragment. Default 60 s. */
  reassemblyTimeoutMs: number;
  /** Reply SURBs sent with a request. Default 4; the replier asks for more when short. */
  replySurbs: number;
  /** A request fails after this long. Default 60 s. */
  requestTimeoutMs: number;
  /**
   * Acknowledge and retransmit (default). Off: data packets carry no ack SURB and `send` resolves
   * once every packet has left (the Loopix model without reliability, for anonymity experiments).
   */
  acks: boolean;
}

export const DEFAULT_TRAFFIC: TrafficOptions = {
  mu: 15,
  sendGapMs: 20,
  loopGapMs: 200,
  cover: true,
  ackWaitAdditionMs: 1_500,
  maxAttempts: 20,
  maxMessageSize: 1024 * 1024,
  reassemblyTimeoutMs: 60_000,
  replySurbs: 4,
  requestTimeoutMs: 60_000,
  acks: true,
};

export class ClientOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientOptionsError';
  }
}

export function resolveTraffic(input: Partial<TrafficOptions> | undefined): TrafficOptions {
  const t = { ...DEFAULT_TRAFFIC, ...(input ?? {}) };
  const num = (field: keyof TrafficOptions, min: number, integer = false) => {
    const v = t[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
      throw new ClientOptionsError(
        `traffic.${field} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${v}`,
      );
  };
  num('mu', 0);
  num('sendGapMs', 0);
  num('loopGapMs', 1);
  num('ackWaitAdditionMs', 0);
  num('maxAttempts', 1, true);
  num('maxMessageSize', 1, true);
  num('reassemblyTimeoutMs', 1);
  num('replySurbs', 1, true);
  num('requestTimeoutMs', 1);
  if (typeof t.cover !== 'boolean') throw new ClientOptionsError(`traffic.cover must be a boolean`);
  if (typeof t.acks !== 'boolean') throw new ClientOptionsError(`traffic.acks must be a boolean`);
  if (t.cover && t.sendGapMs === 0)
    throw new ClientOptionsError('traffic.sendGapMs must be > 0 with cover on (the Poisson stream needs a rate)');
  if (t.replySurbs > 64) throw new ClientOptionsError('traffic.replySurbs must be at most 64');
  return t;
}
