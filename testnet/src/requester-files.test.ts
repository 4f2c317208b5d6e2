import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TRAFFIC } from '@mixnet/client';
import { checkResolved, parseExitPolicy } from '@mixnet/socks';
import { describe, expect, it } from 'vitest';
import { paths } from './layout.js';
import { testnetExitPolicy, writeNetworkRequester } from './requester-files.js';

describe('the testnet exit policy', () => {
  it('process runtime: the loopback host and localhost, nothing else', () => {
    const policy = parseExitPolicy(testnetExitPolicy('127.0.0.1', 'http://127.0.0.1:8545'));
    expect(policy.check({ host: '127.0.0.1', port: 8545 }).allowed).toBe(true);
    expect(policy.check({ host: '127.0.0.1', port: 31337 }).allowed).toBe(true);
    expect(policy.check({ host: '::1', port: 80 }).allowed).toBe(true);
    expect(policy.check({ host: '10.0.0.1', port: 80 }).allowed).toBe(false);
    expect(policy.check({ host: '1.1.1.1', port: 443 }).allowed).toBe(false);
    // A name is judged by what it resolves to: localhost's two addresses pass, a public one does not.
    expect(checkResolved(policy, 'localhost', ['::1', '127.0.0.1'], 3000).allowed).toBe(true);
    expect(checkResolved(policy, 'example.com', ['93.184.216.34'], 443).allowed).toBe(false);
  });

  it('docker runtime: the chain container only (the wildcard listen host names nothing)', () => {
    const text = testnetExitPolicy('0.0.0.0', 'http://172.30.0.12:8545');
    expect(text).not.toMatch(/0\.0\.0\.0/);
    const policy = parseExitPolicy(text);
    expect(policy.check({ host: '172.30.0.12', port: 8545 }).allowed).toBe(true);
    expect(policy.check({ host: '172.30.0.12', port: 22 }).allowed).toBe(false);
    expect(policy.check({ host: '172.30.0.13', port: 8545 }).allowed).toBe(false);
  });
});

describe('the testnet requester config', () => {
  it('paces its Poisson stream at a client default rate (issue 16: its cover was most of idle CPU)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'requester-files-'));
    try {
      const p = paths(dir);
      mkdirSync(join(dir, 'configs'), { recursive: true });
      mkdirSync(p.keys('network-requester'), { recursive: true });
      await writeNetworkRequester({
        p,
        rel: (file) => file,
        allocate: async () => ({ host: '127.0.0.1', listenHost: '127.0.0.1', port: 1, metricsPort: 2 }),
        host: '127.0.0.1',
        gateway: 'gateway-1',
        topologyPath: p.topology,
        directory: undefined,
        chainUrl: undefined,
        mu: 15,
        epochMs: 20_000,
        logLevel: 'warn',
      });
      const config = JSON.parse(readFileSync(p.config('network-requester'), 'utf8'));
      expect(config.traffic).toEqual({ mu: 15, sendGapMs: DEFAULT_TRAFFIC.sendGapMs });
      expect(config.traffic.sendGapMs).toBe(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
