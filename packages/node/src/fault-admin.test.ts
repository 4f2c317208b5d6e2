/**
 * /admin/faults (fault-admin.ts) on a real observability server on 127.0.0.1, and with stub
 * requests for a non-loopback peer (a socket's remote address cannot be faked on loopback).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultAdmin, MAX_FAULTS_BODY } from './fault-admin.js';
import { createFaultTable } from './faults.js';
import { serveObservability } from './metrics.js';

const TOKEN = 'a'.repeat(64);
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(token?: string) {
  const table = createFaultTable({ base: [{ id: 'emulation', direction: 'out', latencyMs: 1 }] });
  const route = createFaultAdmin({ table, ...(token ? { token } : {}) });
  const s = await serveObservability(
    { host: '127.0.0.1', port: 0 },
    { metrics: () => '', health: () => ({ ok: true, body: {} }), route },
  );
  cleanups.push(() => s.close());
  const url = `http://127.0.0.1:${s.port}/admin/faults`;
  return { table, url };
}

const put = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body), headers });

describe('/admin/faults from loopback', () => {
  it('GET, PUT (replaces), DELETE (clears live rules, keeps the base)', async () => {
    const { table, url } = await serve();
    let r = await fetch(url);
    expect(r.status).toBe(200);
    let body = (await r.json()) as { rules: unknown[]; base: unknown[]; now: unknown };
    expect(body.rules).toEqual([]);
    expect(body.base).toEqual([{ id: 'emulation', direction: 'out', latencyMs: 1 }]);
    expect(typeof body.now).toBe('number');

    r = await put(url, { rules: [{ id: 'x', peers: ['mix-1-1'], lossRate: 1 }] });
    expect(r.status).toBe(200);
    body = (await r.json()) as typeof body;
    expect(body.rules).toEqual([{ id: 'x', peers: ['mix-1-1'], lossRate: 1 }]);
    expect(table.effect('mix-1-1', 'out').lossRate).toBe(1);

    r = await put(url, { rules: [{ partition: true }] });
    expect(((await r.json()) as typeof body).rules).toEqual([{ partition: true }]);
    expect(table.effect('mix-1-1', 'out').lossRate).toBe(0);

    r = await fetch(url, { method: 'DELETE' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as typeof body).rules).toEqual([]);
    expect(table.rules()).toEqual([]);
    expect(table.base.length).toBe(1);
  });

  it('refuses a bad body with 400 naming the field, and an oversized one with 413', async () => {
    const { table, url } = await serve();
    let r = await put(url, { rules: [{ lossRate: 0.5 }, { lossRate: 1.5 }] });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ field: 'rules.1.lossRate' });
    r = await put(url, { rules: [{ latncyMs: 5 }] });
    expect(r.status).toBe(400);
    r = await put(url, 'not json');
    expect(r.status).toBe(400);
    expect(((await r.json()) as { field: string }).field).toBe('(body)');
    r = await put(url, { rules: [], pad: 'x'.repeat(MAX_FAULTS_BODY) });
    expect(r.status).toBe(413);
    expect(table.rules()).toEqual([]);
    r = await fetch(url, { method: 'POST' });
    expect(r.status).toBe(405);
  });

  it('takes the right token and refuses a wrong one, even from loopback', async () => {
    const { url } = await serve(TOKEN);
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const r = await put(url, { rules: [{ lossRate: 1 }] }, { authorization: 'Bearer wrong-token-000000' });
    expect(r.status).toBe(401);
  });
});

/** A request as Node would hand it to the route, from `remote`. */
function stubCall(
  handler: ReturnType<typeof createFaultAdmin>,
  remote: string,
  opts: { method?: string; authorization?: string; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const req = Object.assign(Readable.from(opts.body ? [Buffer.from(opts.body)] : []), {
      url: '/admin/faults',
      method: opts.method ?? 'GET',
      headers: opts.authorization ? { authorization: opts.authorization } : {},
      socket: { remoteAddress: remote },
    }) as unknown as IncomingMessage;
    let status = 0;
    const res = {
      headersSent: false,
      writeHead(s: number) {
        status = s;
        return res;
      },
      end(text: string) {
        resolve({ status, body: JSON.parse(text) });
      },
    } as unknown as ServerResponse;
    expect(handler(req, res)).toBe(true);
  });
}

describe('/admin/faults from another host', () => {
  it('needs the Bearer token', async () => {
    const table = createFaultTable();
    const handler = createFaultAdmin({ table, token: TOKEN });
    expect((await stubCall(handler, '192.0.2.7')).status).toBe(401);
    expect((await stubCall(handler, '::ffff:10.1.2.3')).status).toBe(401);
    expect((await stubCall(handler, '192.0.2.7', { authorization: `Bearer ${TOKEN.slice(1)}` })).status).toBe(401);
    const put = await stubCall(handler, '192.0.2.7', {
      method: 'PUT',
      authorization: `Bearer ${TOKEN}`,
      body: JSON.stringify({ rules: [{ partition: true }] }),
    });
    expect(put.status).toBe(200);
    expect(table.effect('any', 'in').partition).toBe(true);
    // Without a configured token, only loopback is served.
    const open = createFaultAdmin({ table: createFaultTable() });
    expect((await stubCall(open, '192.0.2.7', { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect((await stubCall(open, '127.0.0.1')).status).toBe(200);
  });
});
