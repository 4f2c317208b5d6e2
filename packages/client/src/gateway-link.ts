/**
 * The client's link to "its" gateway, which may change: when the gateway leaves the topology (no
 * longer in the active set) or stays unreachable longer than `failover.afterMs`, the link
 * authenticates at another active gateway and only then lets go of the old one. The caller keeps
 * its send queue meanwhile (nothing is lost), and learns of the move to re-address itself.
 */
import { hex, type Topology, type TopologyGateway } from '@mixnet/sphinx/wire';
import { connectGateway, type GatewayConnection } from './gateway-connection.js';
import { unref } from './platform/timers.js';
import { uniform } from './random.js';

export interface FailoverOptions {
  /** Move when our gateway has been down this long. Default 3 s (a few reconnect attempts). */
  afterMs: number;
  /** How long authenticating at another gateway may take. Default 5 s. */
  connectTimeoutMs: number;
}

export const DEFAULT_FAILOVER: FailoverOptions = { afterMs: 3_000, connectTimeoutMs: 5_000 };

export type GatewayMoveReason = 'left-topology' | 'unreachable';

export interface GatewayLinkOptions {
  identitySecret: Uint8Array;
  /** The gateway to start with. */
  gateway: TopologyGateway;
  /** The topology in use now: the candidates to move to, and whether ours is still in it. */
  topology(): Topology;
  /** false: stay with the first gateway whatever happens (reconnecting forever). */
  failover: FailoverOptions | false;
  /** How long the first gateway may take to authenticate us (default 15 s). */
  connectTimeoutMs?: number;
  onDeliver(identifier: Uint8Array, payload: Uint8Array, frame: Uint8Array): void;
  /** Connected (again, or at a new gateway): time to send what is queued. */
  onUp(): void;
  onMove(move: { from: string; to: string; reason: GatewayMoveReason }): void;
  /** No other gateway would take us; the link stays where it is and tries again later. */
  onMoveFailed?(failure: { from: string; reason: GatewayMoveReason; tried: string[] }): void;
}

export interface GatewayLink {
  /** The gateway we are registered with now. */
  readonly gateway: TopologyGateway;
  readonly connected: boolean;
  readonly buffered: number;
  /** Resolves when authenticated at a first gateway. */
  readonly ready: Promise<void>;
  send(firstHop: Uint8Array, packet: Uint8Array): boolean;
  /** The topology changed: moves if our gateway is no longer in it. */
  check(): void;
  close(): Promise<void>;
}

function shuffled<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export function createGatewayLink(opts: GatewayLinkOptions): GatewayLink {
  const failover = opts.failover;
  let gateway = opts.gateway;
  let conn: GatewayConnection | undefined;
  let closed = false;
  let moving = false;
  let downTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const inTopology = (id: string) => opts.topology().gateways.some((g) => g.id === id);

  /** A connection to `g`, resolved once authenticated; closed again if that fails. */
  const connectTo = async (g: TopologyGateway, timeoutMs: number): Promise<GatewayConnection> => {
    const c: GatewayConnection = connectGateway({
      url: g.clientUrl,
      gatewayIdentity: hex.decode(g.identityKey),
      identitySecret: opts.identitySecret,
      connectTimeoutMs: timeoutMs,
      onDeliver: opts.onDeliver, // late deliveries from an old gateway are still ours
      onStateChange: (up) => {
        if (c !== conn || closed) return;
        if (up) {
          clearTimeout(downTimer);
          downTimer = undefined;
          opts.onUp();
        } else if (failover && !downTimer) {
          downTimer = setTimeout(() => {
            downTimer = undefined;
            void move('unreachable');
          }, failover.afterMs);
          unref(downTimer);
        }
      },
    });
    try {
      await c.ready;
      return c;
    } catch (err) {
      void c.close();
      throw err;
    }
  };

  const attach = (g: TopologyGateway, c: GatewayConnection) => {
    const old = conn;
    gateway = g;
    conn = c;
    clearTimeout(downTimer);
    downTimer = undefined;
    if (old) void old.close().catch(() => {});
  };

  const move = async (reason: GatewayMoveReason): Promise<void> => {
    if (!failover || moving || closed) return;
    moving = true;
    clearTimeout(retryTimer);
    const from = gateway.id;
    const tried: string[] = [];
    try {
      for (const g of shuffled(opts.topology().gateways.filter((x) => x.id !== from))) {
        tried.push(g.id);
        let c: GatewayConnection;
        try {
          c = await connectTo(g, failover.connectTimeoutMs);
        } catch {
          continue;
        }
        // Closed meanwhile, or our gateway came back and is still in use: keep it.
        if (closed || (reason === 'unreachable' && conn?.connected && inTopology(from))) {
          void c.close();
          return;
        }
        attach(g, c);
        opts.onMove({ from, to: g.id, reason });
        opts.onUp();
        return;
      }
      if (tried.length > 0) opts.onMoveFailed?.({ from, reason, tried });
      retryTimer = setTimeout(check, failover.afterMs);
      unref(retryTimer);
    } finally {
      moving = false;
    }
  };

  const check = () => {
    if (closed || moving || !conn) return;
    if (!inTopology(gateway.id)) void move('left-topology');
    else if (!conn.connected && failover && !downTimer) void move('unreachable');
  };

  const ready = (async () => {
    const others = failover ? opts.topology().gateways.filter((g) => g.id !== opts.gateway.id) : [];
    const firstTimeoutMs =
      opts.connectTimeoutMs ?? (failover && others.length > 0 ? failover.connectTimeoutMs : 15_000);
    try {
      attach(opts.gateway, await connectTo(opts.gateway, firstTimeoutMs));
    } catch (err) {
      // Our first choice is down: with failover on, any other gateway will do.
      for (const g of shuffled(others)) {
        if (closed) break;
        try {
          attach(g, await connectTo(g, failover ? failover.connectTimeoutMs : 15_000));
          break;
        } catch {}
      }
      if (!conn) throw err;
    }
    if (closed) {
      await conn?.close();
      throw new Error('client closed');
    }
    opts.onUp();
    check(); // the topology may have changed while we connected
  })();
  ready.catch(() => {});

  return {
    get gateway() {
      return gateway;
    },
    get connected() {
      return conn?.connected ?? false;
    },
    get buffered() {
      return conn?.buffered ?? 0;
    },
    ready,
    send: (firstHop, packet) => conn?.send(firstHop, packet) ?? false,
    check,
    async close() {
      closed = true;
      clearTimeout(downTimer);
      clearTimeout(retryTimer);
      await conn?.close();
    },
  };
}
