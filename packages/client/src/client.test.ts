/**
 * Two real clients over real WebSockets to a gateway that runs each packet through every hop in
 * process (test-support/sim-network.ts): what every hop and the gateway see of all the packets
 * they emit (issue 14 #7, #8), and that each still knows its own loops.
 */
import { recoverMessage } from '@mixnet/sphinx';
import { hex } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type MixnetClient } from './client.js';
import { looksLikeX25519Key, type SimGateway, simNetwork, startSimGateway } from './test-support/sim-network.js';

let gateway: SimGateway;
let a: MixnetClient;
let b: MixnetClient;

beforeAll(async () => {
  const net = simNetwork(['gw-a']);
  gateway = await startSimGateway(net, 'gw-a');
  const traffic = { sendGapMs: 2, loopGapMs: 10, mu: 0 };
  const start = () =>
    createClient({ topology: net.topology, gateway: 'gw-a', identity: ed25519.utils.randomSecretKey(), traffic });
  [a, b] = await Promise.all([start(), start()]);
  b.onMessage(({ data, reply }) => {
    if (reply) void reply(new Uint8Array(5_000).fill(data[0] ?? 0));
  });
});

afterAll(async () => {
  await Promise.all([a?.close({ flushMs: 0 }), b?.close({ flushMs: 0 })]);
  await gateway?.close();
});

describe('real clients through an in-process mixnet', () => {
  it('send, acks, a request and its reply, with loop and drop cover all the while', async () => {
    const sent = await a.send(b.address, new Uint8Array(20_000).fill(1));
    expect(sent.fragments).toBeGreaterThan(5);
    const reply = await a.request(b.address, Uint8Array.of(7));
    expect(reply).toEqual(new Uint8Array(5_000).fill(7));
    const deadline = Date.now() + 20_000;
    while ((a.stats().received.loops < 20 || b.stats().received.loops < 20) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const s of [a.stats(), b.stats()]) {
      expect(s.received.loops).toBeGreaterThanOrEqual(20); // each knows its loops by their identifier
      expect(s.malformed).toBe(0);
      expect(s.sent.dropCover).toBeGreaterThan(0);
    }
    expect(a.stats().sent.real).toBeGreaterThan(0);
    expect(b.stats().sent.acks).toBeGreaterThan(0);
    expect(b.stats().sent.replies).toBeGreaterThan(0);
  });

  it('hop 1 saw one flag, one version and one size for every packet of every kind', () => {
    expect(gateway.firstHop.length).toBeGreaterThan(100);
    expect(new Set(gateway.firstHop)).toEqual(new Set(['flag 1 version 259 size 2413']));
  });

  it('every payload the gateway delivered, loops included, begins like sealed data', () => {
    const ids = [a, b].map((c) => hex.encode(c.identity));
    const loops = gateway.deliveries.filter((d) => d.from === d.to);
    const others = gateway.deliveries.filter((d) => d.from !== d.to && ids.includes(d.to));
    expect(loops.length).toBeGreaterThanOrEqual(40);
    expect(others.length).toBeGreaterThan(10); // data, acks and replies
    for (const d of [...loops, ...others]) expect(looksLikeX25519Key(recoverMessage(d.payload))).toBe(true);
  });
});
