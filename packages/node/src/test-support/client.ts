/** A bare WebSocket client of the gateway protocol, for tests (the SDK lives in @mixnet/client). */
import { randomBytes } from 'node:crypto';
import { authPayload, decodeDeliver, encodeSend, hex, parseControl } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import WebSocket from 'ws';

export interface TestClient {
  identity: Uint8Array;
  received: { identifier: Uint8Array; payload: Uint8Array; at: number }[];
  queuedAtConnect: number;
  send(firstHop: Uint8Array, packet: Uint8Array): void;
  /** stop / start reading from the socket (a client that does not read) */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  waitFor(count: number, timeoutMs: number): Promise<void>;
}

export async function connectTestClient(
  url: string,
  secret: Uint8Array = randomBytes(32),
  opts: { localAddress?: string } = {},
): Promise<TestClient> {
  const identity = ed25519.getPublicKey(secret);
  const ws = new WebSocket(url, opts.localAddress ? { localAddress: opts.localAddress } : {});
  const received: TestClient['received'] = [];
  let queuedAtConnect = 0;
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const { identifier, payload } = decodeDeliver(new Uint8Array(data));
        received.push({ identifier: identifier.slice(), payload: payload.slice(), at: performance.now() });
        return;
      }
      const msg = parseControl(data.toString());
      if (msg.type === 'challenge') {
        const signature = ed25519.sign(authPayload(hex.decode(msg.gateway), hex.decode(msg.nonce)), secret);
        ws.send(JSON.stringify({ type: 'auth', identity: hex.encode(identity), signature: hex.encode(signature) }));
      } else if (msg.type === 'ready') {
        queuedAtConnect = msg.queued;
        resolve();
      } else if (msg.type === 'error') reject(new Error(msg.message));
    });
  });
  return {
    identity,
    received,
    get queuedAtConnect() {
      return queuedAtConnect;
    },
    send: (firstHop, packet) => ws.send(encodeSend(firstHop, packet)),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      }),
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`got ${received.length} of ${count} packets in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
