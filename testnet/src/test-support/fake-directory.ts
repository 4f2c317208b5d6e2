/**
 * A stand-in for the directory's HTTP API (docs/directory.md) on loopback, for testing the testnet's
 * side of it without the real service: it serves whatever signed document, node list and status
 * the test sets, and checks the admin token.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type SignedDocument, signTopologyDocument, type TopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519PublicKeyHex } from '../directory-files.js';

export interface FakeDirectory {
  url: string;
  publicKey: string;
  token: string;
  /** Sets the document served at GET /v1/topology, signed by this directory (or `secret`). */
  publish(doc: TopologyDocument, secret?: Uint8Array): void;
  nodes: unknown[];
  status: unknown;
  scaleCalls: unknown[];
  close(): Promise<void>;
}

const hex = () => randomBytes(32).toString('hex');

/** A valid document with `perLayer` mixes on each of `layers` layers and `gateways` gateways. */
export function makeDocument(epoch: number, perLayer: number[], gateways = 1, sp?: string): TopologyDocument {
  let port = 20_000;
  const node = (id: string) => ({ id, address: `127.0.0.1:${port++}`, sphinxKey: hex(), identityKey: hex() });
  const now = Date.now();
  return {
    v: 1,
    epoch,
    keyRotation: 0,
    validFrom: now,
    validUntil: now + 20_000,
    epochMs: 20_000,
    graceMs: 20_000,
    issuedAt: now,
    seed: hex(),
    layers: perLayer.map((n, l) => Array.from({ length: n }, (_, i) => node(`mix-${l + 1}-${i + 1}`))),
    gateways: Array.from({ length: gateways }, (_, g) => ({
      ...node(`gateway-${g + 1}`),
      clientUrl: `ws://127.0.0.1:${port++}`,
    })),
    serviceProviders: sp ? [{ id: sp, address: hex(), gateway: 'gateway-1' }] : [],
    standby: [],
    scores: {},
  };
}

export async function startFakeDirectory(): Promise<FakeDirectory> {
  const secret = randomBytes(32);
  const token = randomBytes(16).toString('hex');
  let signed: SignedDocument | undefined;
  const fake: Omit<FakeDirectory, 'url' | 'close'> = {
    publicKey: ed25519PublicKeyHex(secret),
    token,
    publish: (doc, other) => {
      signed = signTopologyDocument(doc, other ?? secret);
    },
    nodes: [],
    status: { epoch: 0, nextEpochAt: Date.now() + 20_000 },
    scaleCalls: [],
  };
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/v1/topology')
      return signed ? send(200, signed) : send(404, { error: { code: 'NO_EPOCH' } });
    if (req.method === 'GET' && req.url === '/v1/nodes') return send(200, fake.nodes);
    if (req.method === 'GET' && req.url === '/v1/status') return send(200, fake.status);
    if (req.method === 'POST' && req.url === '/v1/admin/scale') {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: 'UNAUTHORIZED' } });
        fake.scaleCalls.push(JSON.parse(body));
        send(200, { activePerLayer: (JSON.parse(body) as { activePerLayer: number }).activePerLayer });
      });
      return;
    }
    send(404, { error: { code: 'NOT_FOUND' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  // The same object the server reads: a test's later `fake.status = …` is what it serves.
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
