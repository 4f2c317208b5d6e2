/**
 * Issue 16 #4: acks slower than Nym's fixed rule expects (a burst's queues) must not bring
 * retransmissions once the sender has measured them: the timeout follows the measured round trips.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { getBackend } from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.js';
import { type ClientCore, emptyStats } from './core.js';
import { resolveTraffic } from './options.js';
import { createSender } from './sender.js';
import type { QueuedPacket } from './traffic.js';

const recipient = { identity: ed25519.getPublicKey(ed25519.utils.randomSecretKey()), gateway: 'gw-1' };

/** A core whose wire acks every packet `ackMs` after it is sent (each build's ack SURB tag); null: never. */
function slowAckCore(floorMs: number, ackMs: number | null) {
  let ack: (id: string) => void = () => {};
  const tags: string[] = [];
  const core = {
    backend: getBackend(),
    traffic: resolveTraffic({ maxAttempts: 5 }),
    stats: emptyStats(),
    retransmitAfterMs: floorMs,
    planner: { egressFor: () => ({ id: 'gw-1' }) },
    surb: (id: Uint8Array) => {
      const hex = toHex(id);
      tags.push(hex);
      if (ackMs !== null) setTimeout(() => ack(hex), ackMs);
      return new Uint8Array(8);
    },
    packet: () => ({ firstHop: new Uint8Array(32), packet: new Uint8Array(8) }),
    shaper: {
      enqueue: (p: QueuedPacket) => {
        p.build();
        p.sent?.();
      },
      queued: 0,
      kick() {},
      stop() {},
    },
  } as unknown as ClientCore & { retransmitAfterMs: number };
  return { core, tags, onAck: (f: (id: string) => void) => (ack = f) };
}

describe('sender ack timeout', () => {
  it('with no RTT measured yet, resends at the floor when the ack is slower', async () => {
    const { core, onAck } = slowAckCore(25, 60);
    const sender = createSender(core);
    onAck((id) => sender.ack(id));
    await sender.send(recipient, new Uint8Array(10));
    expect(core.stats.retransmissions).toBeGreaterThan(0);
  });

  it('once acks were measured at 60 ms, a 25 ms floor no longer resends them', async () => {
    const { core, onAck } = slowAckCore(1_000, 60);
    const sender = createSender(core);
    onAck((id) => sender.ack(id));
    for (let i = 0; i < 6; i++) await sender.send(recipient, new Uint8Array(10));
    expect(core.stats.retransmissions).toBe(0);
    expect(sender.ackTimeoutMs).toBeGreaterThan(60);
    // Nym's rule alone would now resend every packet at 25 ms; the cap (4 × 25) is above 60 ms.
    core.retransmitAfterMs = 25;
    expect(sender.ackTimeoutMs).toBeGreaterThan(60);
    for (let i = 0; i < 5; i++) await sender.send(recipient, new Uint8Array(10));
    expect(core.stats.retransmissions).toBe(0);
  });

  it('after a stall, an ack waiting in a socket is read before the timeout resends', async () => {
    // The ack comes over a real socket: it is read in Node's poll phase, which follows the timers.
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    const client = connect(port, '127.0.0.1');
    const [peer] = (await accepted) as [Socket];
    await once(client, 'connect');
    try {
      const { core, tags } = slowAckCore(30, null);
      const sender = createSender(core);
      client.on('data', () => sender.ack(tags[0] as string));
      const sent = sender.send(recipient, new Uint8Array(10));
      // The stall runs in the check phase: the next loop iteration starts with the timers.
      setTimeout(
        () =>
          setImmediate(() => {
            peer.write('a'); // the ack is in our socket now...
            const until = performance.now() + 100; // ...while our process stalls past the 30 ms timeout
            while (performance.now() < until) {}
          }),
        10,
      );
      await sent;
      expect(core.stats.retransmissions).toBe(0);
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});
