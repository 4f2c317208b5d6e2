/**
 * Issue 17 #4: a send that is slow says why. A fragment lost on the wire (sent, never acknowledged)
 * produces `retransmit` events with reason `ack-timeout`, a gateway move gives `gateway-moved`, and
 * a message still waiting produces `slow` naming what it waits for.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { type ClientCore, emptyStats } from './core.js';
import { resolveTraffic } from './options.js';
import type { ProgressEvent } from './progress.js';
import { createSender } from './sender.js';
import type { QueuedPacket } from './traffic.js';

const recipient = { identity: ed25519.getPublicKey(ed25519.utils.randomSecretKey()), gateway: 'gw-1' };

/** A core whose shaper puts every packet "on the wire" at once, where it is lost: no ack ever comes. */
function lossyCore(o: { retransmitAfterMs: number; maxAttempts: number }) {
  const wire: QueuedPacket[] = [];
  const core = {
    traffic: resolveTraffic({ maxAttempts: o.maxAttempts }),
    stats: emptyStats(),
    retransmitAfterMs: o.retransmitAfterMs,
    planner: { egressFor: () => ({ id: 'gw-1' }) },
    shaper: {
      enqueue: (p: QueuedPacket) => {
        wire.push(p);
        p.sent?.();
      },
      queued: 0,
      kick() {},
      stop() {},
    },
  } as unknown as ClientCore;
  return { core, wire };
}

describe('send progress events', () => {
  it('a lost fragment is sent again with reason ack-timeout, attempt by attempt, until maxAttempts', async () => {
    const { core, wire } = lossyCore({ retransmitAfterMs: 20, maxAttempts: 3 });
    const events: ProgressEvent[] = [];
    const sender = createSender(core, { onProgress: (e) => events.push(e) });
    await expect(sender.send(recipient, new Uint8Array(100))).rejects.toThrow(/not acknowledged after 3 sends/);
    expect(wire).toHaveLength(3);
    const retransmits = events.filter((e) => e.type === 'retransmit');
    expect(retransmits).toEqual([
      expect.objectContaining({ fragment: 0, attempt: 2, reason: 'ack-timeout' }),
      expect.objectContaining({ fragment: 0, attempt: 3, reason: 'ack-timeout' }),
    ]);
    expect(core.stats.retransmissions).toBe(2);
  });

  it('a message given up (client closed) is not sent again and says nothing more', async () => {
    const { core, wire } = lossyCore({ retransmitAfterMs: 50, maxAttempts: 3 });
    const events: ProgressEvent[] = [];
    const sender = createSender(core, { onProgress: (e) => events.push(e) });
    const sent = sender.send(recipient, new Uint8Array(10));
    expect(wire).toHaveLength(1);
    sender.abort(new Error('stop'));
    await expect(sent).rejects.toThrow('stop');
    await new Promise((r) => setTimeout(r, 120));
    expect(events).toEqual([]);
  });

  it('a gateway move resends what is on the wire with reason gateway-moved', () => {
    const { core } = lossyCore({ retransmitAfterMs: 60_000, maxAttempts: 5 });
    const events: ProgressEvent[] = [];
    const sender = createSender(core, { onProgress: (e) => events.push(e) });
    sender.send(recipient, new Uint8Array(20_000)).catch(() => {});
    const fragments = events.length;
    expect(fragments).toBe(0);
    expect(sender.resendUnacked()).toBeGreaterThan(1);
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(e).toMatchObject({ type: 'retransmit', attempt: 2, reason: 'gateway-moved' });
    sender.abort(new Error('done'));
  });

  it('a message older than 2 s is reported slow once per 2 s, naming what it waits for', () => {
    const { core } = lossyCore({ retransmitAfterMs: 60_000, maxAttempts: 5 });
    const events: ProgressEvent[] = [];
    let connected = true;
    const sender = createSender(core, { onProgress: (e) => events.push(e), connected: () => connected });
    sender.send(recipient, new Uint8Array(100)).catch(() => {});
    const t0 = performance.now();
    sender.sweep(t0 + 500);
    expect(events).toEqual([]);
    sender.sweep(t0 + 2_500);
    expect(events).toEqual([expect.objectContaining({ type: 'slow', waitingFor: 'acks', pending: 1, fragments: 1 })]);
    expect((events[0] as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(2_500);
    sender.sweep(t0 + 3_000);
    expect(events).toHaveLength(1);
    connected = false;
    sender.sweep(t0 + 5_000);
    expect(events[1]).toMatchObject({ type: 'slow', waitingFor: 'gateway' });
    sender.abort(new Error('done'));
  });
});
