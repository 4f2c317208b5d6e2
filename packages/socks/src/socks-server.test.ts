/** The local SOCKS server against a stream client stand-in: replies, refusals, slow clients, early data. */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSocks4Connect, encodeSocks5Connect, encodeSocks5Greeting } from './socks-client.js';
import { type SocksServer, startSocksServer } from './socks-server.js';
import type { StreamClient, StreamClientStats } from './stream-client.js';
import { createStreamMux, type MuxStream, type OpenResult } from './stream-mux.js';

/** A stream client whose "requester" is an in-memory mux: `answer` decides each open. */
function fakeStreams(answer: (host: string, port: number, s: MuxStream) => void): StreamClient {
  const client = createStreamMux({ onOutbound: () => server.receive(client.take(1 << 20)) });
  const server = createStreamMux({
    onOutbound: () => client.receive(server.take(1 << 20)),
    onOpen: (s, host, port) => answer(host, port, s),
  });
  return {
    open: (host, port, timeoutMs = 1_000): Promise<OpenResult> => client.open(host, port, timeoutMs),
    stats: () => ({ ...client.stats() }) as StreamClientStats,
    close: () => client.close(),
  };
}

function talk(port: number): { socket: Socket; received: () => Buffer; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<void>((res) => socket.on('close', () => res()));
  return { socket, received: () => Buffer.concat(chunks), closed };
}

let server: SocksServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SOCKS server', () => {
  it('SOCKS5: connects, replies success, and carries the bytes sent right after the request', async () => {
    let upstream: MuxStream | undefined;
    server = await startSocksServer({
      port: 0,
      streams: fakeStreams((host, port, s) => {
        expect([host, port]).toEqual(['example.org', 80]);
        upstream = s;
        s.accept();
        s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
      }),
    });
    const c = talk(server.port);
    // Greeting, request and data in one write (an optimistic client): nothing may be lost.
    c.socket.write(
      Buffer.concat([encodeSocks5Greeting(), encodeSocks5Connect('example.org', 80, 'domain'), Buffer.from('ping')]),
    );
    await expect.poll(() => c.received().length).toBeGreaterThanOrEqual(2 + 10 + 4);
    const got = c.received();
    expect([...got.subarray(0, 2)]).toEqual([5, 0]);
    expect(got[3]).toBe(0); // REP succeeded
    expect(got.subarray(12).toString()).toBe('PING');
    c.socket.end();
    upstream?.end();
    await c.closed;
  });

  it('a refused destination gets its code at once (SOCKS5 02, SOCKS4 5b), then the connection closes', async () => {
    server = await startSocksServer({ port: 0, streams: fakeStreams((_h, _p, s) => s.refuse(0x02)) });
    const five = talk(server.port);
    five.socket.write(Buffer.concat([encodeSocks5Greeting(), encodeSocks5Connect('10.0.0.1', 22)]));
    await five.closed;
    expect([...five.received().subarray(2, 4)]).toEqual([5, 0x02]);

    const four = talk(server.port);
    four.socket.write(encodeSocks4Connect('10.0.0.1', 22));
    await four.closed;
    expect(four.received()[1]).toBe(0x5b);
  });

  it('no answer through the mixnet: reply 06 after the open timeout, never a silent hang', async () => {
    server = await startSocksServer({ port: 0, openTimeoutMs: 100, streams: fakeStreams(() => {}) });
    const c = talk(server.port);
    c.socket.write(Buffer.concat([encodeSocks5Greeting(), encodeSocks5Connect('example.org', 80, 'domain')]));
    await c.closed;
    expect([...c.received().subarray(2, 4)]).toEqual([5, 0x06]);
  });

  it('closes a client that never finishes its handshake, and one that is not SOCKS', async () => {
    const events: string[] = [];
    server = await startSocksServer({
      port: 0,
      handshakeTimeoutMs: 100,
      streams: fakeStreams((_h, _p, s) => s.accept()),
      onEvent: (e) => events.push(e.type),
    });
    const slow = talk(server.port);
    slow.socket.write(Uint8Array.of(5));
    await slow.closed;
    const http = talk(server.port);
    http.socket.write('GET / HTTP/1.1\r\n\r\n');
    await http.closed;
    expect(events.filter((e) => e === 'bad-handshake')).toHaveLength(2);
  });
});
