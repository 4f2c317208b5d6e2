/**
 * The probe on a stand-in client that loops messages back (late, twice, or never, as told): it
 * counts deliveries, duplicates and losses and keeps one latency sample per first delivery.
 */
import type { IncomingMessage, MixnetClient } from '@mixnet/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createProbe, type Probe } from './probe.js';

/** Message n: delivered after `delayMs(n)` ms (undefined: never), twice when `twice(n)`. */
function loopback(delayMs: (n: number) => number | undefined, twice: (n: number) => boolean): MixnetClient {
  const listeners = new Set<(m: IncomingMessage) => void>();
  let n = 0;
  const client = {
    address: 'self',
    connected: true,
    onMessage(cb: (m: IncomingMessage) => void) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async send(_to: string, data: Uint8Array) {
      const d = delayMs(n);
      const copies = twice(n) ? 2 : 1;
      n++;
      if (d !== undefined)
        for (let i = 0; i < copies; i++)
          setTimeout(() => {
            for (const l of listeners) l({ data } as IncomingMessage);
          }, d);
      return { fragments: 1, packets: 1 };
    },
    stats: () => ({ retransmissions: 3 }),
  };
  return client as unknown as MixnetClient;
}

let probe: Probe | undefined;
afterEach(() => probe?.stop());

describe('probe client', () => {
  it('counts deliveries, duplicates and retransmissions; one latency sample per message', async () => {
    // Of the first 8 messages, every fourth never comes back and the first comes back twice; later ones are lost.
    const delay = (n: number) => (n >= 8 || n % 4 === 3 ? undefined : 30);
    probe = createProbe({ client: loopback(delay, (n) => n === 0), rateHz: 50 });
    const deadline = Date.now() + 10_000;
    while (probe.figures().sent < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const f = probe.figures();
    expect(f.sent).toBeGreaterThanOrEqual(10);
    expect(f.acked).toBe(f.sent);
    expect(f.delivered).toBe(6);
    expect(f.duplicates).toBe(1);
    expect(f.retransmissions).toBe(3);
    expect(probe.samples()).toHaveLength(f.delivered);
    for (const s of probe.samples()) expect(s.ms).toBeGreaterThanOrEqual(29);
  });

  it('ignores messages that are not its own', async () => {
    const client = loopback(
      () => 5,
      () => false,
    );
    probe = createProbe({ client, rateHz: 0 });
    await client.send('self', new Uint8Array(40));
    await new Promise((r) => setTimeout(r, 30));
    expect(probe.figures()).toMatchObject({ sent: 0, delivered: 0, duplicates: 0 });
  });
});
