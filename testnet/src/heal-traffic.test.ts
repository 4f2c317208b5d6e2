/** The heal experiment's message stream and its bookkeeping, with in-memory stand-in clients. */
import type { IncomingMessage, MixnetClient, SendResult } from '@mixnet/client';
import { describe, expect, it } from 'vitest';
import { createTrafficFlow, latencies, median } from './heal-traffic.js';

/** Bob receives what Alice sends after `delayMs`; `copies` deliveries each; sends fail while `failing`. */
function pair(opts: { delayMs: number; copies?: number; ackMs?: number }) {
  const listeners = new Set<(m: IncomingMessage) => void>();
  const control = { failing: false, addresses: [] as string[], copies: opts.copies ?? 1 };
  const bob = {
    address: 'bob@gateway-1',
    onMessage: (cb: (m: IncomingMessage) => void) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  } as unknown as MixnetClient;
  const alice = {
    send: (to: string, data: Uint8Array): Promise<SendResult> => {
      control.addresses.push(to);
      if (control.failing) return Promise.reject(new Error('not acknowledged'));
      for (let i = 0; i < control.copies; i++)
        setTimeout(() => {
          for (const l of listeners) l({ data: Uint8Array.from(data) });
        }, opts.delayMs);
      return new Promise((r) =>
        setTimeout(() => r({ fragments: 1, packets: 1 } as SendResult), opts.ackMs ?? opts.delayMs),
      );
    },
  } as unknown as MixnetClient;
  return { alice, bob, control };
}

describe('traffic flow', () => {
  it('tags messages with the phase, counts each delivery, records failures, and follows the address', async () => {
    const { alice, bob, control } = pair({ delayMs: 20 });
    const flow = createTrafficFlow({ from: alice, to: bob, rateHz: 200, sizes: { min: 16, max: 64 } });
    flow.phase = 'a';
    await flow.sent('a', 10);
    control.copies = 2;
    (bob as { address: string }).address = 'bob@gateway-2';
    flow.phase = 'b';
    await flow.sent('b', 5);
    control.failing = true;
    flow.phase = 'c';
    await flow.sent('c', 3);
    await flow.stop(2_000);
    const of = (p: string) => flow.records.filter((r) => r.phase === p);
    expect(of('a').length).toBeGreaterThanOrEqual(10);
    expect(of('a').every((r) => r.deliveries === 1 && r.fragments === 1 && r.error === undefined)).toBe(true);
    expect(of('b').every((r) => r.deliveries === 2)).toBe(true);
    expect(of('c').every((r) => r.deliveries === 0 && r.error === 'not acknowledged')).toBe(true);
    expect(control.addresses).toContain('bob@gateway-2');
    expect(flow.records.every((r) => r.bytes >= 16 && r.bytes <= 64)).toBe(true);
    for (const l of latencies(flow.records, 'a')) expect(l).toBeGreaterThanOrEqual(15);
  });

  it('ignores messages of another run and pauses when too many sends are outstanding', async () => {
    const { alice, bob } = pair({ delayMs: 5, ackMs: 60_000 });
    const flow = createTrafficFlow({ from: alice, to: bob, rateHz: 500, sizes: { min: 8, max: 8 }, maxOutstanding: 5 });
    await new Promise((r) => setTimeout(r, 200));
    expect(flow.records.length).toBe(5);
    // Another stream to the same recipient: same sequence numbers, another run tag.
    const other = createTrafficFlow({
      from: alice,
      to: bob,
      rateHz: 500,
      sizes: { min: 8, max: 8 },
      maxOutstanding: 5,
    });
    await new Promise((r) => setTimeout(r, 200));
    await other.stop(0);
    expect(other.records.length).toBe(5);
    expect(other.records.every((r) => r.deliveries === 1)).toBe(true);
    expect(flow.records.every((r) => r.deliveries === 1)).toBe(true);
    await flow.stop(0);
  });

  it('median', () => {
    expect(median([])).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
