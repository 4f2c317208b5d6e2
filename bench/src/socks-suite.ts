/**
 * SOCKS through the mixnet (issue 20): a 3-layer process testnet per μ, its network requester,
 * and in this process a client, the local SOCKS server and a plain SOCKS5 client fetching 1 MB
 * over HTTP from a local server. Time to first byte (from CONNECT to the first response byte) and
 * throughput (body bytes ÷ time from the first byte to the last), median over the downloads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@mixnet/client';
import {
  createStreamClient,
  encodeSocks5Connect,
  encodeSocks5Greeting,
  requesterAddress,
  startSocksServer,
} from '@mixnet/socks';
import { clientNetwork, downTestnet, REQUESTER_SEND_GAP_MS, upTestnet } from '@mixnet/testnet';
import type { BenchEntry, BenchReport } from './results.js';
import { machineInfo } from './results.js';
import { quantileOf } from './stats.js';

export interface SocksSuiteOptions {
  mus?: number[];
  /** Downloads per μ. */
  downloads?: number;
  /** Bytes per download. Default 1 MiB. */
  bytes?: number;
  /** The client's Poisson send gap (the requester's is the testnet's, REQUESTER_SEND_GAP_MS). */
  sendGapMs?: number;
  log?: (line: string) => void;
}

export interface SocksDownload {
  ttfbMs: number;
  totalMs: number;
  bytesPerSecond: number;
}

/** One SOCKS5 CONNECT + HTTP GET; resolves when the body is in. */
function download(proxyPort: number, webPort: number, bytes: number): Promise<SocksDownload> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(proxyPort, '127.0.0.1');
    let stage: 'greeting' | 'connect' | 'body' = 'greeting';
    let buf = Buffer.alloc(0);
    let first = 0;
    let got = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`download not done in 300 s (${got} bytes)`));
    }, 300_000);
    socket.on('connect', () => socket.write(encodeSocks5Greeting()));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (d: Buffer) => {
      if (stage === 'body') {
        if (first === 0) first = performance.now();
        got += d.length;
        return;
      }
      buf = Buffer.concat([buf, d]);
      if (stage === 'greeting' && buf.length >= 2) {
        buf = buf.subarray(2);
        stage = 'connect';
        socket.write(encodeSocks5Connect('127.0.0.1', webPort));
      }
      if (stage === 'connect' && buf.length >= 10) {
        if (buf[1] !== 0) {
          clearTimeout(timer);
          socket.destroy();
          reject(new Error(`SOCKS5 reply 0x${buf[1]?.toString(16)}`));
          return;
        }
        stage = 'body';
        socket.write(`GET /blob HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      }
    });
    socket.on('end', () => {
      clearTimeout(timer);
      const end = performance.now();
      if (got < bytes) return reject(new Error(`short download: ${got} of ${bytes}+ bytes`));
      resolve({ ttfbMs: first - started, totalMs: end - started, bytesPerSecond: (got / (end - first)) * 1000 });
    });
  });
}

export async function runSocksSuite(opts: SocksSuiteOptions = {}): Promise<{ report: BenchReport }> {
  const log = opts.log ?? (() => {});
  const mus = opts.mus ?? [0, 15];
  const n = opts.downloads ?? 3;
  const bytes = opts.bytes ?? 1024 * 1024;
  const blob = Buffer.alloc(bytes, 7);
  const web: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': blob.length });
    res.end(blob);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as { port: number }).port;
  const entries: BenchEntry[] = [];
  try {
    for (const mu of mus) {
      const dir = mkdtempSync(join(tmpdir(), 'mixnet-bench-socks-'));
      log(`socks: μ = ${mu} ms: starting a 3-layer testnet with a network requester`);
      try {
        const state = await upTestnet({
          dir,
          layers: 3,
          mu,
          chain: 'none',
          epochMs: 5_000,
          logLevel: 'warn',
          skipSmoke: true,
        });
        const client = await createClient({
          ...clientNetwork(state),
          traffic: { mu, sendGapMs: opts.sendGapMs ?? 10 },
        });
        const streams = createStreamClient({
          client,
          requester: requesterAddress(client, state.networkRequester?.id ?? 'network-requester'),
        });
        const proxy = await startSocksServer({ streams, port: 0 });
        try {
          const runs: SocksDownload[] = [];
          for (let i = 0; i < n; i++) {
            const d = await download(proxy.port, webPort, bytes);
            log(
              `socks: μ = ${mu}: ttfb ${Math.round(d.ttfbMs)} ms, ${(d.bytesPerSecond / 1024).toFixed(0)} KiB/s, total ${Math.round(d.totalMs)} ms`,
            );
            runs.push(d);
          }
          const med = (xs: number[]) => quantileOf(xs, 0.5);
          const note = `3 layers, μ = ${mu} ms, ${bytes} bytes, median of ${n}; client send gap ${opts.sendGapMs ?? 10} ms, requester ${REQUESTER_SEND_GAP_MS} ms, cover on`;
          entries.push(
            { name: `ttfb-mu${mu}`, unit: 'ms', value: Math.round(med(runs.map((r) => r.ttfbMs))), extra: note },
            {
              name: `throughput-mu${mu}`,
              unit: 'KiB/s',
              value: Math.round(med(runs.map((r) => r.bytesPerSecond)) / 1024),
              extra: note,
            },
            {
              name: `download-1mb-mu${mu}`,
              unit: 'ms',
              value: Math.round(med(runs.map((r) => r.totalMs))),
              extra: note,
            },
          );
        } finally {
          await proxy.close();
          streams.close();
          await client.close({ flushMs: 0 });
        }
      } finally {
        await downTestnet(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    web.close();
  }
  return {
    report: { suite: 'socks', date: new Date().toISOString(), machine: machineInfo(), statistic: 'median', entries },
  };
}
