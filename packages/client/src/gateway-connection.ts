/**
 * The client's WebSocket to its gateway (gateway protocol in `@mixnet/sphinx/wire`): authenticates
 * with the Ed25519 identity on every (re)connect, hands DELIVER frames up, and reconnects with
 * backoff when the socket drops. While it is down, nothing is lost: the caller keeps its queue and
 * the gateway keeps our mailbox.
 *
 * Authentication is mutual and pinned to the gateway's identity key: we sign only a challenge
 * that names that key, and take the session only once `ready` proves the key answered our nonce.
 */
import { authPayload, decodeDeliver, encodeSend, hex, parseControl, verifyReadyProof } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from './bytes.js';
import { unref } from './platform/timers.js';
import { type GatewaySocket, openGatewaySocket } from './platform/websocket.js';

export interface GatewayConnectionOptions {
  url: string;
  /** The gateway's Ed25519 identity key as the topology lists it: the only one we authenticate to. */
  gatewayIdentity: Uint8Array;
  identitySecret: Uint8Array;
  /** `frame`: the whole DELIVER frame as received (its hash is the trace wire id). */
  onDeliver(identifier: Uint8Array, payload: Uint8Array, frame: Uint8Array): void;
  onStateChange?(connected: boolean, reason?: string): void;
  /** Reconnect backoff, doubling from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long the first connection may take before `connect` rejects. */
  connectTimeoutMs?: number;
}

export interface GatewayConnection {
  /** Resolves once authenticated the first time; rejects if that fails (bad gateway, refused auth). */
  readonly ready: Promise<void>;
  readonly connected: boolean;
  /** false when not connected (the caller keeps the packet) or the socket is congested. */
  send(firstHop: Uint8Array, packet: Uint8Array): boolean;
  /** Bytes queued in the socket, for pacing. */
  readonly buffered: number;
  close(): Promise<void>;
}

export function connectGateway(opts: GatewayConnectionOptions): GatewayConnection {
  const identity = ed25519.getPublicKey(opts.identitySecret);
  if (!(opts.gatewayIdentity instanceof Uint8Array) || opts.gatewayIdentity.length !== 32)
    throw new TypeError('gatewayIdentity must be a 32-byte Ed25519 public key');
  const pinned = hex.encode(opts.gatewayIdentity);
  const backoff = opts.backoff ?? { initialMs: 100, maxMs: 5_000 };
  let ws: GatewaySocket | undefined;
  let connected = false;
  let closed = false;
  let delay = backoff.initialMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let everReady = false;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {}); // awaited by the client; a late rejection after close is not an error
  const firstTimeout = setTimeout(
    () => rejectReady(new Error(`gateway ${opts.url}: not ready within ${opts.connectTimeoutMs ?? 15_000} ms`)),
    opts.connectTimeoutMs ?? 15_000,
  );

  const setConnected = (v: boolean, reason?: string) => {
    if (connected === v) return;
    connected = v;
    opts.onStateChange?.(v, reason);
  };

  const open = () => {
    if (closed) return;
    const socket = openGatewaySocket(opts.url, { maxPayload: 64 * 1024 });
    ws = socket;
    /** This connection's nonces, once we answered its challenge. */
    let session: { gatewayNonce: Uint8Array; clientNonce: Uint8Array } | undefined;
    const refuse = (reason: string) => {
      if (!everReady) rejectReady(new Error(`gateway ${opts.url}: ${reason}`));
      socket.close(1008, reason.slice(0, 100));
    };
    socket.onMessage((data) => {
      if (typeof data !== 'string') {
        if (!connected) return;
        try {
          const { identifier, payload } = decodeDeliver(data);
          opts.onDeliver(identifier, payload, data);
        } catch {
          // A malformed DELIVER from our own gateway: drop it, keep the connection.
        }
        return;
      }
      let msg: ReturnType<typeof parseControl>;
      try {
        msg = parseControl(data);
      } catch (err) {
        socket.close(1002, (err as Error).message.slice(0, 100));
        return;
      }
      if (msg.type === 'challenge') {
        // A challenge naming another gateway is one relayed from it (issue 14 #6): never sign it.
        if (session || msg.gateway !== pinned) {
          refuse(session ? 'second challenge' : `challenge names gateway ${msg.gateway}, not the pinned ${pinned}`);
          return;
        }
        session = { gatewayNonce: hex.decode(msg.nonce), clientNonce: randomBytes(32) };
        const signature = ed25519.sign(authPayload(opts.gatewayIdentity, session.gatewayNonce), opts.identitySecret);
        socket.send(
          JSON.stringify({
            type: 'auth',
            identity: hex.encode(identity),
            signature: hex.encode(signature),
            nonce: hex.encode(session.clientNonce),
          }),
        );
      } else if (msg.type === 'ready') {
        if (connected) return;
        const proven =
          session !== undefined &&
          msg.address === hex.encode(identity) &&
          verifyReadyProof(opts.gatewayIdentity, { clientIdentity: identity, ...session }, msg.signature);
        if (!proven) {
          refuse('ready is not signed by the pinned gateway identity');
          return;
        }
        delay = backoff.initialMs;
        setConnected(true);
        if (!everReady) {
          everReady = true;
          clearTimeout(firstTimeout);
          resolveReady();
        }
      } else if (msg.type === 'error') {
        if (!everReady) rejectReady(new Error(`gateway ${opts.url} refused us: ${msg.message}`));
      }
    });
    socket.onClose((reason) => {
      if (ws === socket) ws = undefined;
      setConnected(false, reason || 'closed');
      if (closed) return;
      retryTimer = setTimeout(open, delay);
      delay = Math.min(delay * 2, backoff.maxMs);
    });
  };
  open();

  return {
    ready,
    get connected() {
      return connected;
    },
    get buffered() {
      return ws?.bufferedAmount ?? 0;
    },
    send(firstHop, packet) {
      if (!connected || !ws?.open) return false;
      ws.send(encodeSend(firstHop, packet));
      return true;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(firstTimeout);
      if (!everReady) rejectReady(new Error('client closed'));
      const socket = ws;
      if (!socket || socket.closed) return;
      await new Promise<void>((resolve) => {
        socket.onClose(() => resolve());
        socket.close(1000, 'client closing');
        unref(
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 2_000),
        );
      });
    },
  };
}
