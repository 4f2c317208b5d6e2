/** What the client's parts share: keys, route building, the send queue and counters. */
import {
  type CryptoBackend,
  createPacket,
  createSurb,
  HEADER_SIZE,
  NODE_ADDRESS_LENGTH,
  packetFromSurb,
} from '@mixnet/sphinx';
import { NETWORK_PACKET_VERSION, type TopologyGateway } from '@mixnet/sphinx/wire';
import { coverContent, PAYLOAD_SIZE } from './envelope.js';
import type { TrafficOptions } from './options.js';
import { exponential, pick } from './random.js';
import type { SealKeys } from './seal.js';
import type { RoutePlanner } from './topology.js';
import type { OutgoingPacket, TrafficShaper } from './traffic.js';

export interface ClientStats {
  sent: { real: number; acks: number; replies: number; dropCover: number; loopCover: number };
  retransmissions: number;
  received: { data: number; acks: number; replies: number; loops: number };
  loopsLost: number;
  /** Payloads we could not open or parse: dropped and counted. */
  malformed: number;
  /** Outgoing packets that could not be built (e.g. a malformed SURB from a peer): dropped and counted. */
  buildFailures: number;
  duplicates: number;
  /** Requests (or SURB top-ups) we answer but had no room to hold (retention.ts). */
  requestsRefused: number;
  /** Requests we answer that were forgotten: their SURBs ran out, or their requester went quiet. */
  requestsExpired: number;
  /** Bytes held for requests we answer (SURBs and replies), and whatever else shares the budget. */
  retainedBytes: number;
}

export function emptyStats(): ClientStats {
  return {
    sent: { real: 0, acks: 0, replies: 0, dropCover: 0, loopCover: 0 },
    retransmissions: 0,
    received: { data: 0, acks: 0, replies: 0, loops: 0 },
    loopsLost: 0,
    malformed: 0,
    buildFailures: 0,
    duplicates: 0,
    requestsRefused: 0,
    requestsExpired: 0,
    retainedBytes: 0,
  };
}

export interface ClientCore {
  backend: CryptoBackend;
  traffic: TrafficOptions;
  planner: RoutePlanner;
  gateway: TopologyGateway;
  identity: Uint8Array;
  sealKeys: SealKeys;
  shaper: TrafficShaper;
  stats: ClientStats;
  /**
   * A packet over a fresh route (one mix per layer, then `egress`) with fresh Exp(μ) delays. Every
   * packet we emit is NETWORK_PACKET_VERSION (259) and PAYLOAD_SIZE, as our SURBs are: one version
   * and one size for every hop to see, whatever the kind (issue 14 #7).
   */
  packet(egress: TopologyGateway, destination: Uint8Array, identifier: Uint8Array, message: Uint8Array): OutgoingPacket;
  /**
   * A drop-cover packet: a real header over a fresh route, and a random payload instead of Lioness
   * layers. Mixes cannot tell: each one's Lioness decryption of random bytes is random bytes, as
   * for a real packet (SPHINX.md §4.2); the exit gateway knows drop cover by its destination anyway.
   */
  coverPacket(egress: TopologyGateway, destination: Uint8Array, identifier: Uint8Array): OutgoingPacket;
  /** A version-259 SURB back to us at our gateway, with `identifier` as its tag. */
  surb(identifier: Uint8Array): Uint8Array;
  /**
   * How long to wait for an ack before sending again, in ms: expected round trip × 1.5 plus
   * `traffic.ackWaitAdditionMs` (Nym's rule), with the μ in use now.
   */
  retransmitAfterMs: number;
}

export function delaysNs(hops: number, muMs: number): bigint[] {
  // The last hop's delay is not encoded (SPHINX.md §3), so the gateway never holds packets.
  return Array.from({ length: hops }, (_, i) => (i === hops - 1 ? 0n : BigInt(Math.round(exponential(muMs) * 1e6))));
}

/**
 * An ack into a SURB a peer gave us: its identifier is the ack and its content cover (a decoy key,
 * then random bytes), encrypted under the SURB's keys like any reply. A bare random payload would
 * be told apart by the sender's gateway, which finds §5.4's 16 zero bytes in every other packet it
 * delivers. `packetFromSurb` bounds and checks the peer's bytes first.
 */
export function ackPacket(backend: CryptoBackend, surb: Uint8Array): OutgoingPacket {
  return packetFromSurb(surb, coverContent(backend), { payloadSize: PAYLOAD_SIZE, backend });
}

export interface CoreBase extends Omit<ClientCore, 'packet' | 'coverPacket' | 'surb' | 'retransmitAfterMs' | 'shaper'> {
  /**
   * The μ in use, read at every packet: the directory's document can publish one each epoch
   * (docs/directory.md §7). Default: `traffic.mu`.
   */
  muMs?: () => number;
}

export function createCore(base: CoreBase): Omit<ClientCore, 'shaper'> {
  const { backend, planner, traffic } = base;
  const mu = base.muMs ?? (() => traffic.mu);
  /** A seed SURB (version 259 = NETWORK_PACKET_VERSION) over a fresh route ending at `egress`, fresh Exp(μ) delays. */
  const surbTo = (egress: TopologyGateway, destination: Uint8Array, identifier: Uint8Array) => {
    const route = planner.route(egress, pick);
    const delays = delaysNs(route.length, mu());
    return createSurb({ route, delaysNs: delays, destination, identifier, keyMaterial: 'seeds', backend });
  };
  return {
    ...base,
    packet(egress, destination, identifier, message) {
      const route = planner.route(egress, pick);
      const packet = createPacket({
        route,
        delaysNs: delaysNs(route.length, mu()),
        destination,
        identifier,
        message,
        payloadSize: PAYLOAD_SIZE,
        version: NETWORK_PACKET_VERSION,
        backend,
      });
      return { firstHop: (route[0] as { address: Uint8Array }).address, packet };
    },
    coverPacket(egress, destination, identifier) {
      // A SURB's header is a header without Lioness layers; our own SURB (§6.2 layout: header ||
      // first hop || seeds) needs no parsing back.
      const surb = surbTo(egress, destination, identifier);
      const packet = new Uint8Array(HEADER_SIZE + PAYLOAD_SIZE);
      packet.set(surb.subarray(0, HEADER_SIZE), 0);
      crypto.getRandomValues(packet.subarray(HEADER_SIZE));
      return { firstHop: surb.slice(HEADER_SIZE, HEADER_SIZE + NODE_ADDRESS_LENGTH), packet };
    },
    surb: (identifier) => surbTo(base.gateway, base.identity, identifier),
    /** Follows μ: a published μ larger than ours must not bring early retransmissions. */
    get retransmitAfterMs() {
      const layers = planner.topology.layers.length;
      // Out and back through every layer, plus a wait in each end's send stream and ~2 ms per hop.
      const expectedRttMs = 2 * layers * mu() + 2 * traffic.sendGapMs + 4 * (layers + 1);
      return expectedRttMs * 1.5 + traffic.ackWaitAdditionMs;
    },
  };
}
