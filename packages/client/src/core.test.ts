/**
 * What hops and gateways can tell about the packets a client emits (issue 14 #7 and #8): every
 * kind (data, loop and drop cover, acks, replies) built as the client builds it, then walked
 * through every hop of a topology whose keys the test holds.
 */
import { getBackend, packetFromSurb, recoverMessage } from '@mixnet/sphinx';
import { DROP_COVER_DESTINATION, type Topology } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { randomBytes } from './bytes.js';
import { ackPacket, type ClientCore, createCore, emptyStats } from './core.js';
import { coverContent, PAYLOAD_SIZE, sealData, sealReply } from './envelope.js';
import { resolveTraffic } from './options.js';
import { replyKey, sealKeysFromIdentity, sealPublicKey } from './seal.js';
import { looksLikeX25519Key, simNetwork, walk } from './test-support/sim-network.js';
import { createRoutePlanner } from './topology.js';
import type { OutgoingPacket } from './traffic.js';

const backend = getBackend('native');

function client(topology: Topology): ClientCore {
  const secret = ed25519.utils.randomSecretKey();
  const planner = createRoutePlanner(topology);
  const core = createCore({
    backend,
    traffic: resolveTraffic({}),
    planner,
    gateway: planner.gateway('gw-a'),
    identity: ed25519.getPublicKey(secret),
    sealKeys: sealKeysFromIdentity(secret),
    stats: emptyStats(),
  });
  return { ...core, shaper: undefined as never };
}

/** Each kind of packet a client emits, built as client.ts, sender.ts and replies.ts build it. */
function emitters(sender: ClientCore, peer: ClientCore): Record<string, () => OutgoingPacket> {
  const fragment = { messageId: randomBytes(16), index: 0, count: 1, data: randomBytes(100) };
  return {
    data: () => {
      const content = sealData(backend, sealPublicKey(peer.identity), sender.surb(randomBytes(16)), fragment);
      return sender.packet(peer.gateway, peer.identity, randomBytes(16), content);
    },
    loop: () => sender.packet(sender.gateway, sender.identity, randomBytes(16), coverContent(backend)),
    drop: () => sender.coverPacket(sender.planner.gateway('gw-b'), DROP_COVER_DESTINATION, randomBytes(16)),
    ack: () => ackPacket(backend, peer.surb(randomBytes(16))),
    reply: () => {
      const sealed = sealReply(backend, replyKey(backend, randomBytes(32), 0), { kind: 'fragment', fragment });
      return packetFromSurb(peer.surb(randomBytes(16)), sealed, { payloadSize: PAYLOAD_SIZE, backend });
    },
  };
}

describe('every packet a client emits looks alike to every hop (issue 14 #7)', () => {
  it('data, loop and drop cover, acks and replies: same flag, version (259) and size at each hop', () => {
    const net = simNetwork();
    const [a, b] = [client(net.topology), client(net.topology)];
    const views = new Map<string, string[][]>();
    for (const [kind, emit] of Object.entries(emitters(a, b))) {
      const perHop: Set<string>[] = [new Set(), new Set(), new Set(), new Set()];
      for (let i = 0; i < 5; i++) for (const [hop, v] of walk(net, emit()).seen.entries()) perHop[hop]?.add(v);
      views.set(
        kind,
        perHop.map((s) => [...s]),
      );
    }
    const data = views.get('data');
    expect(data).toEqual([
      ['flag 1 version 259 size 2413'],
      ['flag 1 version 259 size 2413'],
      ['flag 1 version 259 size 2413'],
      ['flag 2 version 259 size 2413'],
    ]);
    for (const [kind, perHop] of views) expect(perHop, kind).toEqual(data);
  });
});

describe('what the recipient’s gateway sees (issue 14 #8)', () => {
  it('the key-shape distinguisher does no better than chance on loops, acks and replies vs data', () => {
    const net = simNetwork();
    const emit = emitters(client(net.topology), client(net.topology));
    const N = 400;
    const rate = (make: () => OutgoingPacket) => {
      let hits = 0;
      for (let i = 0; i < N; i++) if (looksLikeX25519Key(recoverMessage(walk(net, make()).final.payload))) hits++;
      return hits / N;
    };
    const data = rate(emit.data as () => OutgoingPacket);
    // Random bytes pass ~25 % of the time (the finding spotted ~75 % of loops); sealed data always.
    expect(data).toBe(1);
    for (const kind of ['loop', 'ack', 'reply']) {
      expect(Math.abs(rate(emit[kind] as () => OutgoingPacket) - data), kind).toBeLessThan(0.05);
    }
  });
});
