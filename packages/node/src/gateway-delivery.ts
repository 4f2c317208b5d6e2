/**
 * Where a final-hop payload for a client goes (issue 14 #4, #9, #10):
 * - to its WebSocket, if it is online and has less than maxBufferedBytes waiting to be sent;
 * - else to its mailbox (a slow reader's mailbox is drained to it one frame at a time, so its
 *   socket never holds more than the cap plus one frame) — but only for addresses that
 *   authenticated here (the registry): a destination nobody registered gets no mailbox;
 * - if the mailbox write fails (EMFILE, ENOSPC…), into a bounded in-memory queue retried every
 *   second, so no message is lost silently: each failure is counted and logged, and a message
 *   that cannot be kept is counted as dropped (mailbox_error).
 * Mixing reorders packets anyway, so deliveries keep no order across these paths.
 */

import type { ClientSession } from './gateway-clients.js';
import { createFifo } from './link-fifo.js';
import type { Logger } from './logger.js';
import type { Mailbox, MailboxRefusal } from './mailbox.js';
import type { DropReason, NodeMetrics } from './metrics.js';
import type { Registry } from './registry.js';
import { corkForTick, rawSocketOf } from './tick-cork.js';

export interface DeliveryOptions {
  mailbox: Mailbox;
  registry: Registry;
  sessions: ReadonlyMap<string, ClientSession>;
  metrics: NodeMetrics;
  logger: Logger;
  drop: (reason: DropReason) => void;
  maxBufferedBytes: number;
  /** bytes of failed writes kept in memory for a retry */
  maxPendingBytes: number;
  /** a pending message older than this is dropped (the mailbox's maxAgeMs) */
  maxAgeMs: number;
  retryMs?: number;
}

export interface Delivery {
  /** `address`: hex of `destination`; `frame`: the DELIVER frame for the client. True if sent on its socket now. */
  deliver(destination: Uint8Array, address: string, frame: Uint8Array): boolean;
  /** hands a client its mailbox, one frame at a time (at login, and after it fell behind) */
  drainTo(session: ClientSession): void;
  /** messages waiting for a retry of their mailbox write */
  readonly pending: number;
  /** one last attempt for what is pending; the rest is counted as dropped */
  close(): Promise<void>;
}

const REFUSED: Record<MailboxRefusal, DropReason> = {
  client_full: 'mailbox_full',
  total_full: 'mailbox_total_full',
  too_many_mailboxes: 'mailbox_too_many',
};
const LOG_EVERY_MS = 5_000;

interface Pending {
  destination: Uint8Array;
  address: string;
  frame: Uint8Array;
  at: number;
}

export function createDelivery(opts: DeliveryOptions): Delivery {
  const { mailbox, registry, sessions, metrics, logger, drop } = opts;
  const retryMs = opts.retryMs ?? 1_000;
  const pending = createFifo<Pending>();
  let pendingBytes = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let failuresSinceLog = 0;
  let lastLog = Number.NEGATIVE_INFINITY;
  let closed = false;
  metrics.sources.pendingWrites = () => pending.length;

  const logFailure = (err: Error) => {
    failuresSinceLog++;
    const t = Date.now();
    if (t - lastLog < LOG_EVERY_MS) return;
    lastLog = t;
    logger.error({ err: err.message, failures: failuresSinceLog, pending: pending.length }, 'mailbox writes failing');
    failuresSinceLog = 0;
  };

  const keep = (p: Pending, err: Error) => {
    metrics.mailboxWriteErrors.inc();
    logFailure(err);
    if (closed || pendingBytes + p.frame.length > opts.maxPendingBytes) {
      drop('mailbox_error');
      logger.error({ err: err.message }, 'mailbox write failed and the retry queue is full: message dropped');
      return;
    }
    pending.push(p);
    pendingBytes += p.frame.length;
    if (retryTimer === undefined) {
      retryTimer = setTimeout(retry, retryMs);
      retryTimer.unref();
    }
  };

  const store = (p: Pending): Promise<void> =>
    mailbox.put(p.destination, p.frame).then(
      (result) => {
        if (result !== true) return drop(REFUSED[result]);
        metrics.mailboxed.inc();
        // Online but behind: it gets this from its mailbox as its socket drains.
        const s = sessions.get(p.address);
        if (s) drainTo(s);
      },
      (err: Error) => keep(p, err),
    );

  /** True if sent on the client's socket; else stored (or being stored), or dropped. */
  function route(p: Pending): boolean {
    const s = sessions.get(p.address);
    if (s && s.socket.readyState === s.socket.OPEN) {
      if (s.socket.bufferedAmount + p.frame.length <= opts.maxBufferedBytes) {
        // A tick's deliveries to this client leave in one write.
        corkForTick(rawSocketOf(s.socket));
        s.socket.send(p.frame);
        metrics.delivered.inc();
        return true;
      }
      metrics.spilled.inc();
    } else if (!registry.has(p.address)) {
      drop('unregistered');
      return false;
    }
    void store(p);
    return false;
  }

  function retry(): void {
    retryTimer = undefined;
    const cutoff = Date.now() - opts.maxAgeMs;
    for (let n = pending.length; n > 0; n--) {
      const p = pending.shift() as Pending;
      pendingBytes -= p.frame.length;
      if (p.at < cutoff) drop('mailbox_expired');
      else route(p);
    }
  }

  function drainTo(s: ClientSession): void {
    if (s.draining || closed) return;
    s.draining = true;
    mailbox
      .drain(s.identity, (frame) => {
        if (s.socket.readyState !== s.socket.OPEN) throw new Error('client went away');
        return new Promise<void>((resolve, reject) => s.socket.send(frame, (err) => (err ? reject(err) : resolve())));
      })
      .then(
        (n) => {
          if (n > 0) metrics.delivered.inc(n);
          return true;
        },
        (err: Error) => {
          logger.warn({ err: err.message }, 'draining a mailbox failed');
          return false;
        },
      )
      .then((ok) => {
        s.draining = false;
        // Stored while the drain was finishing, or a read that failed: go round again.
        if (closed || s.socket.readyState !== s.socket.OPEN || mailbox.count(s.identity) === 0) return;
        if (ok) setImmediate(() => drainTo(s));
        else setTimeout(() => drainTo(s), retryMs).unref();
      });
  }

  return {
    deliver(destination, address, frame) {
      return route({ destination, address, frame, at: Date.now() });
    },
    drainTo,
    get pending() {
      return pending.length;
    },
    async close() {
      clearTimeout(retryTimer);
      retryTimer = undefined;
      const last: Promise<void>[] = [];
      for (let p = pending.shift(); p !== undefined; p = pending.shift()) last.push(store(p));
      pendingBytes = 0;
      closed = true;
      await Promise.all(last);
    },
  };
}
