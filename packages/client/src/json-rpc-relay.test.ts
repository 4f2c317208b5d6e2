/** The service provider's relay policy (json-rpc-relay.ts) against a real local HTTP upstream. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RelayErrorCode,
  type RelayOutcome,
  type RelayPolicy,
  relayJsonRpc,
  resolveUpstream,
} from './json-rpc-relay.js';

interface Received {
  path: string;
  body: unknown;
}

interface Upstream {
  server: Server;
  base: string;
  received: Received[];
}

const MAX_RESPONSE = 1000;

/** A JSON-RPC answer of exactly `n` bytes. */
function answerOfSize(n: number): string {
  const empty = JSON.stringify({ jsonrpc: '2.0', id: 1, result: '' });
  return JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'x'.repeat(n - empty.length) });
}

function echo(call: { id?: unknown; method?: unknown; params?: unknown }) {
  return { jsonrpc: '2.0', id: call.id, result: { method: call.method, params: call.params } };
}

async function startUpstream(handle: (path: string, body: unknown, res: ServerResponse) => void): Promise<Upstream> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // recorded as text
      }
      const path = req.url ?? '';
      received.push({ path, body });
      handle(path, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, received };
}

async function stop(u: Upstream | undefined) {
  if (!u) return;
  u.server.closeAllConnections();
  await new Promise<void>((resolve) => u.server.close(() => resolve()));
}

let upstream: Upstream;
/** Not on any allow-list: the target of the redirect, and an address a requester might try. */
let outsider: Upstream;
let policy: RelayPolicy;

beforeAll(async () => {
  outsider = await startUpstream((_path, body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(echo(body as { id?: unknown })));
  });
  upstream = await startUpstream((path, body, res) => {
    const json = (value: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(typeof value === 'string' ? value : JSON.stringify(value));
    };
    if (path === '/rpc') json(Array.isArray(body) ? body.map(echo) : echo(body as { id?: unknown }));
    else if (path === '/slow') {
      const timer = setTimeout(() => json(echo(body as { id?: unknown })), 5_000);
      res.on('close', () => clearTimeout(timer));
    } else if (path === '/stall') {
      // Headers and half a body, then nothing.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0","id":');
    } else if (path === '/big') json(answerOfSize(50_000));
    else if (path === '/exact') json(answerOfSize(MAX_RESPONSE));
    else if (path === '/over') json(answerOfSize(MAX_RESPONSE + 1));
    else if (path === '/redirect') {
      res.writeHead(307, { location: `${outsider.base}/rpc` });
      res.end();
    } else if (path === '/not-json') json('this is not JSON');
    else if (path === '/forgetful') json([]);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  const u = (p: string) => `${upstream.base}${p}`;
  policy = {
    upstreams: {
      main: u('/rpc'),
      slow: u('/slow'),
      stall: u('/stall'),
      big: u('/big'),
      exact: u('/exact'),
      over: u('/over'),
      redirect: u('/redirect'),
      notJson: u('/not-json'),
      forgetful: u('/forgetful'),
    },
    methods: ['eth_chainId', 'eth_blockNumber', 'eth_call'],
    maxRequestBytes: 2048,
    maxResponseBytes: MAX_RESPONSE,
    timeoutMs: 5_000,
  };
});

afterAll(async () => {
  await stop(upstream);
  await stop(outsider);
});

beforeEach(() => {
  upstream.received.length = 0;
  outsider.received.length = 0;
});

const rpc = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params });

async function relay(
  envelope: unknown,
  p: RelayPolicy = policy,
): Promise<{ outcome: RelayOutcome; answer: Record<string, unknown> & Record<number, Record<string, unknown>> }> {
  const bytes = envelope instanceof Uint8Array ? envelope : new TextEncoder().encode(JSON.stringify(envelope));
  const outcome = await relayJsonRpc(p, bytes);
  return { outcome, answer: JSON.parse(new TextDecoder().decode(outcome.response)) };
}

const errorCode = (a: unknown) => (a as { error?: { code?: number } }).error?.code;

describe('relayJsonRpc: allowed calls', () => {
  it('forwards an allowed method to the default upstream and returns its answer', async () => {
    const { outcome, answer } = await relay({ rpc: rpc(1, 'eth_chainId') });
    expect(answer).toEqual({ jsonrpc: '2.0', id: 1, result: { method: 'eth_chainId', params: [] } });
    expect(outcome).toMatchObject({ forwarded: 1, refused: 0 });
    expect(upstream.received).toEqual([{ path: '/rpc', body: rpc(1, 'eth_chainId') }]);
  });

  it('accepts an allowed upstream by name or by its exact URL', async () => {
    await relay({ upstream: 'main', rpc: rpc(2, 'eth_blockNumber') });
    await relay({ upstream: `${upstream.base}/rpc`, rpc: rpc(3, 'eth_blockNumber') });
    expect(upstream.received.map((r) => [r.path, (r.body as { id: number }).id])).toEqual([
      ['/rpc', 2],
      ['/rpc', 3],
    ]);
  });

  it('forwards only the allowed calls of a batch and answers each item in order', async () => {
    const batch = [
      rpc(1, 'eth_chainId'),
      rpc(2, 'eth_sign', ['0x00']),
      { id: 3, method: 'eth_chainId' }, // no jsonrpc: not a request
      rpc(4, 'eth_call', [{ to: '0x01' }]),
      rpc(5, 'admin_peers'),
    ];
    const { outcome, answer } = await relay({ rpc: batch });
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]?.body).toEqual([batch[0], batch[3]]);
    expect(Array.isArray(answer)).toBe(true);
    const items = answer as unknown as Record<string, unknown>[];
    expect(items).toHaveLength(5);
    expect(items[0]).toEqual(echo(batch[0] as { id: number }));
    expect(items[1]).toMatchObject({ id: 2, error: { code: RelayErrorCode.MethodNotAllowed } });
    expect(items[2]).toMatchObject({ id: null, error: { code: RelayErrorCode.InvalidRequest } });
    expect(items[3]).toEqual(echo(batch[3] as { id: number }));
    expect(items[4]).toMatchObject({ id: 5, error: { code: RelayErrorCode.MethodNotAllowed } });
    expect(outcome).toMatchObject({ forwarded: 2, refused: 3 });
  });

  it('says so when the upstream leaves a batch item unanswered', async () => {
    const { answer } = await relay({ upstream: 'forgetful', rpc: [rpc(1, 'eth_chainId')] });
    expect((answer as unknown as unknown[])[0]).toMatchObject({
      id: 1,
      error: { code: RelayErrorCode.UpstreamFailed },
    });
  });
});

describe('relayJsonRpc: refusals forward nothing', () => {
  it('refuses a method outside the allow-list with -32601', async () => {
    for (const method of ['eth_sign', 'personal_unlockAccount', 'admin_addPeer', 'ETH_CHAINID', 'eth_chainId ', '']) {
      const { outcome, answer } = await relay({ rpc: rpc(9, method) });
      expect(answer, method).toMatchObject({ jsonrpc: '2.0', id: 9, error: { code: -32601 } });
      expect(outcome).toMatchObject({ forwarded: 0, refused: 1 });
    }
    // A batch with nothing allowed sends nothing either.
    await relay({ rpc: [rpc(1, 'eth_sign'), rpc(2, 'eth_accounts')] });
    expect(upstream.received).toEqual([]);
  });

  it('refuses an upstream not on the allow-list with -32010, by name or URL', async () => {
    const requested: unknown[] = [
      'nope',
      `${outsider.base}/rpc`,
      `${upstream.base}/rpc/`,
      `${upstream.base}/RPC`,
      `${upstream.base}/admin`,
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      42,
      null,
      { main: true },
      ['main'],
    ];
    for (const up of requested) {
      const { outcome, answer } = await relay({ upstream: up, rpc: rpc(1, 'eth_chainId') });
      expect(errorCode(answer), JSON.stringify(up)).toBe(-32010);
      expect(outcome.forwarded).toBe(0);
    }
    const { answer } = await relay({ upstream: 'nope', rpc: [rpc(1, 'eth_chainId'), rpc(2, 'eth_blockNumber')] });
    expect((answer as unknown as unknown[]).map(errorCode)).toEqual([-32010, -32010]);
    expect(upstream.received).toEqual([]);
    expect(outsider.received).toEqual([]);
  });

  it('refuses a relay request that is not JSON, or not UTF-8, with -32600', async () => {
    for (const bytes of [
      new TextEncoder().encode('{"rpc": '),
      new TextEncoder().encode('eth_chainId'),
      Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d),
      new Uint8Array(0),
    ]) {
      const { outcome, answer } = await relay(bytes);
      expect(answer).toMatchObject({ id: null, error: { code: RelayErrorCode.InvalidRequest } });
      expect(outcome.forwarded).toBe(0);
    }
    expect(upstream.received).toEqual([]);
  });

  it('refuses what is JSON but not a request, an empty batch and a batch over 100', async () => {
    const bad = [
      null,
      42,
      'eth_chainId',
      {},
      { rpc: null },
      { rpc: { method: 'eth_chainId' } },
      { rpc: { jsonrpc: '1.0', id: 1, method: 'eth_chainId' } },
      { rpc: { jsonrpc: '2.0', id: 1, method: 5 } },
      { rpc: [] },
      { rpc: Array.from({ length: 101 }, (_, i) => rpc(i, 'eth_chainId')) },
    ];
    for (const envelope of bad) {
      const { answer } = await relay(envelope, { ...policy, maxRequestBytes: 1 << 20 });
      const first = Array.isArray(answer) ? answer[0] : answer;
      expect(errorCode(first), JSON.stringify(envelope)?.slice(0, 60)).toBe(RelayErrorCode.InvalidRequest);
    }
    expect(upstream.received).toEqual([]);
  });

  it('refuses a request over maxRequestBytes without parsing or forwarding it', async () => {
    const big = { rpc: rpc(1, 'eth_call', ['x'.repeat(policy.maxRequestBytes)]) };
    const { outcome, answer } = await relay(big);
    expect(answer).toMatchObject({ error: { code: RelayErrorCode.TooLarge } });
    expect(outcome.forwarded).toBe(0);
    expect(upstream.received).toEqual([]);
    // Just under the limit goes through.
    const base = JSON.stringify({ rpc: rpc(1, 'eth_call', ['']) }).length;
    const fits = { rpc: rpc(1, 'eth_call', ['x'.repeat(policy.maxRequestBytes - base)]) };
    expect(JSON.stringify(fits)).toHaveLength(policy.maxRequestBytes);
    expect((await relay(fits)).outcome.forwarded).toBe(1);
  });
});

describe('relayJsonRpc: upstream failures', () => {
  it('answers -32011 with a timeout message when the upstream is slower than timeoutMs', async () => {
    const { outcome, answer } = await relay(
      { upstream: 'slow', rpc: rpc(7, 'eth_chainId') },
      { ...policy, timeoutMs: 150 },
    );
    expect(answer).toMatchObject({ id: 7, error: { code: RelayErrorCode.UpstreamFailed } });
    expect((answer as { error: { message: string } }).error.message).toMatch(/timed out after 150 ms/);
    expect(outcome.forwarded).toBe(1);
    // In a batch every forwarded item gets the error; refused ones keep theirs.
    const batch = await relay(
      { upstream: 'slow', rpc: [rpc(1, 'eth_chainId'), rpc(2, 'eth_sign'), rpc(3, 'eth_blockNumber')] },
      { ...policy, timeoutMs: 150 },
    );
    expect((batch.answer as unknown as unknown[]).map(errorCode)).toEqual([-32011, -32601, -32011]);
  });

  it('times out an upstream that stalls halfway through its body', async () => {
    const { answer } = await relay({ upstream: 'stall', rpc: rpc(8, 'eth_chainId') }, { ...policy, timeoutMs: 150 });
    expect(answer).toMatchObject({ id: 8, error: { code: RelayErrorCode.UpstreamFailed } });
    expect((answer as { error: { message: string } }).error.message).toMatch(/timed out after 150 ms/);
  });

  it('answers -32012 when the upstream response exceeds maxResponseBytes, and accepts exactly the limit', async () => {
    for (const name of ['big', 'over']) {
      const { answer } = await relay({ upstream: name, rpc: rpc(1, 'eth_chainId') });
      expect(answer, name).toMatchObject({ id: 1, error: { code: RelayErrorCode.TooLarge } });
    }
    const { answer } = await relay({ upstream: 'exact', rpc: rpc(1, 'eth_chainId') });
    expect(answer).toMatchObject({ id: 1, result: expect.any(String) });
  });

  it('does not follow a redirect, even to a server that would answer', async () => {
    const { answer } = await relay({ upstream: 'redirect', rpc: rpc(1, 'eth_chainId') });
    expect(answer).toMatchObject({ id: 1, error: { code: RelayErrorCode.UpstreamFailed } });
    expect(upstream.received.map((r) => r.path)).toEqual(['/redirect']);
    expect(outsider.received).toEqual([]);
  });

  it('answers -32011 when the upstream does not answer JSON or is unreachable', async () => {
    const notJson = await relay({ upstream: 'notJson', rpc: rpc(1, 'eth_chainId') });
    expect(notJson.answer).toMatchObject({ id: 1, error: { code: RelayErrorCode.UpstreamFailed } });
    const closed = await startUpstream(() => {});
    const url = `${closed.base}/rpc`;
    await stop(closed);
    const down = await relay({ rpc: rpc(1, 'eth_chainId') }, { ...policy, upstreams: { down: url } });
    expect(down.answer).toMatchObject({ id: 1, error: { code: RelayErrorCode.UpstreamFailed } });
  });
});

describe('relayJsonRpc: state overrides (issue 14 #11)', () => {
  const overrides = { '0x0000000000000000000000000000000000000001': { code: '0x6000' } };

  it('refuses eth_call and eth_estimateGas with state or block overrides unless allowed; forwards nothing', async () => {
    const p = { ...policy, methods: ['eth_call', 'eth_estimateGas'] };
    const calls = [
      rpc(1, 'eth_call', [{ to: '0x01' }, 'latest', overrides]),
      rpc(2, 'eth_call', [{ to: '0x01' }, 'latest', null, { number: '0x1' }]), // block overrides
      rpc(3, 'eth_estimateGas', [{ to: '0x01' }, 'latest', overrides]),
      { jsonrpc: '2.0', id: 4, method: 'eth_call', params: { transaction: { to: '0x01' }, stateOverride: overrides } },
    ];
    for (const call of calls) {
      const { outcome, answer } = await relay({ rpc: call }, p);
      expect(answer, JSON.stringify(call)).toMatchObject({
        id: call.id,
        error: { code: RelayErrorCode.InvalidParams },
      });
      expect(outcome).toMatchObject({ forwarded: 0, refused: 1 });
    }
    expect(upstream.received).toEqual([]);
  });

  it('forwards the same calls without overrides (absent or null), and with them when configured', async () => {
    const p = { ...policy, methods: ['eth_call', 'eth_estimateGas'] };
    const plain = [
      rpc(1, 'eth_call', [{ to: '0x01' }, 'latest']),
      rpc(2, 'eth_call', [{ to: '0x01' }, 'latest', null]),
      rpc(3, 'eth_estimateGas', [{ to: '0x01' }]),
      { jsonrpc: '2.0', id: 4, method: 'eth_call' },
    ];
    for (const call of plain) expect((await relay({ rpc: call }, p)).outcome).toMatchObject({ forwarded: 1 });
    const over = rpc(5, 'eth_call', [{ to: '0x01' }, 'latest', overrides]);
    const allowed = await relay({ rpc: over }, { ...p, allowStateOverrides: true });
    expect(allowed.outcome).toMatchObject({ forwarded: 1, refused: 0 });
    expect(upstream.received.map((r) => (r.body as { id: number }).id)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('resolveUpstream', () => {
  it('takes the first upstream by default and nothing outside the list', () => {
    const p = { ...policy, upstreams: { a: 'http://a.example/', b: 'http://b.example/' } };
    expect(resolveUpstream(p, undefined)).toBe('http://a.example/');
    expect(resolveUpstream(p, 'b')).toBe('http://b.example/');
    expect(resolveUpstream(p, 'http://b.example/')).toBe('http://b.example/');
    expect(resolveUpstream(p, 'http://c.example/')).toBeUndefined();
    expect(resolveUpstream(p, 'valueOf')).toBeUndefined();
    expect(resolveUpstream({ ...p, upstreams: {} }, undefined)).toBeUndefined();
  });
});
