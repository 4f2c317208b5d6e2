/**
 * A tiny stand-in for the directory's HTTP API (docs/directory.md §2, §5), for the node's tests:
 * it serves the documents a test signs with signTopologyDocument (ETag / If-None-Match) and keeps
 * the descriptors nodes post, checked with verifyDescriptor.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  documentHash,
  type NodeDescriptor,
  type SignedDocument,
  signTopologyDocument,
  type TopologyDocument,
  type TopologyNode,
  verifyDescriptor,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';

export interface FakeDirectory {
  url: string;
  port: number;
  secret: Uint8Array;
  publicKey: Uint8Array;
  /** Verified descriptors, in the order they came. */
  descriptors: NodeDescriptor[];
  requests: { topology: number; notModified: number };
  /** Signs and serves `doc` from now on. */
  publish(doc: TopologyDocument, secret?: Uint8Array): SignedDocument;
  /** Serves this body (status 200) instead of the document, or stops doing so (undefined). */
  serveRaw(body: string | undefined): void;
  /** Refuses descriptors with this code (HTTP 400), or accepts them again (undefined). */
  refuseDescriptors(code: string | undefined): void;
  waitForDescriptors(n: number, timeoutMs?: number): Promise<NodeDescriptor>;
  close(): Promise<void>;
  /** Listens again on the same port after close(). */
  reopen(): Promise<void>;
}

export function randomNode(id: string, port: number): TopologyNode {
  return {
    id,
    address: `127.0.0.1:${port}`,
    sphinxKey: randomBytes(32).toString('hex'),
    identityKey: Buffer.from(ed25519.getPublicKey(randomBytes(32))).toString('hex'),
  };
}

/** A valid document with placeholder nodes; override what the test needs. */
export function makeDocument(fields: Partial<TopologyDocument> & { epoch: number }): TopologyDocument {
  const now = Date.now();
  const epochMs = fields.epochMs ?? 60_000;
  return {
    v: 1,
    keyRotation: 0,
    validFrom: now,
    validUntil: now + epochMs,
    epochMs,
    graceMs: 1_000,
    issuedAt: now,
    seed: '00'.repeat(32),
    layers: [[randomNode('mix-a', 1)]],
    gateways: [{ ...randomNode('gw-a', 2), clientUrl: 'ws://127.0.0.1:3' }],
    serviceProviders: [],
    standby: [],
    scores: {},
    ...fields,
  };
}

export async function startFakeDirectory(): Promise<FakeDirectory> {
  const secret = randomBytes(32);
  let signed: SignedDocument | undefined;
  let raw: string | undefined;
  let refuse: string | undefined;
  const descriptors: NodeDescriptor[] = [];
  const requests = { topology: 0, notModified: 0 };

  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/v1/topology') {
      requests.topology++;
      if (raw !== undefined) return res.writeHead(200).end(raw);
      if (!signed) return json(404, { error: { code: 'NO_EPOCH', message: 'no epoch yet' } });
      const etag = `"${documentHash(signed.document)}"`;
      if (req.headers['if-none-match'] === etag) {
        requests.notModified++;
        return res.writeHead(304, { etag }).end();
      }
      return json(200, signed, { etag });
    }
    if (req.method === 'POST' && req.url === '/v1/descriptors') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (refuse) return json(400, { error: { code: refuse, message: `refused: ${refuse}` } });
        try {
          const d = verifyDescriptor(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          if (d.kind !== 'node') throw new Error('expected a node descriptor');
          descriptors.push(d);
          json(200, { accepted: true, epoch: 0 });
        } catch (err) {
          json(400, {
            error: { code: (err as { code?: string }).code ?? 'MALFORMED', message: (err as Error).message },
          });
        }
      });
      return;
    }
    json(404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
  };

  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    secret,
    publicKey: ed25519.getPublicKey(secret),
    descriptors,
    requests,
    publish(doc, key = secret) {
      signed = signTopologyDocument(doc, key);
      return signed;
    },
    serveRaw(body) {
      raw = body;
    },
    refuseDescriptors(code) {
      refuse = code;
    },
    async waitForDescriptors(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (descriptors.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${descriptors.length} of ${n} descriptors`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return descriptors[n - 1] as NodeDescriptor;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    async reopen() {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    },
  };
}
