/**
 * Opening the upstream connection of a stream: the exit policy on the name, then on every address
 * it resolves to (so a name cannot smuggle a refused address in), then a TCP connect with a
 * timeout. Failures come back as SOCKS5 reply codes:
 *   0x02 not allowed by the exit policy     0x04 host unreachable (no such name, no route)
 *   0x05 connection refused                 0x06 connect timed out (TTL expired, as Tor)
 *   0x01 anything else
 */
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { SOCKS5_REPLY, socks5CodeForError } from './socks-reply.js';

/** The exit policy as the requester uses it: a decision on a name, and on the addresses it resolved to. */
export interface ExitGate {
  /** undefined: allowed so far; else why not. */
  checkName(host: string, port: number): string | undefined;
  checkResolved(host: string, ips: readonly string[], port: number): string | undefined;
}

export type UpstreamResult =
  | { ok: true; socket: Socket; address: string }
  | { ok: false; code: number; reason: string; policy: boolean };

export interface UpstreamOptions {
  gate: ExitGate;
  connectTimeoutMs: number;
  /** Name resolution (all addresses); `dns.lookup` by default. */
  resolve?: (host: string) => Promise<string[]>;
}

const defaultResolve = async (host: string) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export async function openUpstream(host: string, port: number, opts: UpstreamOptions): Promise<UpstreamResult> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const byName = opts.gate.checkName(bare, port);
  if (byName) return { ok: false, code: SOCKS5_REPLY.notAllowed, reason: byName, policy: true };
  let ips: string[];
  if (isIP(bare)) ips = [bare];
  else {
    try {
      ips = await withTimeout((opts.resolve ?? defaultResolve)(bare), opts.connectTimeoutMs);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return {
        ok: false,
        code: e.code === 'TIMEOUT' ? SOCKS5_REPLY.ttlExpired : socks5CodeForError(e),
        reason: `cannot resolve ${bare}: ${e.code ?? e.message}`,
        policy: false,
      };
    }
    if (ips.length === 0)
      return { ok: false, code: SOCKS5_REPLY.hostUnreachable, reason: `${bare} has no address`, policy: false };
  }
  const byAddress = opts.gate.checkResolved(bare, ips, port);
  if (byAddress) return { ok: false, code: SOCKS5_REPLY.notAllowed, reason: byAddress, policy: true };
  // Each checked address in turn (a name may resolve to ::1 first and listen on 127.0.0.1 only).
  const deadline = performance.now() + opts.connectTimeoutMs;
  let last: UpstreamResult = { ok: false, code: SOCKS5_REPLY.hostUnreachable, reason: 'no address', policy: false };
  for (const address of ips) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    last = await connectOnce(address, port, left);
    if (last.ok) return last;
  }
  return last;
}

function connectOnce(address: string, port: number, timeoutMs: number): Promise<UpstreamResult> {
  return new Promise<UpstreamResult>((resolve) => {
    const socket = netConnect({ host: address, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({
        ok: false,
        code: SOCKS5_REPLY.ttlExpired,
        reason: `connect to ${address}:${port} timed out`,
        policy: false,
      });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ ok: true, socket, address });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({
        ok: false,
        code: socks5CodeForError(err),
        reason: `connect to ${address}:${port}: ${err.code ?? err.message}`,
        policy: false,
      });
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
