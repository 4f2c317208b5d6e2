/**
 * curl (a client no one here wrote) against the codec, replies and policy: a minimal proxy loop
 * built only for this test. Checks that curl accepts our replies and reports our refusals.
 */
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResolved, type ExitPolicy, parseExitPolicy } from './exit-policy.js';
import { createSocksParser } from './socks-codec.js';
import { failureReply, SOCKS5_REPLY, socks5CodeForError, successReply } from './socks-reply.js';

const run = promisify(execFile);

function proxyConnection(socket: Socket, policy: ExitPolicy): void {
  const parser = createSocksParser();
  const onData = async (chunk: Buffer): Promise<void> => {
    const result = parser.push(chunk);
    if (result.kind === 'error') {
      socket.end(result.error.reply);
      return;
    }
    if (result.reply) socket.write(result.reply);
    if (result.kind !== 'request') return;
    socket.off('data', onData);
    socket.pause();
    const { version, host, port } = result.request;
    const ips = await lookup(host, { all: true }).then(
      (all) => all.map((a) => a.address),
      () => [],
    );
    const verdict = checkResolved(policy, host, ips, port);
    if (!verdict.allowed || !verdict.address) {
      socket.end(failureReply(version, SOCKS5_REPLY.notAllowed));
      return;
    }
    // The test server listens on IPv4 only; localhost may also resolve to ::1.
    const upstream = connect({ host: ips.find((ip) => ip.includes('.')) ?? verdict.address, port });
    upstream.on('connect', () => {
      socket.write(successReply(version));
      upstream.write(result.rest);
      socket.pipe(upstream).pipe(socket);
      socket.resume();
    });
    upstream.on('error', (error) => socket.end(failureReply(version, socks5CodeForError(error))));
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

let web: Server;
let proxy: NetServer;
let webPort = 0;
let proxyPort = 0;
let closedPort = 0;

beforeAll(async () => {
  web = createHttpServer((_req, res) => res.end('hello through socks'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as AddressInfo).port;
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const policy = parseExitPolicy(
    `accept 127.0.0.1:${webPort}, accept [::1]:${webPort}\naccept 127.0.0.1:${closedPort}\nreject *:*`,
  );
  proxy = createServer((socket) => proxyConnection(socket, policy));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await new Promise((resolve) => web.close(resolve));
});

async function curl(flag: string, url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '20', flag, `127.0.0.1:${proxyPort}`, url]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('curl through a proxy built on the codec', () => {
  it.each(['--socks5-hostname', '--socks5', '--socks4a', '--socks4'])(
    '%s fetches an allowed destination',
    async (flag) => {
      const result = await curl(flag, `http://localhost:${webPort}/`);
      expect(result).toMatchObject({ code: 0, stdout: 'hello through socks' });
    },
  );

  it.each(['--socks5-hostname', '--socks4a'])('%s: a refused destination is reported, not a hang', async (flag) => {
    const result = await curl(flag, `http://127.0.0.2:${webPort}/`);
    // 97: proxy handshake failed; curl prints the reply code: REP 2 (not allowed), CD 91 (0x5b).
    expect(result.code).toBe(97);
    expect(result.stderr).toContain(flag === '--socks4a' ? '(91)' : '(2)');
  });

  it('an allowed destination with nothing listening: REP 5, connection refused', async () => {
    const result = await curl('--socks5-hostname', `http://127.0.0.1:${closedPort}/`);
    expect(result.code).toBe(97);
    expect(result.stderr).toContain('(5)');
  });
});
