/**
 * The client's link to "its" gateway, which may change: when the gateway leaves the topology (no
 * longer in the active set) or stays unreachable longer than `failover.afterMs`, the link
 * authenticates at another active gateway and sends through that one from then on. The caller
 * keeps its send queue meanwhile (nothing is lost), and learns of the move to re-address itself.
 *
 * Hand-over: the old gateway is not let go at once. Senders address packets to it until they learn
 * our new address (retransmissions keep the address they started with), our SURBs name it, and a
 * gateway that was restarting keeps what reached it for us in its mailbox. So the old connection
 * stays open as a receive-only "former" link (reconnecting with backoff) for `failover.handoverMs`
 * after the move and after each delivery through it; one that has not been reached since the move
 * is kept while its gateway is still in the topology (it may be coming back). The receiver dedupes
 * fragments, so a message taken from both gateways is still delivered once.
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
  /**
   * After a move, how long the old gateway is still listened to (its mailbox, packets still
   * addressed to it), counted from the move and from each delivery through it. 0: let go at once.
   * Default 60 s (a sender's retransmissions with the default 20 attempts fit in it).
   */
  handoverMs: number;
}

export const DEFAULT_FAILOVER: FailoverOptions = { afterMs: 3_000, connectTimeoutMs: 5_000, handoverMs: 60_000 };

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
  /** Gateways we moved away from and still take deliveries from (the hand-over), by id. */
  readonly formers: string[];
  readonly connected: boolean;
  readonly buffered: number;
  /** Resolves when authenticated at a first gateway. */
  readonly ready: Promise<void>;
  send(firstHop: Uint8Array, packet: Uint8Array): boolean;
  /** The topology changed: moves if our gateway is no longer in it. */
  check(): void;
  close(): Promise<void>;
}

interface Former {
  gateway: TopologyGateway;
  conn: GatewayConnection;
  /** when we moved away (ms) */
  since: number;
  /** authenticated at least once since the move */
  reached: boolean;
  timer?: NodeJS.Timeout;
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
  /** Old gateways still listened to after a move, by id. */
  const formers = new Map<string, Former>();
  /** When each connection last delivered something (ms). */
  const deliveredAt = new WeakMap<GatewayConnection, number>();

  const inTopology = (id: string) => opts.topology().gateways.some((g) => g.id === id);

  const dropFormer = (id: string) => {
    const f = formers.get(id);
    if (!f) return undefined;
    formers.delete(id);
    clearTimeout(f.timer);
    return f;
  };
  /** Lets go of a former link once idle for handoverMs, unless never reached and still listed. */
  const reviewFormer = (id: string) => {
    const f = formers.get(id);
    if (!f || !failover) return;
    const idle = Date.now() - Math.max(f.since, deliveredAt.get(f.conn) ?? 0);
    const waitMs = f.reached || !inTopology(id) ? failover.handoverMs - idle : failover.handoverMs;
    if (waitMs <= 0) {
      dropFormer(id);
      void f.conn.close().catch(() => {});
      return;
    }
    f.timer = setTimeout(() => reviewFormer(id), waitMs);
    unref(f.timer);
  };
  const keepFormer = (g: TopologyGateway, c: GatewayConnection) => {
    if (!failover || failover.handoverMs <= 0 || closed) {
      void c.close().catch(() => {});
      return;
    }
    const had = dropFormer(g.id);
    if (had && had.conn !== c) void had.conn.close().catch(() => {});
    formers.set(g.id, { gateway: g, conn: c, since: Date.now(), reached: c.connected });
    reviewFormer(g.id);
  };

  /** A connection to `g`, resolved once authenticated; closed again if that fails. */
  const connectTo = async (g: TopologyGateway, timeoutMs: number): Promise<GatewayConnection> => {
    const c: GatewayConnection = connectGateway({
      url: g.clientUrl,
      gatewayIdentity: hex.decode(g.identityKey),
      identitySecret: opts.identitySecret,
      connectTimeoutMs: timeoutMs,
      // Late deliveries from an old gateway are still ours.
      onDeliver: (identifier, payload, frame) => {
        deliveredAt.set(c, Date.now());
        opts.onDeliver(identifier, payload, frame);
      },
      onStateChange: (up) => {
        const former = formers.get(g.id);
        if (up && former?.conn === c) former.reached = true;
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
    const oldGateway = gateway;
    gateway = g;
    conn = c;
    clearTimeout(downTimer);
    downTimer = undefined;
    if (old && old !== c) {
      if (oldGateway.id !== g.id) keepFormer(oldGateway, old);
      else void old.close().catch(() => {});
    }
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
        // Moving back to a gateway we still listen to: its connection serves again.
        const former = formers.get(g.id);
        const reused = former?.conn.connected === true;
        if (former && reused) {
          dropFormer(g.id);
          c = former.conn;
        } else {
          if (former)
            void dropFormer(g.id)
              ?.conn.close()
              .catch(() => {});
          try {
            c = await connectTo(g, failover.connectTimeoutMs);
          } catch {
            continue;
          }
        }
        // Closed meanwhile, or our gateway came back and is still in use: keep it.
        if (closed || (reason === 'unreachable' && conn?.connected && inTopology(from))) {
          if (reused) keepFormer(g, c);
          else void c.close();
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
    get formers() {
      return [...formers.keys()];
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
      const old = [...formers.keys()].map((id) => dropFormer(id)?.conn.close());
      await Promise.all([conn?.close(), ...old]);
    },
  };
}
