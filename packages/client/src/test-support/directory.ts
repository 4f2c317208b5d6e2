/**
 * A stand-in directory for tests: serves GET /v1/topology the way docs/directory.md §5 says
 * (signed document, ETag, If-None-Match → 304, 404 NO_EPOCH before the first), takes POST
 * /v1/descriptors, and lets the test publish documents and misbehave on purpose.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  documentHash,
  hex,
  type SignedDocument,
  signTopologyDocument,
  type Topology,
  type TopologyDocument,
  verifyDescriptor,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';

export interface TestDirectory {
  url: string;
  publicKey: string;
  /**
   * Signs and serves a document for `epoch` over `topology`, valid for `validMs` from now; service
   * providers that registered are listed at their latest gateway when it is in `topology`.
   */
  publish(topology: Topology, opts: { epoch: number; validMs?: number; secret?: Uint8Array }): TopologyDocument;
  /** Serves this exact body with status 200 instead of the document (until `publish`). */
  serveRaw(body: string): void;
  serveSigned(signed: SignedDocument): void;
  /** Signs with the directory's key, without serving. */
  sign(document: TopologyDocument): SignedDocument;
  requests: { topology: number; notModified: number };
  /** Descriptors received, as verified. */
  descriptors: ReturnType<typeof verifyDescriptor>[];
  /** Stops listening (the directory is "down"); `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function testDocument(topology: Topology, epoch: number, validMs = 20_000, now = Date.now()): TopologyDocument {
  return {
    v: 1,
    epoch,
    keyRotation: 0,
    validFrom: now,
    validUntil: now + validMs,
    epochMs: validMs,
    graceMs: validMs,
    issuedAt: now,
    seed: '00'.repeat(32),
    layers: topology.layers,
    gateways: topology.gateways,
    serviceProviders: topology.serviceProviders,
    standby: [],
    scores: {},
  };
}

export async function startTestDirectory(): Promise<TestDirectory> {
  const secret = ed25519.utils.randomSecretKey();
  let body: string | undefined;
  let etag: string | undefined;
  const requests = { topology: 0, notModified: 0 };
  const descriptors: ReturnType<typeof verifyDescriptor>[] = [];
  let server: Server | undefined;
  let port = 0;

  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.method === 'GET' && req.url === '/v1/topology') {
      requests.topology++;
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NO_EPOCH', message: 'no epoch yet' } }));
        return;
      }
      if (etag && req.headers['if-none-match'] === etag) {
        requests.notModified++;
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...(etag ? { etag } : {}) });
      res.end(body);
      return;
    }
    if (req.method === 'POST' && req.url === '/v1/descriptors') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          descriptors.push(verifyDescriptor(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ accepted: true, epoch: 0 }));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ error: { code: (err as { code?: string }).code, message: (err as Error).message } }),
          );
        }
      });
      return;
    }
    res.writeHead(404);
    res.end();
  };

  const start = async () => {
    const s = createServer(handler);
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await start();

  const serveSigned = (signed: SignedDocument) => {
    body = JSON.stringify(signed);
    etag = `"${documentHash(signed.document)}"`;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    publicKey: hex.encode(ed25519.getPublicKey(secret)),
    publish(topology, opts) {
      // As the directory does: registered providers are listed behind their gateway, if it is active.
      const active = new Set(topology.gateways.map((g) => g.id));
      const sps = new Map(topology.serviceProviders.map((s) => [s.id, s]));
      for (const d of descriptors)
        if (d.kind === 'service-provider') sps.set(d.id, { id: d.id, address: d.identityKey, gateway: d.gateway });
      const serviceProviders = [...sps.values()].filter((s) => active.has(s.gateway));
      const doc = testDocument({ ...topology, serviceProviders }, opts.epoch, opts.validMs);
      serveSigned(signTopologyDocument(doc, opts.secret ?? secret));
      return doc;
    },
    serveRaw(raw) {
      body = raw;
      etag = undefined;
    },
    serveSigned,
    sign: (document) => signTopologyDocument(document, secret),
    requests,
    descriptors,
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start,
  };
}
