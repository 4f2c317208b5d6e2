/**
 * The directory's HTTP API (docs/directory.md, configs contract), on node:http:
 *
 *   POST /v1/descriptors          register or re-announce (body ≤ 16 KiB)
 *   GET  /v1/topology             the current signed document; ETag / If-None-Match → 304
 *   GET  /v1/topology/epoch/:n    an earlier one
 *   GET  /v1/nodes, /v1/status    for operators
 *   POST /v1/admin/scale          loopback or Bearer token (auth.ts)
 *   GET  /health, /metrics
 *
 * Every refusal of a descriptor is answered with its code, counted and logged. The read-only GET
 * routes answer any origin (CORS), so a page (the browser client, a dashboard) can read them; the
 * POST routes grant no origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Descriptor, DescriptorError, type DescriptorErrorCode, type SignedDocument } from '@mixnet/sphinx/wire';
import type { Logger } from 'pino';
import { authorizeAdmin } from './auth.js';
import type { DirectoryMetrics } from './metrics.js';

/** A descriptor's text is at most 8 KiB; JSON escaping inside the request body can double that. */
export const MAX_DESCRIPTOR_BODY = 16 * 1024;
const MAX_ADMIN_BODY = 1024;

export interface PublishedDocument {
  epoch: number;
  signed: SignedDocument;
  /** SHA-256 of the document text, hex: the ETag. */
  hash: string;
}

export interface NodeView {
  id: string;
  kind: 'node' | 'service-provider';
  role: 'mix' | 'gateway' | 'service-provider';
  state: 'active' | 'standby' | 'down' | 'expired';
  /** null for a service provider (not monitored). */
  score: number | null;
  lastAnnounce: number;
  /** 1-based, for an active mix. */
  layer?: number;
  /** Has the monitor tested it yet (before that, the score is 1 by §3 but it is not eligible). */
  tested?: boolean;
  /** The packet address; a service provider's is its identity key, as in the topology. */
  address: string;
  identityKey: string;
  /** A service provider's gateway. */
  gateway?: string;
}

export interface StatusView {
  epoch: number | null;
  validUntil: number | null;
  nextEpochAt: number | null;
  keyRotation: number | null;
  activePerLayer: number;
  counts: Record<NodeView['state'], number>;
}

/** What the server needs of the directory. */
export interface DirectoryApi {
  /** Throws DescriptorError. */
  submit(body: unknown): { descriptor: Descriptor; epoch: number | null };
  current(): PublishedDocument | undefined;
  document(epoch: number): PublishedDocument | undefined;
  nodes(): NodeView[];
  status(): StatusView;
  scale(activePerLayer: number): { activePerLayer: number; fromEpoch: number | null };
  health(): { ok: boolean; body: Record<string, unknown> };
}

/** How long the server keeps an idle keep-alive connection (Node's default is 5 s). */
export const KEEP_ALIVE_MS = 65_000;

export interface DirectoryServerOptions {
  listen: { host: string; port: number };
  api: DirectoryApi;
  metrics: DirectoryMetrics;
  logger: Logger;
  adminToken?: string;
}

export interface DirectoryServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const STATUS: Record<DescriptorErrorCode, number> = {
  OVERSIZE: 413,
  MALFORMED: 400,
  BAD_SIGNATURE: 400,
  BAD_PROOF: 400,
  STALE: 400,
  REPLAYED: 409,
  NOT_ADMITTED: 403,
  ID_CONFLICT: 409,
};

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache', ...headers }).end(text);
}

const error = (res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>) =>
  send(res, status, { error: { code, message } }, headers);

/** Closes the connection after answering: the rest of an oversize body is not read. */
const closeAfter = { connection: 'close' };

/** The routes a page of any origin may read: all GET, none changes anything. */
const READ_ONLY = /^\/(?:v1\/(?:topology(?:\/epoch\/[^/]*)?|nodes|status)|health|metrics)$/;

/** Lets any page read a read-only route; answers its preflight (If-None-Match is not CORS-safelisted). */
function allowCors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', 'etag');
  if (req.method !== 'OPTIONS') return false;
  res
    .writeHead(204, {
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-allow-headers': 'if-none-match',
      'access-control-max-age': '600',
    })
    .end();
  return true;
}

/** Whether If-None-Match names this ETag (weak or strong, or "*"). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

function serveDocument(req: IncomingMessage, res: ServerResponse, doc: PublishedDocument): void {
  const etag = `"${doc.hash}"`;
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, { etag, 'cache-control': 'no-cache' }).end();
    return;
  }
  send(res, 200, doc.signed, { etag });
}

export async function startDirectoryServer(opts: DirectoryServerOptions): Promise<DirectoryServer> {
  const { api, metrics, logger } = opts;

  const refuse = (res: ServerResponse, code: DescriptorErrorCode, message: string, remote?: string) => {
    metrics.refused.inc({ code });
    logger.warn({ code, remote, reason: message }, 'descriptor refused');
    error(res, STATUS[code], code, message, code === 'OVERSIZE' ? closeAfter : {});
  };

  const postDescriptor = async (req: IncomingMessage, res: ServerResponse) => {
    const remote = req.socket.remoteAddress;
    let text: string;
    try {
      text = await readBody(req, MAX_DESCRIPTOR_BODY);
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuse(res, 'OVERSIZE', `body over ${MAX_DESCRIPTOR_BODY} bytes`, remote);
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse(res, 'MALFORMED', 'body is not JSON', remote);
    }
    try {
      const { descriptor, epoch } = api.submit(body);
      metrics.accepted.inc({ kind: descriptor.kind });
      logger.debug({ id: descriptor.id, kind: descriptor.kind }, 'descriptor accepted');
      send(res, 200, { accepted: true, epoch });
    } catch (err) {
      if (err instanceof DescriptorError) return refuse(res, err.code, err.message, remote);
      throw err;
    }
  };

  const postScale = async (req: IncomingMessage, res: ServerResponse) => {
    // A web page can send a cross-site "simple" POST (text/plain) to loopback without a preflight;
    // requiring JSON forces the preflight, which grants no origin, so a page cannot scale the network.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return error(res, 415, 'MALFORMED', 'content-type must be application/json');
    const decision = authorizeAdmin({
      remoteAddress: req.socket.remoteAddress,
      authorization: req.headers.authorization,
      token: opts.adminToken,
    });
    if (!decision.ok) {
      metrics.admin.inc({ outcome: 'refused' });
      logger.warn({ remote: req.socket.remoteAddress, reason: decision.reason }, 'admin request refused');
      return error(res, 401, 'UNAUTHORIZED', decision.reason, { 'www-authenticate': 'Bearer' });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, MAX_ADMIN_BODY));
    } catch (err) {
      if (err instanceof BodyTooLarge)
        return error(res, 413, 'OVERSIZE', `body over ${MAX_ADMIN_BODY} bytes`, closeAfter);
      return error(res, 400, 'MALFORMED', 'body is not JSON');
    }
    const n = (body as { activePerLayer?: unknown } | null)?.activePerLayer;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000)
      return error(res, 400, 'MALFORMED', 'activePerLayer must be an integer from 1 to 1000');
    metrics.admin.inc({ outcome: 'ok' });
    const result = api.scale(n);
    logger.info({ activePerLayer: n, via: decision.via, fromEpoch: result.fromEpoch }, 'scaled');
    send(res, 200, result);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const method = req.method ?? 'GET';
    if (READ_ONLY.test(path) && allowCors(req, res)) return;
    const only = (m: string) => {
      if (method === m || (m === 'GET' && method === 'HEAD')) return true;
      error(res, 405, 'METHOD_NOT_ALLOWED', `${path} takes ${m}`, { allow: m });
      return false;
    };
    if (path === '/v1/descriptors') {
      if (only('POST')) await postDescriptor(req, res);
    } else if (path === '/v1/topology') {
      if (!only('GET')) return;
      const doc = api.current();
      if (!doc) return error(res, 404, 'NO_EPOCH', 'no epoch has been published yet');
      serveDocument(req, res, doc);
    } else if (path.startsWith('/v1/topology/epoch/')) {
      if (!only('GET')) return;
      const n = path.slice('/v1/topology/epoch/'.length);
      const doc = /^\d{1,15}$/.test(n) ? api.document(Number(n)) : undefined;
      if (!doc) return error(res, 404, 'UNKNOWN_EPOCH', `no document for epoch "${n.slice(0, 20)}"`);
      serveDocument(req, res, doc);
    } else if (path === '/v1/nodes') {
      if (only('GET')) send(res, 200, api.nodes());
    } else if (path === '/v1/status') {
      if (only('GET')) send(res, 200, api.status());
    } else if (path === '/v1/admin/scale') {
      if (only('POST')) await postScale(req, res);
    } else if (path === '/health') {
      if (!only('GET')) return;
      const h = api.health();
      send(res, h.ok ? 200 : 503, h.body);
    } else if (path === '/metrics') {
      if (!only('GET')) return;
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    } else {
      error(res, 404, 'NOT_FOUND', `no route ${path.slice(0, 100)}`);
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      logger.error({ err: err.message, url: req.url }, 'request failed');
      if (!res.headersSent) error(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  });
  // Idle keep-alive connections stay longer than a node's re-announce and poll periods: each node
  // host's connection is reused (undici follows the Keep-Alive hint) rather than reopened for every
  // announce, which at 170 nodes was some 20 TCP handshakes a second (issue 16).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.listen.port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
