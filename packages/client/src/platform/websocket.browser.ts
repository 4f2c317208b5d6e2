/**
 * The gateway's WebSocket in a browser: the page's own WebSocket (no `ws`), behind the interface
 * of platform/websocket.ts, which package.json's "browser" field swaps for this file.
 */
import type { GatewaySocket, GatewaySocketOptions } from './websocket.js';

export type { GatewaySocket, GatewaySocketOptions } from './websocket.js';

/** The part of the WHATWG WebSocket used here (the project's TypeScript lib has no DOM types). */
interface PageWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', fn: (ev: { data: ArrayBuffer | string }) => void): void;
  addEventListener(type: 'close', fn: (ev: { code: number; reason: string }) => void): void;
}
type PageWebSocketClass = new (url: string) => PageWebSocket;

const OPEN = 1;
const CLOSED = 3;

export function openGatewaySocket(url: string, opts: GatewaySocketOptions): GatewaySocket {
  const Ctor = (globalThis as { WebSocket?: PageWebSocketClass }).WebSocket;
  if (!Ctor) throw new Error('this environment has no WebSocket');
  const ws = new Ctor(url);
  ws.binaryType = 'arraybuffer';
  return {
    get open() {
      return ws.readyState === OPEN;
    },
    get closed() {
      return ws.readyState === CLOSED;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    // A page cannot skip the closing handshake; close() is the most it can do.
    terminate: () => ws.close(),
    onMessage(fn) {
      ws.addEventListener('message', (ev) => {
        if (typeof ev.data === 'string') {
          fn(ev.data);
          return;
        }
        // The browser has no maxPayload: enforce the same cap as ws does on Node.
        if (ev.data.byteLength > opts.maxPayload) {
          ws.close(1009, 'message too big');
          return;
        }
        fn(new Uint8Array(ev.data));
      });
    },
    onClose(fn) {
      ws.addEventListener('close', (ev) => fn(ev.reason));
    },
  };
}
