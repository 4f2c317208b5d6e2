import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CloseReason, type Frame } from './stream-frame.js';
import { createStreamMux, type MuxStream, OPEN_TIMEOUT_CODE, type StreamMux } from './stream-mux.js';

interface Pair {
  client: StreamMux;
  server: StreamMux;
  /** Frames the server sent (seen on the wire). */
  wire: Frame[];
  opened: MuxStream[];
  /** Delivery to each side: in order, or shuffled batches of up to 8 frames. */
  flush(): void;
}

/** Two muxes joined by an in-memory channel that may reorder frames. */
function pair(opts: { shuffle?: boolean; window?: number; autoAccept?: boolean; manual?: boolean } = {}): Pair {
  const opened: MuxStream[] = [];
  const wire: Frame[] = [];
  const queues: { to: () => StreamMux; frames: Frame[] }[] = [];
  let scheduled = false;
  const schedule = () => {
    if (scheduled || opts.manual) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      p.flush();
    });
  };
  const toServer = { to: () => server, frames: [] as Frame[] };
  const toClient = { to: () => client, frames: [] as Frame[] };
  queues.push(toServer, toClient);
  const client: StreamMux = createStreamMux({
    window: opts.window,
    onOutbound: () => {
      toServer.frames.push(...client.take(1 << 20));
      schedule();
    },
  });
  const server: StreamMux = createStreamMux({
    window: opts.window,
    onOutbound: () => {
      const f = server.take(1 << 20);
      wire.push(...f);
      toClient.frames.push(...f);
      schedule();
    },
    onOpen: (s) => {
      opened.push(s);
      if (opts.autoAccept !== false) s.accept();
    },
  });
  const p: Pair = {
    client,
    server,
    wire,
    opened,
    flush() {
      for (const q of queues) {
        const frames = q.frames.splice(0);
        if (opts.shuffle) {
          // Reverse each run of up to 8 frames: late frames arrive first, as over different routes.
          for (let i = 0; i < frames.length; i += 8) q.to().receive(frames.slice(i, i + 8).reverse());
        } else q.to().receive(frames);
      }
    },
  };
  return p;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function readAll(s: MuxStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

describe('stream mux', () => {
  it('delivers 1 MB in order although frames arrive out of order', async () => {
    const p = pair({ shuffle: true });
    const opening = p.client.open('example.org', 80, 5_000);
    const r = await opening;
    if (!r.ok) throw new Error(`refused ${r.code}`);
    const body = randomBytes(1024 * 1024);
    const got = readAll(r.stream);
    const server = p.opened[0] as MuxStream;
    for (let i = 0; i < body.length; i += 10_000) server.write(body.subarray(i, i + 10_000));
    server.end();
    expect(sha(await got)).toBe(sha(body));
    // Frames really were reordered on the way (the test would prove nothing otherwise).
    const seqs = p.wire.filter((f) => f.type === 'data').map((f) => (f as { seq: number }).seq);
    expect(seqs.length).toBeGreaterThan(60);
  });

  it('a sender never has more than the window unconsumed: a fast writer waits for a slow reader', async () => {
    const window = 64 * 1024;
    const p = pair({ window });
    const r = await p.client.open('h', 1, 5_000);
    if (!r.ok) throw new Error('refused');
    const server = p.opened[0] as MuxStream;
    r.stream.pause();
    let callbacks = 0;
    for (let i = 0; i < 64; i++) server.write(Buffer.alloc(16 * 1024, i), () => callbacks++);
    await new Promise((res) => setTimeout(res, 50));
    const sent = p.wire
      .filter((f) => f.type === 'data')
      .reduce((n, f) => n + (f as { bytes: Uint8Array }).bytes.length, 0);
    // 1 MB was written; only the window left (the rest waits in the writer, its callbacks held).
    expect(sent).toBeLessThanOrEqual(window);
    expect(sent).toBeGreaterThan(0);
    expect(callbacks).toBeLessThan(64);
    expect(server.credit).toBe(0);
    // Reading resumes the flow until everything has arrived.
    const got = readAll(r.stream);
    r.stream.resume();
    server.end();
    expect((await got).length).toBe(64 * 16 * 1024);
    expect(callbacks).toBe(64);
  });

  it('half-closes each direction on its own, then both ends go', async () => {
    const p = pair();
    const r = await p.client.open('h', 1, 5_000);
    if (!r.ok) throw new Error('refused');
    const server = p.opened[0] as MuxStream;
    const serverGot = readAll(server);
    r.stream.end(Buffer.from('request'));
    expect((await serverGot).toString()).toBe('request');
    // The server may still answer after the client's FIN.
    const clientGot = readAll(r.stream);
    server.end(Buffer.from('answer'));
    expect((await clientGot).toString()).toBe('answer');
    await new Promise((res) => setTimeout(res, 20));
    expect(p.client.size).toBe(0);
    expect(p.server.size).toBe(0);
    expect(p.server.stats().protocolErrors).toBe(0);
  });

  it('a refused or unanswered open gives its SOCKS code; a reset reaches the other side', async () => {
    const refusing = pair({ autoAccept: false });
    const pending = refusing.client.open('h', 1, 5_000);
    await new Promise((res) => setTimeout(res, 10));
    (refusing.opened[0] as MuxStream).refuse(0x02);
    expect(await pending).toEqual({ ok: false, code: 0x02 });
    expect(refusing.client.size).toBe(0);

    const silent = pair({ autoAccept: false });
    expect(await silent.client.open('h', 1, 50)).toEqual({ ok: false, code: OPEN_TIMEOUT_CODE });

    const p = pair();
    const r = await p.client.open('h', 1, 5_000);
    if (!r.ok) throw new Error('refused');
    const server = p.opened[0] as MuxStream;
    const closed = new Promise<void>((res) => server.on('close', () => res()));
    r.stream.destroy();
    await closed;
    expect(server.destroyed).toBe(true);
    expect(p.server.size).toBe(0);
  });

  it('resets a stream whose peer overruns the window or breaks the reorder bound', async () => {
    const p = pair({ window: 16 * 1024 });
    const r = await p.client.open('h', 1, 5_000);
    if (!r.ok) throw new Error('refused');
    const server = p.opened[0] as MuxStream;
    const err = new Promise<Error>((res) => server.on('error', res));
    // A misbehaving client: data far beyond the window, never waiting for a WINDOW.
    p.server.receive(
      Array.from({ length: 4 }, (_, i) => ({
        type: 'data' as const,
        streamId: server.streamId,
        seq: 10 + i,
        bytes: new Uint8Array(16 * 1024),
      })),
    );
    expect((await err).message).toMatch(/overran the window/);
    expect(p.server.stats().protocolErrors).toBe(1);
    expect(p.wire.some((f) => f.type === 'close' && f.reason === CloseReason.Protocol)).toBe(true);
  });

  it('resets a stream nothing moved on for the idle timeout, on both sides', async () => {
    const p = pair();
    const r = await p.client.open('h', 1, 5_000);
    if (!r.ok) throw new Error('refused');
    const errored = new Promise<Error>((res) => r.stream.on('error', res));
    p.server.sweep(performance.now() + 700_000);
    expect(p.server.size).toBe(0);
    expect((await errored).message).toMatch(/reason 2/);
    expect(p.client.size).toBe(0);
  });
});
