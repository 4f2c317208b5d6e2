/**
 * Issue 20 with real clients nobody here wrote: curl (SOCKS5 with remote names, SOCKS4a), Node's
 * http through socks-proxy-agent, and viem's http transport, all through `mixnet socks` and a
 * 3-layer testnet (directory, hardhat, the network requester `testnet up` starts) to local servers.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTestnet, paths, type TestnetState, upTestnet } from '@mixnet/testnet';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { createPublicClient, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './test-support/cli.js';

const BODY = randomBytes(1024 * 1024);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function curl(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('curl', ['--silent', '--show-error', '--max-time', '60', ...args]);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr, ms: performance.now() - started }),
    );
  });
}

/** viem's `fetchFn`: Node's http through the SOCKS proxy (Node's fetch takes no http.Agent). */
function socksFetch(agent: SocksProxyAgent): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const body = init?.body ? Buffer.from(init.body as string) : undefined;
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    return new Promise<Response>((resolve, reject) => {
      const req = httpRequest(url, { method: init?.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve(
            new Response(Buffer.concat(chunks), {
              status: res.statusCode ?? 500,
              headers: res.headers as Record<string, string>,
            }),
          ),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}

describe('any application through the mixnet (mixnet socks → network requester)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-socks-'));
  let state: TestnetState;
  let web: Server;
  let webPort: number;
  let proxy: ChildProcess;
  let proxyAddr: string;
  let proxyLog = '';

  beforeAll(async () => {
    expect(spawnSync('curl', ['--version']).status, 'curl is needed').toBe(0);
    web = createHttpServer((req, res) => {
      if (req.url === '/1mb') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
        res.end(BODY);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`hello ${req.url}`);
      }
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as { port: number }).port;
    state = await upTestnet({ dir, layers: 3, mu: 0, epochMs: 5_000, logLevel: 'info', skipSmoke: true });
    proxy = spawn(process.execPath, [CLI, 'socks', '--state', dir, '--listen', '127.0.0.1:0', '--send-gap', '10'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proxy.stderr?.on('data', (d: Buffer) => {
      proxyLog += d.toString();
    });
    proxyAddr = await new Promise<string>((resolve, reject) => {
      let out = '';
      proxy.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /proxy on (\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      proxy.on('exit', (code) => reject(new Error(`mixnet socks exited ${code}: ${proxyLog}`)));
    });
  });
  afterAll(async () => {
    if (process.env.SOCKS_TEST_VERBOSE) process.stderr.write(`state: ${dir}\n${proxyLog}`);
    proxy?.kill('SIGTERM');
    web?.close();
    await downTestnet(dir);
  });

  it('curl --socks5-hostname downloads 1 MB byte-identical', async () => {
    const r = await curl(['--socks5-hostname', proxyAddr, `http://localhost:${webPort}/1mb`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(BODY.length);
    expect(sha(r.stdout)).toBe(sha(BODY));
  });

  it('curl --socks4a fetches by name', async () => {
    const r = await curl(['--socks4a', proxyAddr, `http://localhost:${webPort}/four-a`]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('hello /four-a');
  });

  it('a destination the exit policy refuses gets the SOCKS error at once, and the requester logs it', async () => {
    const r = await curl(['--socks5-hostname', proxyAddr, 'http://192.0.2.1:8080/']);
    // 97: CURLE_PROXY; curl 7.88 names the SOCKS5 reply code: "(2)", not allowed by the ruleset.
    expect(r.code).toBe(97);
    expect(r.stderr).toMatch(/SOCKS5 connection to 192\.0\.2\.1\. \(2\)/);
    // Well before any timeout (the proxy's open timeout is 60 s, curl's 60 s).
    expect(r.ms).toBeLessThan(30_000);
    const log = readFileSync(paths(dir).log('network-requester'), 'utf8');
    expect(log).toMatch(/refused 192\.0\.2\.1:8080/);
  });

  it("Node's http through socks-proxy-agent", async () => {
    const agent = new SocksProxyAgent(`socks5h://${proxyAddr}`);
    const body = await new Promise<string>((resolve, reject) => {
      httpGet(`http://127.0.0.1:${webPort}/agent`, { agent }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('hello /agent');
  });

  it("viem's http transport reaches the chain through the proxy", async () => {
    const agent = new SocksProxyAgent(`socks5h://${proxyAddr}`);
    const client = createPublicClient({
      transport: http(state.chainUrl, { fetchFn: socksFetch(agent), retryCount: 0, timeout: 60_000 }),
    });
    expect(await client.getChainId()).toBe(31337);
    expect(typeof (await client.getBlockNumber())).toBe('bigint');
  });
});
