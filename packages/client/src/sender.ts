/**
 * Reliable sending (Loopix/Nym): a message is split into fragments, each fragment carries an ack
 * SURB, and a fragment not acknowledged in time is sent again over a fresh route, up to
 * `maxAttempts`. In time: Nym's expected RTT × 1.5 + a constant, or longer while the acks we
 * measure take longer (ack-timeout.ts). The sender learns per message when every fragment arrived.
 */

import { type TopologyGateway, traceClientName } from '@mixnet/sphinx/wire';
import { createAckTimeout } from './ack-timeout.js';
import { randomBytes, toHex } from './bytes.js';
import type { ClientCore } from './core.js';
import { DATA_CAPACITY, sealData } from './envelope.js';
import { type Fragment, splitMessage } from './fragment.js';
import { unref } from './platform/timers.js';
import { type ProgressSink, type RetransmitReason, SLOW_AFTER_MS } from './progress.js';
import type { Recipient } from './recipient.js';
import { sealPublicKey } from './seal.js';

/** A timer this late (ms) means our own process stalled: that time is given back to the ack. */
const STALL_MS = 50;

export interface SendResult {
  /** Hex message id (the receiver dedupes by it). */
  messageId: string;
  fragments: number;
  /** Packets sent, retransmissions included. */
  packets: number;
  /** From `send` to the last ack. */
  latencyMs: number;
}

/** Refused at the sender: the application's bytes exceed `traffic.maxMessageSize`. */
export class MessageTooLargeError extends Error {
  constructor(size: number, max: number) {
    super(`message of ${size} bytes exceeds the maximum of ${max} (traffic.maxMessageSize)`);
    this.name = 'MessageTooLargeError';
  }
}

/** Where a message goes, resolved once per message rather than per packet. */
interface Destination {
  identity: Uint8Array;
  /** Hex identity and the gateway its address names: to resolve the egress again per attempt. */
  hexIdentity: string;
  gatewayId: string;
  /** The egress of the last attempt; kept when a later topology no longer lists it. */
  egress: TopologyGateway;
  sealKey: Uint8Array;
  /** Trace-mode ground truth (ANONYMITY.md §1 `gt`). */
  name: string;
}

interface Outbound {
  id: string;
  to: Destination;
  remaining: number;
  packets: number;
  started: number;
  done: boolean;
  resolve(r: SendResult): void;
  reject(err: Error): void;
  fragments: number;
  /** When the last `slow` event for it went out. */
  slowAt?: number;
}

interface InFlight {
  out: Outbound;
  fragment: Fragment;
  attempts: number;
  acked: boolean;
  /** In the send queue (not yet on the wire). */
  queued: boolean;
  identifiers: string[];
  timer?: NodeJS.Timeout;
  /** When the last attempt went on the wire (performance.now()). */
  sentAt: number;
  /** Of the time since, how long our own process stalled (late timers). */
  stalledMs: number;
  /** Bumped when a timer is armed or cancelled: a stale check does nothing. */
  gen: number;
  ackedAt?: number;
}

export interface Sender {
  send(recipient: Recipient, message: Uint8Array): Promise<SendResult>;
  /** true if `identifier` was one of our ack SURBs. */
  ack(identifier: string): boolean;
  /** The ack timeout in force now (ms): Nym's rule, or longer while measured acks take longer. */
  readonly ackTimeoutMs: number;
  /** Forgets ack SURB tags of fragments acked long ago (late duplicate acks are still recognised until then). */
  sweep(now: number): void;
  /** Fails every message in flight (on close). */
  abort(err: Error): void;
  /**
   * Sends again, now, every fragment on the wire and not yet acknowledged: after a move to another
   * gateway their ack SURBs name the old one, so those acks would never come.
   */
  resendUnacked(): number;
}

export interface SenderProgress {
  onProgress?: ProgressSink;
  /** Whether a gateway connection is up now (for `slow`'s waitingFor). */
  connected?: () => boolean;
}

export function createSender(core: ClientCore, progress: SenderProgress = {}): Sender {
  const emit = progress.onProgress ?? (() => {});
  const byAck = new Map<string, InFlight>();
  const inFlight = new Set<InFlight>();
  const rto = createAckTimeout();
  const ackTimeoutMs = () => rto.timeoutMs(core.retransmitAfterMs, core.traffic.ackWaitAdditionMs);

  /**
   * Sends again once the timeout in force then has passed: it may have grown since the send. The
   * check waits for the I/O already pending (Node runs timers before it reads sockets, so after a
   * stall the acks that came meanwhile would be read only after we resent), and a timer firing
   * STALL_MS or more late (our own process could not run, nor, on a busy machine, the network)
   * waits that long again before judging, up to one timeout more in all.
   */
  const arm = (f: InFlight, ms: number) => {
    const gen = ++f.gen;
    const due = performance.now() + ms;
    f.timer = setTimeout(() => setImmediate(() => check(f, gen, due)), ms);
    unref(f.timer);
  };
  const check = (f: InFlight, gen: number, due: number) => {
    if (gen !== f.gen || f.acked || f.out.done) return;
    const now = performance.now();
    const timeout = ackTimeoutMs();
    const late = now - due;
    // A stall: the ack had that much less time to be seen. Waited out, up to one timeout in all.
    if (late >= STALL_MS && f.stalledMs < timeout) {
      f.stalledMs += late;
      arm(f, late);
      return;
    }
    const left = f.sentAt + f.stalledMs + timeout - now;
    if (left >= 1) arm(f, left);
    else retransmit(f, 'ack-timeout');
  };

  /** Cancels the pending ack check, including one already past its timer (queued behind I/O). */
  const disarm = (f: InFlight) => {
    clearTimeout(f.timer);
    f.gen++;
  };

  const finish = (f: InFlight, forget: boolean) => {
    disarm(f);
    if (forget) for (const id of f.identifiers) byAck.delete(id);
    inFlight.delete(f);
  };

  const fail = (out: Outbound, err: Error) => {
    if (out.done) return;
    out.done = true;
    for (const f of inFlight) if (f.out === out) finish(f, true);
    out.reject(err);
  };

  /** The recipient's gateway in the topology of now (a service provider may have moved; keys rotate). */
  const egressNow = (to: Destination): TopologyGateway => {
    try {
      to.egress = core.planner.egressFor(to.hexIdentity, to.gatewayId);
    } catch {
      // Gone from the topology: the last known entry is the best guess left.
    }
    return to.egress;
  };

  const enqueue = (f: InFlight) => {
    f.queued = true;
    core.shaper.enqueue({
      build: () => {
        const { to } = f.out;
        egressNow(to);
        const ackId = core.traffic.acks ? randomBytes(16) : undefined;
        const content = sealData(core.backend, to.sealKey, ackId ? core.surb(ackId) : new Uint8Array(0), f.fragment);
        const out = core.packet(to.egress, to.identity, randomBytes(16), content);
        out.gt = { k: 'real', d: to.name };
        if (ackId) {
          const ackKey = toHex(ackId);
          f.identifiers.push(ackKey);
          byAck.set(ackKey, f);
        }
        return out;
      },
      failed: (err) => {
        f.queued = false;
        fail(f.out, new Error(`message ${f.out.id}: cannot build a packet: ${err.message}`));
      },
      sent: () => {
        f.queued = false;
        f.attempts++;
        f.out.packets++;
        core.stats.sent.real++;
        if (f.attempts > 1) core.stats.retransmissions++;
        if (!core.traffic.acks) {
          acked(f);
          return;
        }
        f.sentAt = performance.now();
        f.stalledMs = 0;
        arm(f, ackTimeoutMs());
      },
    });
  };

  const acked = (f: InFlight) => {
    if (f.acked) return;
    f.acked = true;
    f.ackedAt = performance.now();
    finish(f, false);
    const out = f.out;
    if (--out.remaining === 0 && !out.done) {
      out.done = true;
      out.resolve({
        messageId: out.id,
        fragments: out.fragments,
        packets: out.packets,
        latencyMs: performance.now() - out.started,
      });
    }
  };

  const retransmit = (f: InFlight, reason: RetransmitReason) => {
    if (f.acked || f.out.done) return;
    if (f.attempts >= core.traffic.maxAttempts) {
      fail(
        f.out,
        new Error(`message ${f.out.id}: fragment ${f.fragment.index} not acknowledged after ${f.attempts} sends`),
      );
      return;
    }
    emit({ type: 'retransmit', messageId: f.out.id, fragment: f.fragment.index, attempt: f.attempts + 1, reason });
    enqueue(f);
  };

  return {
    send(recipient, message) {
      const messageId = randomBytes(16);
      const fragments = splitMessage(messageId, message, DATA_CAPACITY);
      return new Promise<SendResult>((resolve, reject) => {
        const hexIdentity = toHex(recipient.identity);
        const to: Destination = {
          identity: recipient.identity,
          hexIdentity,
          gatewayId: recipient.gateway,
          egress: core.planner.egressFor(hexIdentity, recipient.gateway), // throws (rejects) on an unknown gateway
          sealKey: sealPublicKey(recipient.identity),
          name: traceClientName(recipient.identity),
        };
        const out: Outbound = {
          id: toHex(messageId),
          to,
          remaining: fragments.length,
          packets: 0,
          started: performance.now(),
          done: false,
          resolve,
          reject,
          fragments: fragments.length,
        };
        for (const fragment of fragments) {
          const f: InFlight = {
            out,
            fragment,
            attempts: 0,
            acked: false,
            queued: false,
            identifiers: [],
            sentAt: 0,
            stalledMs: 0,
            gen: 0,
          };
          inFlight.add(f);
          enqueue(f);
        }
      });
    },
    ack(identifier) {
      const f = byAck.get(identifier);
      if (!f) return false;
      core.stats.received.acks++;
      if (!f.acked && f.attempts === 1) rto.sample(performance.now() - f.sentAt);
      acked(f);
      return true;
    },
    get ackTimeoutMs() {
      return ackTimeoutMs();
    },
    sweep(now) {
      for (const [id, f] of byAck) if (f.ackedAt !== undefined && now - f.ackedAt > 120_000) byAck.delete(id);
      const outs = new Map<Outbound, InFlight[]>();
      for (const f of inFlight) outs.set(f.out, [...(outs.get(f.out) ?? []), f]);
      for (const [out, frags] of outs) {
        if (out.done || now - out.started < SLOW_AFTER_MS || now - (out.slowAt ?? 0) < SLOW_AFTER_MS) continue;
        out.slowAt = now;
        const pending = frags.filter((f) => !f.acked);
        const waitingFor =
          progress.connected && !progress.connected()
            ? 'gateway'
            : pending.some((f) => f.queued || f.attempts === 0)
              ? 'send-queue'
              : 'acks';
        emit({
          type: 'slow',
          messageId: out.id,
          elapsedMs: Math.round(now - out.started),
          waitingFor,
          pending: pending.length,
          fragments: out.fragments,
        });
      }
    },
    abort(err) {
      const outs = new Set([...inFlight].map((f) => f.out));
      for (const out of outs) fail(out, err);
    },
    resendUnacked() {
      let n = 0;
      for (const f of inFlight) {
        if (f.acked || f.queued || f.out.done || f.attempts === 0) continue;
        disarm(f);
        retransmit(f, 'gateway-moved');
        n++;
      }
      return n;
    },
  };
}
