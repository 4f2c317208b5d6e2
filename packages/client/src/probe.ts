/**
 * A probe client for network monitors (docs/directory.md §3): one gateway connection, packets over
 * routes the caller chooses, addressed back to ourselves. A probe succeeds when its packet comes
 * back, intact, within the timeout. Probe packets look like a client's loop cover: random content
 * sealed in Lioness layers, so the hops cannot tell them from client traffic.
 */
import { type BackendChoice, createPacket, getBackend, type RouteNode, recoverMessage } from '@mixnet/sphinx';
import { hex, NETWORK_PACKET_VERSION, routeHop, type TopologyGateway } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { constantTimeEqual, randomBytes, toHex } from './bytes.js';
import { delaysNs } from './core.js';
import { coverContent, PAYLOAD_SIZE } from './envelope.js';
import { connectGateway } from './gateway-connection.js';

export interface ProbeClientOptions {
  /** The gateway we connect to as a client: probes enter through it and, to come back, leave through it. */
  gateway: TopologyGateway;
  /** 32-byte Ed25519 secret key: our address at the gateway. Fresh by default. */
  identity?: Uint8Array;
  /** Mean per-hop delay written into probe headers, in ms (Exp-distributed, as for real traffic). */
  muMs?: number;
  crypto?: BackendChoice;
  /** How long the first connection may take before `ready` rejects; reconnecting goes on after. */
  connectTimeoutMs?: number;
}

export interface ProbeClient {
  /** Resolves once authenticated at the gateway the first time. */
  readonly ready: Promise<void>;
  readonly connected: boolean;
  /** Our gateway as the last hop of a route: probes come back only through it. */
  readonly gatewayHop: RouteNode;
  /**
   * Sends one packet over `route` (its last hop must be our gateway) to ourselves; resolves true if
   * it comes back within `timeoutMs`, false otherwise (also at once when not connected).
   */
  probe(route: readonly RouteNode[], timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

interface Pending {
  content: Uint8Array;
  done: (ok: boolean) => void;
}

export function createProbeClient(opts: ProbeClientOptions): ProbeClient {
  const backend = getBackend(opts.crypto);
  const identitySecret = opts.identity ?? ed25519.utils.randomSecretKey();
  const identity = ed25519.getPublicKey(identitySecret);
  const muMs = opts.muMs ?? 0;
  const pending = new Map<string, Pending>();
  let closed = false;

  const connection = connectGateway({
    url: opts.gateway.clientUrl,
    gatewayIdentity: hex.decode(opts.gateway.identityKey),
    identitySecret,
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    onDeliver: (identifier, payload) => {
      const p = pending.get(toHex(identifier));
      if (!p) return; // late, or not ours: ignored
      let message: Uint8Array;
      try {
        message = recoverMessage(payload);
      } catch {
        return; // tampered with on the way: it did not come back
      }
      if (message.length === p.content.length && constantTimeEqual(message, p.content)) p.done(true);
    },
  });

  return {
    ready: connection.ready,
    get connected() {
      return connection.connected;
    },
    gatewayHop: routeHop(opts.gateway),
    async probe(route, timeoutMs) {
      if (closed || !connection.connected || route.length === 0) return false;
      const identifier = randomBytes(16);
      const content = coverContent(backend); // looks like any client's packet to the gateway (issue 14 #8)
      const packet = createPacket({
        route,
        delaysNs: delaysNs(route.length, muMs),
        destination: identity,
        identifier,
        message: content,
        payloadSize: PAYLOAD_SIZE,
        version: NETWORK_PACKET_VERSION, // as every client packet (issue 14 #7)
        backend,
      });
      const id = toHex(identifier);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(ok);
        };
        pending.set(id, { content, done });
        if (!connection.send((route[0] as RouteNode).address, packet)) done(false);
      });
    },
    async close() {
      closed = true;
      for (const p of [...pending.values()]) p.done(false);
      await connection.close();
    },
  };
}
