/**
 * The gateway's WebSocket on Node (the `ws` package). platform/websocket.browser.ts is the same
 * interface over the browser's WebSocket; bundlers pick it through package.json's "browser" field.
 */
import WebSocket from 'ws';
import { corkForTick, rawSocketOf } from './tick-cork.js';

/** The few socket operations the gateway connection needs, the same on Node and in a browser. */
export interface GatewaySocket {
  readonly open: boolean;
  readonly closed: boolean;
  /** Bytes queued in the socket, for pacing. */
  readonly bufferedAmount: number;
  send(data: Uint8Array | string): void;
  close(code: number, reason: string): void;
  /** Ends it without the closing handshake (when that hangs). */
  terminate(): void;
  /** A binary message as bytes, a text message as a string. */
  onMessage(fn: (data: Uint8Array | string) => void): void;
  onClose(fn: (reason: string) => void): void;
}

export interface GatewaySocketOptions {
  /** Larger messages close the socket (1009). */
  maxPayload: number;
}

export function openGatewaySocket(url: string, opts: GatewaySocketOptions): GatewaySocket {
  const ws = new WebSocket(url, { maxPayload: opts.maxPayload });
  ws.binaryType = 'nodebuffer';
  ws.on('error', () => {
    // 'close' follows; the caller reconnects there.
  });
  return {
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    get closed() {
      return ws.readyState === WebSocket.CLOSED;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(data) {
      // A tick's packets (a drain slice, a burst of acks) leave in one write.
      corkForTick(rawSocketOf(ws));
      ws.send(data);
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    onMessage(fn) {
      ws.on('message', (data: Buffer, isBinary: boolean) =>
        fn(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data.toString('utf8')),
      );
    },
    onClose(fn) {
      ws.on('close', (_code, reason) => fn(reason.toString()));
    },
  };
}
