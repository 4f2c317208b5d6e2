/**
 * The stream client and the requester's sessions joined by an in-memory request channel (what
 * `MixnetClient.request` and the requester's held replies do, without the mixnet): polls, long
 * holds, backlog-driven SURB counts, and no busy loop when requests fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRequesterSessions } from './requester-sessions.js';
import { createStreamClient, type RequestChannel, requesterAddress } from './stream-client.js';
import { encodeBatch } from './stream-frame.js';
import type { MuxStream } from './stream-mux.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('stream client ↔ requester sessions', () => {
  it('carries a download in held polls and asks for more SURBs while the requester reports a backlog', async () => {
    const body = randomBytes(512 * 1024);
    const surbCounts: number[] = [];
    const sessions = createRequesterSessions({
      holdMs: 200,
      onOpen: (s: MuxStream, host, port) => {
        expect([host, port]).toEqual(['example.org', 80]);
        s.accept();
        s.end(body);
      },
    });
    const channel: RequestChannel = {
      request: (_to, bytes, opts) =>
        new Promise((resolve) => {
          surbCounts.push(opts?.surbs ?? 0);
          sessions.onRequest(bytes, async (reply) => resolve(reply));
        }),
    };
    const client = createStreamClient({ client: channel, requester: 'nr' });
    const r = await client.open('example.org', 80, 5_000);
    if (!r.ok) throw new Error(`refused ${r.code}`);
    const chunks: Buffer[] = [];
    r.stream.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((res) => r.stream.on('end', res));
    expect(sha(Buffer.concat(chunks))).toBe(sha(body));
    // Polls grew while the requester had a backlog: more SURBs than an idle poll carries.
    expect(Math.max(...surbCounts)).toBeGreaterThan(Math.min(...surbCounts));
    expect(sessions.stats().malformed).toBe(0);
    r.stream.end();
    client.close();
    sessions.close();
  });

  it('answers a held poll empty after the hold time, so the client polls again', async () => {
    const sessions = createRequesterSessions({ holdMs: 100, onOpen: (s) => s.accept() });
    let requests = 0;
    const channel: RequestChannel = {
      request: (_to, bytes) =>
        new Promise((resolve) => {
          requests++;
          sessions.onRequest(bytes, async (reply) => resolve(reply));
        }),
    };
    const client = createStreamClient({ client: channel, requester: 'nr' });
    const r = await client.open('h', 1, 5_000);
    expect(r.ok).toBe(true);
    const before = requests;
    await new Promise((res) => setTimeout(res, 600));
    // Nothing to say either way, yet polls came back and were renewed (not one stuck request).
    expect(requests).toBeGreaterThan(before + 2);
    expect(sessions.stats().heldPolls).toBeLessThanOrEqual(6);
    client.close();
    sessions.close();
  });

  it('does not spin when every request fails: it backs off, and the open times out with 0x06', async () => {
    let requests = 0;
    const channel: RequestChannel = {
      request: async () => {
        requests++;
        throw new Error('no route to the requester');
      },
    };
    const client = createStreamClient({ client: channel, requester: 'nr' });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const r = await client.open('h', 1, 500);
    clearInterval(ticker);
    expect(r).toEqual({ ok: false, code: 0x06 });
    // Timers kept running (no microtask loop), and the failures were spaced out.
    expect(ticks).toBeGreaterThan(10);
    expect(requests).toBeLessThan(30);
    expect(client.stats().lastError).toMatch(/no route/);
    client.close();
  });

  it('drops a session whose client went silent, and resets its streams', async () => {
    let opened: MuxStream | undefined;
    const sessions = createRequesterSessions({
      holdMs: 50,
      sessionIdleMs: 200,
      onOpen: (s) => {
        opened = s;
        s.accept();
      },
    });
    const session = new Uint8Array(16).fill(9);
    sessions.onRequest(
      encodeBatch({ session, backlog: 0, frames: [{ type: 'open', streamId: 1, host: 'h', port: 1 }] }),
      async () => {},
    );
    expect(sessions.stats()).toMatchObject({ sessions: 1, streams: 1 });
    const closed = new Promise<void>((res) => opened?.on('close', () => res()));
    // No poll comes again (the client vanished): within the session idle time its stream goes.
    await closed;
    expect(sessions.stats()).toMatchObject({ sessions: 0, streams: 0 });
    sessions.close();
  });

  it('keeps the requester address it saw when a document leaves the requester out', () => {
    const view = { topology: { serviceProviders: [] as { id: string; address: string; gateway: string }[] } };
    const to = requesterAddress(view, 'network-requester');
    expect(to()).toBe('network-requester');
    view.topology = { serviceProviders: [{ id: 'network-requester', address: 'ab'.repeat(32), gateway: 'gateway-2' }] };
    expect(to()).toBe(`${'ab'.repeat(32)}@gateway-2`);
    view.topology = { serviceProviders: [] };
    expect(to()).toBe(`${'ab'.repeat(32)}@gateway-2`);
  });
});
