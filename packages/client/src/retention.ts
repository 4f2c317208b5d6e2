/**
 * What an answering client (the service provider above all) may hold for requests it got (issue
 * 14 #11): the requesters' SURBs and the replies waiting for them, bounded in bytes per request
 * and in total, and forgotten soon once the SURBs run out or the requester goes quiet.
 *
 * Requests are anonymous and unlinkable by design, so "per requester" can only mean per request:
 * a limit per sender identity would need senders to identify themselves, and a sender who wants
 * more would make fresh identities anyway. What one party can take is bounded by the total.
 */
import { ClientOptionsError } from './options.js';

/** A byte budget shared by everything that holds reply state (and, in the service provider, its in-flight fetches). */
export interface RetentionBudget {
  readonly max: number;
  readonly used: number;
  /** Takes `n` bytes if they fit; false (and nothing taken) if not. */
  tryTake(n: number): boolean;
  release(n: number): void;
}

export function createRetentionBudget(max: number): RetentionBudget {
  let used = 0;
  return {
    max,
    get used() {
      return used;
    },
    tryTake(n) {
      if (used + n > max) return false;
      used += n;
      return true;
    },
    release(n) {
      used = Math.max(0, used - n);
    },
  };
}

export interface ReplyLimits {
  /** Bytes every request together may hold: SURBs and replies. Default 32 MiB. */
  maxRetainedBytes: number;
  /** Largest reply one request may hold. Default: `traffic.maxMessageSize`. */
  maxReplyBytes: number;
  /** A request holding unused SURBs is forgotten after this long without news. Default 60 s. */
  idleMs: number;
  /**
   * A request whose SURBs ran out is forgotten after this long without fresh ones. Default 15 s:
   * room for the requester's top-up or a few of its resend requests (every ~3.5 s).
   */
  starvedMs: number;
  /** The budget to charge; one of `maxRetainedBytes` by default. Share it to bound more than replies. */
  budget?: RetentionBudget;
}

export const DEFAULT_REPLY_LIMITS = {
  maxRetainedBytes: 32 * 1024 * 1024,
  idleMs: 60_000,
  starvedMs: 15_000,
} as const;

export function resolveReplyLimits(
  input: Partial<ReplyLimits> | undefined,
  maxMessageSize: number,
): Required<ReplyLimits> {
  const l = { ...DEFAULT_REPLY_LIMITS, maxReplyBytes: maxMessageSize, ...(input ?? {}) };
  for (const field of ['maxRetainedBytes', 'maxReplyBytes', 'idleMs', 'starvedMs'] as const) {
    const v = l[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new ClientOptionsError(`replies.${field} must be a positive number, got ${v}`);
  }
  const budget = l.budget ?? createRetentionBudget(l.maxRetainedBytes);
  return { ...l, maxRetainedBytes: budget.max, budget };
}

/** A reply that cannot be held: larger than `maxReplyBytes`, or no room left in the budget. */
export class ReplyRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: 'too-large' | 'no-room' | 'expired',
  ) {
    super(message);
    this.name = 'ReplyRefusedError';
  }
}
