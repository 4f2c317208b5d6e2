/**
 * Requests and replies through SURBs. The requester sends reply SURBs with its request (and more
 * on demand); each SURB has a one-time key both ends derive from the request secret, so the
 * requester's gateway never reads the reply. The replier fragments its answer across the SURBs it
 * holds; when it runs short it spends its last SURB asking for more. A requester that hears nothing
 * for a while sends fresh SURBs naming the fragments it is missing.
 */

import { packetFromSurb } from '@mixnet/sphinx';
import { randomBytes, toHex } from './bytes.js';
import type { ClientCore } from './core.js';
import { openReply, PAYLOAD_SIZE, REPLY_CAPACITY, type ReplyContent, sealReply } from './envelope.js';
import { type Fragment, splitMessage } from './fragment.js';
import { encodeMessage, type IndexedSurb, MAX_SURBS_PER_MESSAGE, type Message } from './message.js';
import { unref } from './platform/timers.js';
import { type ProgressSink, SLOW_AFTER_MS } from './progress.js';
import { createReassembler } from './reassembly.js';
import type { Recipient } from './recipient.js';
import { type ReplyLimits, ReplyRefusedError } from './retention.js';
import { replyKey } from './seal.js';
import type { Sender } from './sender.js';

export interface RequestOptions {
  timeoutMs?: number;
  /** Reply SURBs to send with the request (default `traffic.replySurbs`). */
  surbs?: number;
}

interface Outstanding {
  id: Uint8Array;
  hexId: string;
  recipient: Recipient;
  secret: Uint8Array;
  nextIndex: number;
  identifiers: string[];
  acked: boolean;
  lastProgress: number;
  nudges: number;
  started: number;
  slowAt?: number;
  /** We moved to another gateway while this request was unacknowledged: fresh SURBs once it is. */
  moved: boolean;
  timer: NodeJS.Timeout;
  resolve(bytes: Uint8Array): void;
  reject(err: Error): void;
}

interface Incoming {
  secret: Uint8Array;
  surbs: Map<number, Uint8Array>;
  fragments?: Fragment[];
  unsent: number[];
  touched: number;
  /** What it holds of the retention budget: its SURBs and its reply. */
  bytes: number;
}

export interface Replies {
  request(recipient: Recipient, body: Uint8Array, opts?: RequestOptions): Promise<Uint8Array>;
  /** Handles a payload that came back in one of our reply SURBs; false if the tag is not ours. */
  onReplyPacket(identifier: string, message: Uint8Array): boolean;
  /** A REQUEST or SURBS message arrived; returns the reply function for a request. */
  onRequestMessage(
    m: Extract<Message, { kind: 'request' | 'surbs' }>,
  ): ((bytes: Uint8Array) => Promise<void>) | undefined;
  sweep(now: number): void;
  abort(err: Error): void;
  /**
   * We moved to another gateway: the SURBs we handed out name the old one, so every pending
   * request gets fresh SURBs and asks for its reply again (the replier answered once and resends;
   * it never hands a request to its application twice).
   */
  gatewayMoved(): void;
}

const MAX_NUDGES = 5;

export function createReplies(
  core: ClientCore,
  sender: Sender,
  limits: Required<ReplyLimits>,
  onProgress: ProgressSink = () => {},
): Replies {
  const outstanding = new Map<string, Outstanding>();
  const bySurb = new Map<string, { req: Outstanding; index: number }>();
  const incoming = new Map<string, Incoming>();
  const reassembler = createReassembler({
    capacity: REPLY_CAPACITY,
    maxMessageSize: core.traffic.maxMessageSize,
    timeoutMs: core.traffic.requestTimeoutMs,
  });

  const stallMs = Math.max(3_000, 2 * core.retransmitAfterMs);
  const { budget } = limits;

  /** Holds what fits of `surbs` for `inc`; the rest is refused (counted), as a whole message's worth. */
  const keepSurbs = (inc: Incoming, surbs: readonly { index: number; surb: Uint8Array }[]): boolean => {
    let refused = false;
    for (const s of surbs) {
      if (inc.surbs.size >= MAX_SURBS_PER_MESSAGE * 4 || inc.surbs.has(s.index)) continue;
      if (!budget.tryTake(s.surb.length)) {
        refused = true;
        break;
      }
      inc.bytes += s.surb.length;
      inc.surbs.set(s.index, s.surb);
    }
    if (refused) core.stats.requestsRefused++;
    return !refused;
  };

  const forget = (hexId: string, inc: Incoming) => {
    if (incoming.get(hexId) !== inc) return;
    incoming.delete(hexId);
    budget.release(inc.bytes);
    inc.bytes = 0;
  };

  const newSurbs = (req: Outstanding, n: number): IndexedSurb[] => {
    const out: IndexedSurb[] = [];
    for (let i = 0; i < Math.min(n, MAX_SURBS_PER_MESSAGE); i++) {
      const identifier = randomBytes(16);
      const key = toHex(identifier);
      const index = req.nextIndex++;
      bySurb.set(key, { req, index });
      req.identifiers.push(key);
      out.push({ index, surb: core.surb(identifier) });
    }
    return out;
  };

  const settle = (req: Outstanding) => {
    clearTimeout(req.timer);
    outstanding.delete(req.hexId);
    for (const id of req.identifiers) bySurb.delete(id);
  };

  const topUp = (req: Outstanding, count: number, resend: number[] | 'all') => {
    const m: Message = { kind: 'surbs', requestId: req.id, resend, surbs: newSurbs(req, count) };
    sender.send(req.recipient, encodeMessage(m)).catch(() => {
      // The next stall check tries again; the request's own timeout bounds it.
    });
  };

  /** Fresh SURBs for the fragments still missing (all, if none arrived yet). */
  const resendAll = (req: Outstanding) => {
    req.moved = false;
    req.lastProgress = performance.now();
    const missing = reassembler.missing(req.id);
    topUp(req, missing ? missing.length : core.traffic.replySurbs, missing ?? 'all');
  };

  /** Sends what the SURBs we hold allow; keeps the last SURB to ask for more when short. */
  const pump = (inc: Incoming) => {
    const frags = inc.fragments;
    if (!frags) return;
    // Newest SURBs first: they were made last, over the requester's current gateway and epoch.
    const indices = [...inc.surbs.keys()].sort((a, b) => b - a);
    while (inc.unsent.length > 0 && indices.length > 0) {
      const index = indices.shift() as number;
      const surb = inc.surbs.get(index) as Uint8Array;
      inc.surbs.delete(index);
      budget.release(surb.length);
      inc.bytes -= surb.length;
      let content: ReplyContent;
      if (indices.length === 0 && inc.unsent.length > 1) {
        content = { kind: 'need-surbs', count: Math.min(inc.unsent.length, MAX_SURBS_PER_MESSAGE) };
      } else {
        content = { kind: 'fragment', fragment: frags[inc.unsent.shift() as number] as Fragment };
      }
      core.shaper.enqueue({
        build: () => {
          const sealed = sealReply(core.backend, replyKey(core.backend, inc.secret, index), content);
          const out = packetFromSurb(surb, sealed, { payloadSize: PAYLOAD_SIZE, backend: core.backend });
          return { ...out, gt: { k: 'real' as const, d: '?' } };
        },
        sent: () => {
          core.stats.sent.replies++;
        },
      });
    }
  };

  return {
    request(recipient, body, opts = {}) {
      return new Promise<Uint8Array>((resolve, reject) => {
        const id = randomBytes(16);
        const hexId = toHex(id);
        const timeoutMs = opts.timeoutMs ?? core.traffic.requestTimeoutMs;
        const req: Outstanding = {
          id,
          hexId,
          recipient,
          secret: randomBytes(32),
          nextIndex: 0,
          identifiers: [],
          acked: false,
          lastProgress: performance.now(),
          started: performance.now(),
          nudges: 0,
          moved: false,
          timer: setTimeout(() => {
            settle(req);
            reject(new Error(`request ${hexId.slice(0, 8)}: no complete reply within ${timeoutMs} ms`));
          }, timeoutMs),
          resolve,
          reject,
        };
        unref(req.timer);
        outstanding.set(hexId, req);
        const surbs = newSurbs(req, opts.surbs ?? core.traffic.replySurbs);
        const message = encodeMessage({ kind: 'request', requestId: id, secret: req.secret, surbs, body });
        sender.send(recipient, message).then(
          () => {
            req.acked = true;
            req.lastProgress = performance.now();
            if (req.moved && outstanding.has(hexId)) resendAll(req);
          },
          (err: Error) => {
            settle(req);
            reject(err);
          },
        );
      });
    },

    onReplyPacket(identifier, message) {
      const hit = bySurb.get(identifier);
      if (!hit) return false;
      bySurb.delete(identifier);
      const { req, index } = hit;
      const content = openReply(core.backend, replyKey(core.backend, req.secret, index), message);
      if (!content) {
        core.stats.malformed++;
        return true;
      }
      core.stats.received.replies++;
      req.lastProgress = performance.now();
      if (content.kind === 'need-surbs') {
        topUp(req, content.count, []);
        return true;
      }
      if (toHex(content.fragment.messageId) !== req.hexId) {
        core.stats.malformed++;
        return true;
      }
      const r = reassembler.add(content.fragment);
      if (r.kind === 'duplicate') core.stats.duplicates++;
      if (r.kind === 'complete') {
        settle(req);
        req.resolve(r.message);
      } else if (r.kind === 'refused') {
        settle(req);
        req.reject(new Error(`reply refused: ${r.reason}`));
      }
      return true;
    },

    onRequestMessage(m) {
      const hexId = toHex(m.requestId);
      let inc = incoming.get(hexId);
      if (m.kind === 'request') {
        if (inc) return undefined; // the same request again: already handed to the application
        inc = { secret: m.secret, surbs: new Map(), unsent: [], touched: performance.now(), bytes: 0 };
        incoming.set(hexId, inc);
        // No room for its SURBs: not handed to the application (the requester times out).
        if (!keepSurbs(inc, m.surbs)) {
          forget(hexId, inc);
          return undefined;
        }
      }
      if (!inc) return undefined; // SURBs for a request we no longer know
      inc.touched = performance.now();
      if (m.kind === 'surbs') {
        keepSurbs(inc, m.surbs);
        const frags = inc.fragments;
        if (frags) {
          const want = m.resend === 'all' ? frags.map((_, i) => i) : m.resend.filter((i) => i < frags.length);
          for (const i of want) if (!inc.unsent.includes(i)) inc.unsent.push(i);
        }
        pump(inc);
        return undefined;
      }
      const state = inc;
      return async (bytes: Uint8Array) => {
        if (state.fragments) throw new Error('this request was already answered');
        if (incoming.get(hexId) !== state)
          throw new ReplyRefusedError('this request expired: its SURBs ran out or it went quiet', 'expired');
        if (bytes.length > limits.maxReplyBytes)
          throw new ReplyRefusedError(`reply of ${bytes.length} bytes exceeds ${limits.maxReplyBytes}`, 'too-large');
        if (!budget.tryTake(bytes.length))
          throw new ReplyRefusedError(`no room to hold a reply of ${bytes.length} bytes`, 'no-room');
        state.bytes += bytes.length;
        state.touched = performance.now();
        state.fragments = splitMessage(m.requestId, bytes, REPLY_CAPACITY);
        state.unsent = state.fragments.map((_, i) => i);
        pump(state);
      };
    },

    sweep(now) {
      reassembler.sweep();
      for (const [id, inc] of incoming) {
        // Out of SURBs, a request has until its requester's top-up or resend request; else idle time.
        if (now - inc.touched > (inc.surbs.size === 0 ? limits.starvedMs : limits.idleMs)) {
          forget(id, inc);
          core.stats.requestsExpired++;
        }
      }
      for (const req of outstanding.values()) {
        // Unacknowledged requests are the sender's to report; acknowledged ones wait for their reply.
        if (req.acked && now - req.started >= SLOW_AFTER_MS && now - (req.slowAt ?? 0) >= SLOW_AFTER_MS) {
          req.slowAt = now;
          onProgress({
            type: 'slow',
            messageId: req.hexId,
            elapsedMs: Math.round(now - req.started),
            waitingFor: 'reply',
            pending: 0,
            fragments: 0,
          });
        }
        if (!req.acked || now - req.lastProgress < stallMs || req.nudges >= MAX_NUDGES) continue;
        req.nudges++;
        onProgress({
          type: 'retransmit',
          messageId: req.hexId,
          fragment: 'reply',
          attempt: req.nudges + 1,
          reason: 'reply-stalled',
        });
        req.lastProgress = now;
        const missing = reassembler.missing(req.id);
        topUp(req, missing ? missing.length : core.traffic.replySurbs, missing ?? 'all');
      }
    },

    abort(err) {
      for (const [id, inc] of incoming) forget(id, inc);
      for (const req of [...outstanding.values()]) {
        settle(req);
        req.reject(err);
      }
    },

    gatewayMoved() {
      for (const req of outstanding.values()) {
        // Unacknowledged: the replier may not have the request yet; SURBs sent now could arrive
        // first and be ignored, so they go once the request is acknowledged.
        if (req.acked) resendAll(req);
        else req.moved = true;
      }
    },
  };
}
