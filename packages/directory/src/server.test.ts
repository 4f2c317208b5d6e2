import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signDescriptor, verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeAdmin, isLoopback } from './auth.js';
import { createDirectory, type Directory } from './directory.js';
import { KEEP_ALIVE_MS } from './server.js';
import { directoryFixture, post, testIdentity, until } from './test-support/fixtures.js';

const TOKEN = 'admin-token-0123456789abcdef';
let directory: Directory;
let publicKey: Uint8Array;
// The gateway last: no document can be out before every node is in.
const nodes = [
  testIdentity('mix-1'),
  testIdentity('mix-2'),
  testIdentity('mix-3'),
  testIdentity('mix-4'),
  testIdentity('gw-1', 'gateway'),
];

beforeAll(async () => {
  const fx = directoryFixture({ epochMs: 60_000, monitor: { intervalMs: 60_000 } });
  writeFileSync(join(fx.dir, 'admin.token'), TOKEN, { mode: 0o600 });
  publicKey = fx.publicKey;
  directory = createDirectory(
    { ...fx.config, adminTokenFile: join(fx.dir, 'admin.token') },
    { probe: async () => true },
  );
  await directory.start();
});
afterAll(async () => {
  await directory?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${directory.url}${path}`, { headers });
const metric = async (line: RegExp) => {
  const text = await (await get('/metrics')).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.slice(m.lastIndexOf(' ') + 1)) : 0;
};

describe('directory HTTP API', () => {
  it('keeps idle connections longer than a re-announce period (issue 16: no handshake per announce)', async () => {
    const res = await get('/health');
    await res.arrayBuffer();
    expect(res.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
    expect(KEEP_ALIVE_MS).toBeGreaterThan(30_000);
  });

  it('answers NO_EPOCH before the first document, then publishes once nodes register', async () => {
    const none = await get('/v1/topology');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('NO_EPOCH');
    for (const n of nodes) {
      const r = await post(`${directory.url}/v1/descriptors`, n.signed());
      expect(r).toEqual({ status: 200, body: { accepted: true, epoch: null } });
    }
    const res = await until(
      async () => {
        const r = await get('/v1/topology');
        return r.status === 200 ? r : undefined;
      },
      10_000,
      'the first document',
    );
    const v = verifyTopologyDocument(await res.json(), { publicKey });
    expect(v.document.epoch).toBe(0);
    expect(res.headers.get('etag')).toBe(`"${v.hash}"`);
    expect(v.document.layers.flat()).toHaveLength(4);
  });

  it('honours If-None-Match with 304, and serves an earlier epoch by number', async () => {
    const first = await get('/v1/topology');
    const etag = first.headers.get('etag') as string;
    const again = await get('/v1/topology', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await get('/v1/topology', { 'if-none-match': '"other"' })).status).toBe(200);
    const byNumber = await get('/v1/topology/epoch/0');
    expect(byNumber.status).toBe(200);
    expect(byNumber.headers.get('etag')).toBe(etag);
    expect((await get('/v1/topology/epoch/99')).status).toBe(404);
    expect((await get('/v1/topology/epoch/x')).status).toBe(404);
  });

  it('lists nodes with their state and score, and the status', async () => {
    const list = (await (await get('/v1/nodes')).json()) as {
      id: string;
      state: string;
      score: number;
      layer?: number;
    }[];
    expect(list.map((n) => n.id)).toEqual(['gw-1', 'mix-1', 'mix-2', 'mix-3', 'mix-4']);
    expect(list.every((n) => n.state === 'active' && n.score === 1)).toBe(true);
    expect(list.filter((n) => n.layer !== undefined)).toHaveLength(4);
    const status = (await (await get('/v1/status')).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      epoch: 0,
      keyRotation: 0,
      activePerLayer: 2,
      counts: { active: 5, standby: 0, down: 0, expired: 0 },
    });
    expect(status.nextEpochAt).toBe(status.validUntil as number);
  });

  it('refuses bad descriptors with their code and counts each', async () => {
    const before = await metric(/^directory_descriptors_refused_total\{.*code="MALFORMED"/);
    const url = `${directory.url}/v1/descriptors`;
    const n = nodes[0] as (typeof nodes)[0];
    expect((await post(url, 'not json')).body).toMatchObject({ error: { code: 'MALFORMED' } });
    expect((await post(url, { descriptor: '{}', signature: 'zz' })).status).toBe(400);
    expect((await post(url, signDescriptor(n.descriptor(), ed25519.utils.randomSecretKey()))).body).toMatchObject({
      error: { code: 'BAD_SIGNATURE' },
    });
    expect((await post(url, testIdentity('mix-1').signed())).status).toBe(409); // ID_CONFLICT
    const over = await post(url, { descriptor: 'x'.repeat(20_000), signature: '' });
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ error: { code: 'OVERSIZE' } });
    expect(await metric(/^directory_descriptors_refused_total\{.*code="MALFORMED"/)).toBe(before + 2);
    expect(await metric(/^directory_descriptors_refused_total\{.*code="BAD_SIGNATURE"/)).toBe(1);
    expect(await metric(/^directory_descriptors_refused_total\{.*code="ID_CONFLICT"/)).toBe(1);
    expect(await metric(/^directory_descriptors_refused_total\{.*code="OVERSIZE"/)).toBe(1);
    expect(await metric(/^directory_descriptors_accepted_total\{.*kind="node"/)).toBe(5);
  });

  it('answers random and mutated bodies with a 4xx and a known code, never a 5xx', async () => {
    const url = `${directory.url}/v1/descriptors`;
    const signed = (nodes[1] as (typeof nodes)[0]).signed();
    const text = JSON.stringify(signed);
    const mutated = fc
      .tuple(fc.nat(text.length - 1), fc.string({ maxLength: 3 }), fc.nat(3))
      .map(([at, s, cut]) => text.slice(0, at) + s + text.slice(at + cut));
    const body = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      mutated,
    );
    const known = new Set([
      'OVERSIZE',
      'MALFORMED',
      'BAD_SIGNATURE',
      'BAD_PROOF',
      'STALE',
      'REPLAYED',
      'NOT_ADMITTED',
      'ID_CONFLICT',
    ]);
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await post(url, b);
        if (r.status === 200) return;
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(known.has(String((r.body?.error as { code?: string })?.code))).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect((await get('/health')).status).toBe(200);
  });

  it('takes admin scale from loopback or a good token, refuses a bad token', async () => {
    const url = `${directory.url}/v1/admin/scale`;
    expect((await post(url, { activePerLayer: 3 }, { authorization: 'Bearer wrong-token-000000000' })).status).toBe(
      401,
    );
    expect((await post(url, { activePerLayer: 3 }, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect(await post(url, { activePerLayer: 3 }, { authorization: `Bearer ${TOKEN}` })).toEqual({
      status: 200,
      body: { activePerLayer: 3, fromEpoch: 1 },
    });
    expect((await post(url, { activePerLayer: 4 })).status).toBe(200); // loopback, no token
    expect((await post(url, { activePerLayer: 0 })).status).toBe(400);
    expect(((await (await get('/v1/status')).json()) as { activePerLayer: number }).activePerLayer).toBe(4);
    expect((await get('/v1/admin/scale')).status).toBe(405);
  });

  it('refuses an admin scale that is not JSON (a cross-site simple POST from a page on loopback)', async () => {
    const res = await fetch(`${directory.url}/v1/admin/scale`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ activePerLayer: 7 }),
    });
    expect(res.status).toBe(415);
    expect(((await (await get('/v1/status')).json()) as { activePerLayer: number }).activePerLayer).not.toBe(7);
  });

  it('serves health and metrics', async () => {
    const h = (await (await get('/health')).json()) as Record<string, unknown>;
    expect(h).toMatchObject({
      status: 'ok',
      role: 'directory',
      epoch: 0,
      publicKey: Buffer.from(publicKey).toString('hex'),
    });
    expect(await metric(/^directory_epoch\{/)).toBe(0);
    expect(await metric(/^directory_monitor_packets_sent_total\{.*node_role="mix"/)).toBeGreaterThan(0);
    expect((await get('/nope')).status).toBe(404);
  });
});

describe('directory HTTP API for pages (CORS)', () => {
  it('lets any origin read the GET routes, with the ETag, and answers their preflight', async () => {
    const origin = { origin: 'http://127.0.0.1:1' };
    for (const path of ['/v1/topology', '/v1/topology/epoch/0', '/v1/nodes', '/v1/status', '/health']) {
      const res = await get(path, origin);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      await res.body?.cancel();
    }
    expect((await get('/v1/topology', origin)).headers.get('access-control-expose-headers')).toBe('etag');
    const pre = await fetch(`${directory.url}/v1/topology`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toBe('if-none-match');
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
  });

  it('grants no origin on the routes that change state', async () => {
    for (const path of ['/v1/descriptors', '/v1/admin/scale']) {
      const pre = await fetch(`${directory.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:1', 'access-control-request-method': 'POST' },
      });
      expect(pre.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(pre.status, path).toBe(405);
    }
  });
});

describe('admin authorization', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '', undefined, '127.0.0.1.evil'])
      expect(isLoopback(a)).toBe(false);
  });
  it('refuses a non-loopback request without a token, accepts it with the token', () => {
    const token = TOKEN;
    expect(authorizeAdmin({ remoteAddress: '10.0.0.1', authorization: undefined, token }).ok).toBe(false);
    expect(authorizeAdmin({ remoteAddress: '10.0.0.1', authorization: `Bearer ${token}`, token }).ok).toBe(true);
    expect(authorizeAdmin({ remoteAddress: '10.0.0.1', authorization: `Bearer ${token}x`, token }).ok).toBe(false);
    // No token configured: only loopback, and a Bearer header cannot get in.
    expect(authorizeAdmin({ remoteAddress: '10.0.0.1', authorization: 'Bearer x', token: undefined }).ok).toBe(false);
    expect(authorizeAdmin({ remoteAddress: '127.0.0.1', authorization: undefined, token: undefined }).ok).toBe(true);
  });
});
