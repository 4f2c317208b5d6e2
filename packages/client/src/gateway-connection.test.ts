/**
 * Gateway authentication against a real gateway and real WebSocket servers (issue 14 #6 and #14):
 * a malicious gateway relaying another gateway's challenge gets no session there, an impostor
 * without the pinned key gets no session from the client, and small-order keys cannot log in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway, generateNodeKeys, parseNodeConfig } from '@mixnet/node';
import { authPayload, hex, parseControl, readyProof } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { connectGateway, type GatewayConnection } from './gateway-connection.js';

let dir: string;
let gateway: Gateway;
let gatewayUrl: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixnet-gw-auth-'));
  const keys = { sphinxPrivateKeyFile: join(dir, 'sphinx.key'), identityPrivateKeyFile: join(dir, 'identity.key') };
  generateNodeKeys(keys);
  const config = parseNodeConfig({
    role: 'gateway',
    id: 'honest',
    listen: { host: '127.0.0.1', port: 0 },
    websocket: { host: '127.0.0.1', port: 0 },
    keys,
    dataDir: join(dir, 'data'),
    workers: 0,
    log: { level: 'silent' },
  });
  if (config.role !== 'gateway') throw new Error('unreachable');
  gateway = await createGateway(config);
  const { websocketPort } = await gateway.start();
  gatewayUrl = `ws://127.0.0.1:${websocketPort}`;
});

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A WebSocket server on loopback; `onClient` handles each client connection. */
async function server(onClient: (socket: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', onClient);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

function connect(url: string, gatewayIdentity: Uint8Array, identitySecret = ed25519.utils.randomSecretKey()) {
  const c = connectGateway({
    url,
    gatewayIdentity,
    identitySecret,
    onDeliver: () => {},
    backoff: { initialMs: 50, maxMs: 200 },
    connectTimeoutMs: 5_000,
  });
  cleanups.push(() => c.close());
  return c;
}

const settle = (c: GatewayConnection) =>
  c.ready.then(
    () => 'ready',
    (err: Error) => err.message,
  );

/**
 * The finding's malicious gateway: it has an identity key of its own (the one the client pins) and
 * relays every message between the client and the honest gateway, optionally rewriting the
 * challenge. It records what the honest gateway told it.
 */
async function relayingGateway(rewrite?: (challenge: { nonce: string; gateway: string }) => object) {
  const fromHonest: string[] = [];
  const fromClient: string[] = [];
  const url = await server((client) => {
    const upstream = new WebSocket(gatewayUrl);
    cleanups.push(() => upstream.terminate());
    const pending: string[] = [];
    upstream.on('open', () => {
      for (const m of pending.splice(0)) upstream.send(m);
    });
    upstream.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      fromHonest.push(text);
      const msg = parseControl(text);
      client.send(rewrite && msg.type === 'challenge' ? JSON.stringify(rewrite(msg)) : text);
    });
    client.on('message', (data: Buffer) => {
      const text = data.toString();
      fromClient.push(text);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else pending.push(text);
    });
  });
  return { url, fromHonest, fromClient };
}

const types = (messages: string[]) => messages.map((m) => JSON.parse(m).type as string);

describe('gateway authentication', () => {
  it('authenticates to the real gateway pinned by its identity key, which proves itself in ready', async () => {
    const c = connect(gatewayUrl, gateway.identityKey);
    expect(await settle(c)).toBe('ready');
    expect(c.connected).toBe(true);
  });

  it('refuses to sign a challenge relayed from another gateway: the relay gets no session there', async () => {
    const evil = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    const relay = await relayingGateway();
    const c = connect(relay.url, evil); // the client chose the malicious gateway and pinned its key
    expect(await settle(c)).toMatch(/challenge names gateway [0-9a-f]{64}, not the pinned/);
    await new Promise((r) => setTimeout(r, 200));
    // The client retries with backoff; on every try: a challenge, never a ready, and nothing signed.
    expect(new Set(types(relay.fromHonest))).toEqual(new Set(['challenge']));
    expect(relay.fromClient).toEqual([]);
  });

  it('a relay that renames the challenge gets a signature the honest gateway refuses', async () => {
    const evil = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    const relay = await relayingGateway((ch) => ({ type: 'challenge', nonce: ch.nonce, gateway: hex.encode(evil) }));
    const c = connect(relay.url, evil);
    expect(await settle(c)).toMatch(/refused us: bad signature|not signed by the pinned/);
    await new Promise((r) => setTimeout(r, 200));
    expect(types(relay.fromHonest).slice(0, 2)).toEqual(['challenge', 'error']);
    expect(types(relay.fromHonest)).not.toContain('ready');
  });

  it('an impostor without the pinned key gets no session from the client', async () => {
    const impostorSecret = ed25519.utils.randomSecretKey();
    for (const signWith of [undefined, impostorSecret]) {
      const url = await server((socket) => {
        const nonce = ed25519.utils.randomSecretKey();
        socket.send(
          JSON.stringify({ type: 'challenge', nonce: hex.encode(nonce), gateway: hex.encode(gateway.identityKey) }),
        );
        socket.on('message', (data: Buffer) => {
          const auth = parseControl(data.toString());
          if (auth.type !== 'auth') return;
          const proof = signWith ? readyProof(signWith, auth, nonce) : {};
          socket.send(JSON.stringify({ type: 'ready', address: auth.identity, queued: 0, ...proof }));
        });
      });
      const c = connect(url, gateway.identityKey);
      expect(await settle(c)).toMatch(/ready is not signed by the pinned gateway identity/);
      expect(c.connected).toBe(false);
    }
  });
});

describe('small-order identity keys (issue 14 #14)', () => {
  /** A bare login with a chosen identity and signature; resolves with the gateway's answer. */
  const login = (identity: Uint8Array, signature: (nonce: Uint8Array) => Uint8Array) =>
    new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(gatewayUrl);
      cleanups.push(() => ws.terminate());
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const msg = parseControl(data.toString());
        if (msg.type === 'challenge') {
          const sig = signature(hex.decode(msg.nonce));
          ws.send(JSON.stringify({ type: 'auth', identity: hex.encode(identity), signature: hex.encode(sig) }));
        } else resolve(msg.type === 'error' ? `error: ${msg.message}` : msg.type);
      });
    });

  it('refuses the all-zero address and the identity point, whose forged signatures verify everywhere', async () => {
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1;
    const forged = new Uint8Array(64);
    forged[0] = 1;
    // The forgeries verify under a permissive (ZIP-215) check for any nonce: the finding.
    expect(
      ed25519.verify(new Uint8Array(64), authPayload(gateway.identityKey, new Uint8Array(32)), new Uint8Array(32)),
    ).toBe(true);
    expect(await login(new Uint8Array(32), () => new Uint8Array(64))).toBe('error: bad signature');
    expect(await login(identityPoint, () => forged)).toBe('error: bad signature');
    // An honest key still logs in.
    const sk = ed25519.utils.randomSecretKey();
    expect(await login(ed25519.getPublicKey(sk), (n) => ed25519.sign(authPayload(gateway.identityKey, n), sk))).toBe(
      'ready',
    );
  });
});
