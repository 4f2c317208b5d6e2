/** Mix loop cover (issue #4 item 8) on real processes: loops go out, come back, and lost ones are counted. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';

let net: TestNetwork;

beforeAll(async () => {
  net = await createTestNetwork({ layers: 3, workers: 1, coverRateHz: 20 });
}, 60_000);

afterAll(async () => {
  await net?.close();
});

const total = async (name: string, nodes: TestNode[]) => {
  let sum = 0;
  for (const n of nodes) sum += (await net.metrics(n)).get(name) ?? 0;
  return sum;
};

describe('mix loop cover', () => {
  it('sends loops through the other layers that come back to their mix', async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    for (const mix of net.mixes) {
      const m = await net.metrics(mix);
      const sent = m.get('mixnet_loop_cover_sent_total') ?? 0;
      const back = m.get('mixnet_loop_cover_returned_total') ?? 0;
      // 20 Hz for 2 s: about 40 each; all but those still in flight (mean 3 × 5 ms) are back.
      expect(sent, mix.id).toBeGreaterThan(15);
      expect(back, mix.id).toBeGreaterThanOrEqual(sent - 5);
      expect(m.get('mixnet_loop_cover_lost_total') ?? 0).toBe(0);
      // Other mixes forwarded them: every mix forwards more than it sent itself.
      expect(m.get('mixnet_packets_forwarded_total') ?? 0).toBeGreaterThan(sent);
    }
  }, 20_000);

  it('counts loops as lost when a mix on their way is down', async () => {
    const middle = net.mixes[1] as TestNode;
    const others = net.mixes.filter((m) => m !== middle);
    expect(await net.stop(middle, 'SIGKILL')).toBeNull();
    // The timeout is 3 s and the sweep runs every 3 s: within ~7 s loops sent into the gap are lost.
    const deadline = Date.now() + 10_000;
    while ((await total('mixnet_loop_cover_lost_total', others)) === 0) {
      if (Date.now() > deadline) throw new Error('no loop was counted as lost');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await total('mixnet_loop_cover_lost_total', others)).toBeGreaterThan(0);
  }, 20_000);
});
