/**
 * The dashboard's own client: a steady trickle of small messages to itself through every layer,
 * each acknowledged, so the page shows end-to-end latency, delivery and retransmissions of a
 * client the testnet runs. Messages carry a run tag and a sequence number; memory stays bounded.
 */
import { randomBytes } from 'node:crypto';
import type { MixnetClient } from '@mixnet/client';
import type { LatencySample } from './latency.js';

export interface ProbeOptions {
  client: MixnetClient;
  /** Messages per second. */
  rateHz: number;
  /** Latency samples kept (the newest). */
  keep?: number;
  /** Sends not yet settled beyond which the probe waits (an outage must not pile up work). */
  maxOutstanding?: number;
}

export interface ProbeFigures {
  sent: number;
  delivered: number;
  acked: number;
  failed: number;
  duplicates: number;
  /** From the client's own stats: packets sent again after an ack timed out. */
  retransmissions: number;
  /** Sent more than 30 s ago and never delivered. */
  lost: number;
}

export interface Probe {
  figures(): ProbeFigures;
  /** Latency samples, oldest first. */
  samples(): readonly LatencySample[];
  stop(): void;
}

const LOST_AFTER_MS = 30_000;

export function createProbe(o: ProbeOptions): Probe {
  const run = randomBytes(4);
  const keep = o.keep ?? 5_000;
  const maxOutstanding = o.maxOutstanding ?? 50;
  const sentAt = new Map<number, number>();
  const samples: LatencySample[] = [];
  const f = { sent: 0, delivered: 0, acked: 0, failed: 0, duplicates: 0, lost: 0 };
  let outstanding = 0;
  let seq = 0;

  const unsubscribe = o.client.onMessage(({ data }) => {
    if (data.length < 8 || Buffer.compare(Buffer.from(data.subarray(0, 4)), run) !== 0) return;
    const n = Buffer.from(data).readUInt32BE(4);
    const t = sentAt.get(n);
    if (t === undefined) {
      f.duplicates++;
      return;
    }
    sentAt.delete(n);
    f.delivered++;
    const now = Date.now();
    samples.push({ at: now, ms: now - t });
    if (samples.length > keep) samples.splice(0, samples.length - keep);
  });

  const sendOne = () => {
    const n = seq++;
    const data = randomBytes(32);
    run.copy(data, 0);
    data.writeUInt32BE(n, 4);
    sentAt.set(n, Date.now());
    f.sent++;
    outstanding++;
    o.client
      .send(o.client.address, data)
      .then(
        () => {
          f.acked++;
        },
        () => {
          f.failed++;
        },
      )
      .finally(() => {
        outstanding--;
      });
  };

  const timer =
    o.rateHz > 0
      ? setInterval(() => {
          const now = Date.now();
          for (const [n, t] of sentAt)
            if (now - t > LOST_AFTER_MS) {
              sentAt.delete(n);
              f.lost++;
            }
          if (outstanding < maxOutstanding && o.client.connected) sendOne();
        }, 1000 / o.rateHz)
      : undefined;
  timer?.unref();

  return {
    figures: () => ({ ...f, retransmissions: o.client.stats().retransmissions }),
    samples: () => samples,
    stop() {
      if (timer) clearInterval(timer);
      unsubscribe();
    },
  };
}
