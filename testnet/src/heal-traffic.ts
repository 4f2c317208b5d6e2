/**
 * A steady message stream from one client to another, every message acknowledged, with a record per
 * message: when it was sent, in which phase of an experiment, when (and how often) it arrived.
 * Messages carry an 8-byte tag (run id, sequence number) so deliveries are matched and counted.
 */
import { randomBytes } from 'node:crypto';
import type { MixnetClient } from '@mixnet/client';

export interface MessageRecord {
  seq: number;
  /** The phase of the experiment when it was sent (set by the caller). */
  phase: string;
  bytes: number;
  /** ms since the Unix epoch. */
  sentAt: number;
  /** First delivery, ms since the Unix epoch. */
  receivedAt?: number;
  deliveries: number;
  /** Acknowledged (send resolved) at. */
  ackedAt?: number;
  fragments?: number;
  packets?: number;
  /** Why `send` failed. */
  error?: string;
}

export interface TrafficFlowOptions {
  from: MixnetClient;
  to: MixnetClient;
  /** Messages started per second. */
  rateHz: number;
  /** Message sizes are uniform in [min, max] bytes (the tag included). */
  sizes: { min: number; max: number };
  /** Sends not yet settled beyond which the stream pauses (an outage must not pile up work). */
  maxOutstanding?: number;
}

export interface TrafficFlow {
  phase: string;
  readonly records: readonly MessageRecord[];
  /** Messages sent so far in `phase`. */
  count(phase: string): number;
  /** Resolves once `n` messages of `phase` have been sent. */
  sent(phase: string, n: number): Promise<void>;
  /** Stops sending; waits until every send settled and every acknowledged message arrived, or `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

export function createTrafficFlow(o: TrafficFlowOptions): TrafficFlow {
  const run = randomBytes(4);
  const records: MessageRecord[] = [];
  const bySeq = new Map<number, MessageRecord>();
  const pending = new Set<Promise<unknown>>();
  const waiters: { phase: string; n: number; resolve: () => void }[] = [];
  const maxOutstanding = o.maxOutstanding ?? 400;
  let stopped = false;

  const unsubscribe = o.to.onMessage(({ data }) => {
    if (data.length < 8 || Buffer.compare(data.subarray(0, 4), run) !== 0) return;
    const r = bySeq.get(Buffer.from(data).readUInt32BE(4));
    if (!r) return;
    r.deliveries++;
    r.receivedAt ??= Date.now();
  });

  const count = (phase: string) => records.filter((r) => r.phase === phase).length;
  const sendOne = () => {
    const seq = records.length;
    const bytes = o.sizes.min + Math.floor(Math.random() * (o.sizes.max - o.sizes.min + 1));
    const data = randomBytes(bytes);
    run.copy(data, 0);
    data.writeUInt32BE(seq, 4);
    const r: MessageRecord = { seq, phase: flow.phase, bytes, sentAt: Date.now(), deliveries: 0 };
    records.push(r);
    bySeq.set(seq, r);
    // The recipient's address as of now: it changes when the recipient moves gateway.
    const p = o.from.send(o.to.address, data).then(
      (res) => {
        r.ackedAt = Date.now();
        r.fragments = res.fragments;
        r.packets = res.packets;
      },
      (err: Error) => {
        r.error = err.message;
      },
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
    for (const w of waiters.filter((x) => x.phase === r.phase && count(x.phase) >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };

  const gapMs = 1000 / o.rateHz;
  let next = Date.now();
  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    while (next <= now) {
      if (pending.size < maxOutstanding) sendOne();
      next += gapMs;
    }
    setTimeout(tick, Math.max(1, next - Date.now()));
  };

  const flow: TrafficFlow = {
    phase: 'start',
    records,
    count,
    sent: (phase, n) =>
      count(phase) >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ phase, n, resolve })),
    async stop(timeoutMs) {
      stopped = true;
      const deadline = Date.now() + timeoutMs;
      const done = () => pending.size === 0 && records.every((r) => r.error !== undefined || r.deliveries > 0);
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Late duplicates would show up here: give them a moment before the count is final.
      await new Promise((r) => setTimeout(r, 500));
      unsubscribe();
    },
  };
  setTimeout(tick, 0);
  return flow;
}

/** The median of the values (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** One-way latencies (ms) of the delivered messages of a phase, in send order. */
export function latencies(records: readonly MessageRecord[], phase: string): number[] {
  return records
    .filter((r) => r.phase === phase && r.receivedAt !== undefined)
    .map((r) => (r.receivedAt as number) - r.sentAt);
}
