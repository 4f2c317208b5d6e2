/**
 * Traffic shaping as Loopix and Nym do it: a Poisson stream that sends the next queued real packet
 * or, when there is none, a drop-cover packet; and a separate Poisson stream of loop cover. With
 * cover off and a zero send gap, real packets go out as soon as they are queued (for benchmarks).
 *
 * Packets are built when they leave, not when queued, so each gets a fresh route and delays and a
 * retransmission timer that starts at the real send time.
 */

import { unref } from './platform/timers.js';
import { exponential } from './random.js';

export interface OutgoingPacket {
  firstHop: Uint8Array;
  packet: Uint8Array;
  /** Ground truth for trace mode (ANONYMITY.md §1 `gt`): kind and destination name ('?' behind a SURB). */
  gt?: { k: 'real' | 'loop' | 'drop'; d: string };
}

/** A queued real packet: built at send time; `sent` runs once it is on the wire. */
export interface QueuedPacket {
  build(): OutgoingPacket;
  sent?(): void;
  /** `build` threw: the packet is dropped (never retried), and its owner is told. */
  failed?(err: Error): void;
}

export interface TrafficShaperOptions {
  /** Mean gap of the send stream in ms; 0 = no pacing (only without cover). */
  sendGapMs: number;
  /** Mean gap of the loop-cover stream in ms. */
  loopGapMs: number;
  cover: boolean;
  dropCover(): OutgoingPacket;
  loopCover(): OutgoingPacket;
  /** false: not connected, the packet was not sent. */
  transmit(p: OutgoingPacket): boolean;
  canSend(): boolean;
  onError(err: Error): void;
}

export interface TrafficShaper {
  enqueue(p: QueuedPacket, opts?: { priority?: boolean }): void;
  readonly queued: number;
  /** Try to send now (after a reconnect). */
  kick(): void;
  stop(): void;
}

export function createTrafficShaper(opts: TrafficShaperOptions): TrafficShaper {
  const queue: QueuedPacket[] = [];
  let stopped = false;
  let sendTimer: NodeJS.Timeout | undefined;
  let loopTimer: NodeJS.Timeout | undefined;
  let draining = false;
  const paced = opts.sendGapMs > 0 || opts.cover;

  const sendOne = (): boolean => {
    if (stopped || !opts.canSend()) return false;
    const next = queue[0];
    try {
      if (next) {
        const out = next.build();
        if (!opts.transmit(out)) return false;
        queue.shift();
        next.sent?.();
      } else if (opts.cover) {
        opts.transmit(opts.dropCover());
      }
    } catch (err) {
      if (next && queue[0] === next) {
        queue.shift(); // a packet that cannot be built is not retried forever
        next.failed?.(err as Error);
      }
      opts.onError(err as Error);
    }
    return true;
  };

  const scheduleSend = () => {
    if (stopped) return;
    sendTimer = setTimeout(
      () => {
        sendOne();
        scheduleSend();
      },
      exponential(opts.sendGapMs > 0 ? opts.sendGapMs : 20),
    );
    unref(sendTimer);
  };

  const scheduleLoop = () => {
    if (stopped) return;
    loopTimer = setTimeout(() => {
      try {
        if (opts.canSend()) opts.transmit(opts.loopCover());
      } catch (err) {
        opts.onError(err as Error);
      }
      scheduleLoop();
    }, exponential(opts.loopGapMs));
    unref(loopTimer);
  };

  /** Unpaced: drain in slices so a large message does not block the event loop. */
  const drain = () => {
    if (draining || stopped) return;
    draining = true;
    const step = () => {
      let n = 0;
      while (queue.length > 0 && n < 64 && sendOne()) n++;
      if (queue.length > 0 && !stopped) setTimeout(step, n === 0 ? 5 : 0);
      else draining = false;
    };
    setImmediate(step);
  };

  if (paced) scheduleSend();
  if (opts.cover) scheduleLoop();

  return {
    enqueue(p, o) {
      if (o?.priority) queue.unshift(p);
      else queue.push(p);
      if (!paced) drain();
    },
    get queued() {
      return queue.length;
    },
    kick() {
      if (!paced) drain();
    },
    stop() {
      stopped = true;
      clearTimeout(sendTimer);
      clearTimeout(loopTimer);
    },
  };
}
