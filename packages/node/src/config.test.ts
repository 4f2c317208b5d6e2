import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadNodeConfig, parseNodeConfig } from './config.js';
import { generateNodeKeys, KeyFileError, loadNodeKeys } from './keys.js';

const base = {
  role: 'mix',
  id: 'mix-1',
  layer: 1,
  listen: { host: '127.0.0.1', port: 1789 },
  keys: { sphinxPrivateKeyFile: 'k/s', identityPrivateKeyFile: 'k/i' },
  dataDir: 'data',
};

const { layer: _layer, ...mixFields } = base;
const gatewayBase = { ...mixFields, role: 'gateway' };

describe('node config', () => {
  it('fills defaults', () => {
    const c = parseNodeConfig(base);
    expect(c.role).toBe('mix');
    expect(c.replay.falsePositiveRate).toBe(1e-5);
    expect(c.links.maxQueue).toBe(10_000);
    expect(c.workers).toBeGreaterThanOrEqual(1);
  });

  it('fills the issue 14 limits with their defaults', () => {
    const c = parseNodeConfig(base);
    expect(c.links).toMatchObject({ maxQueuedBytes: 64 * 1024 * 1024, maxQueueAgeMs: 30_000 });
    expect(c.inbound).toEqual({
      maxConnections: 1024,
      maxConnectionsPerIp: 128,
      firstFrameTimeoutMs: 5_000,
      idleTimeoutMs: 300_000,
    });
    expect(c.allowLegacyVersions).toBe(false);
    expect(c.network).toBeUndefined();
    if (c.role !== 'mix') throw new Error('a mix');
    expect(c.scheduler).toEqual({ maxPackets: 50_000, maxBytes: 128 * 1024 * 1024 });
    const g = parseNodeConfig({ ...gatewayBase, websocket: { host: '::', port: 0 } });
    if (g.role !== 'gateway') throw new Error('a gateway');
    expect(g.websocket).toEqual({
      host: '::',
      port: 0,
      maxConnections: 2048,
      maxConnectionsPerIp: 32,
      maxBufferedBytes: 256 * 1024,
      authTimeoutMs: 10_000,
    });
    expect(g.mailbox).toMatchObject({ maxMailboxes: 10_000, maxTotalMessages: 200_000, maxAgeMs: 86_400_000 });
    expect(g.registration).toEqual({ ttlMs: 30 * 86_400_000, maxAddresses: 100_000 });
  });

  it('names a bad limit by its field', () => {
    const gw = { ...gatewayBase, websocket: { host: '::', port: 0, maxBufferedBytes: 0 } };
    expect(() => parseNodeConfig(gw)).toThrow(/websocket\.maxBufferedBytes/);
    expect(() => parseNodeConfig({ ...base, inbound: { maxConnectionsPerIp: -1 } })).toThrow(
      /inbound\.maxConnectionsPerIp/,
    );
    expect(() => parseNodeConfig({ ...base, scheduler: { maxPackets: 1.5 } })).toThrow(/scheduler\.maxPackets/);
    expect(() => parseNodeConfig({ ...gw, websocket: { host: '::', port: 0 }, mailbox: { maxAgeMs: 0 } })).toThrow(
      /mailbox\.maxAgeMs/,
    );
    expect(() => parseNodeConfig({ ...base, network: {} })).toThrow(/network\.topologyFile/);
  });

  it('names every bad field', () => {
    const bad = { ...base, listen: { host: '127.0.0.1', port: 70000 }, workers: -1, replay: { packetRate: 'fast' } };
    let message = '';
    try {
      parseNodeConfig(bad, 'mix.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^mix\.json: invalid config:/);
    expect(message).toContain('listen.port');
    expect(message).toContain('workers');
    expect(message).toContain('replay.packetRate');
  });

  it('refuses unknown fields and a gateway without its websocket', () => {
    expect(() => parseNodeConfig({ ...base, lisen: {} })).toThrow(/lisen/);
    expect(() => parseNodeConfig({ ...base, role: 'gateway', layer: undefined })).toThrow(/websocket/);
    expect(() => parseNodeConfig({ ...base, role: 'relay' })).toThrow(/role/);
  });

  it('reads a file and resolves its paths against the file’s folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-config-'));
    writeFileSync(join(dir, 'mix.json'), JSON.stringify({ ...base, network: { topologyFile: 'topology.json' } }));
    const c = loadNodeConfig(join(dir, 'mix.json'));
    expect(c.keys.sphinxPrivateKeyFile).toBe(join(dir, 'k/s'));
    expect(c.network?.topologyFile).toBe(join(dir, 'topology.json'));
    expect(c.dataDir).toBe(join(dir, 'data'));
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    expect(() => loadNodeConfig(join(dir, 'broken.json'))).toThrow(/broken\.json: not valid JSON/);
    expect(() => loadNodeConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read config/);
  });
});

describe('key files', () => {
  it('are written 0600, read back, and refused when others can read them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-keys-'));
    const files = {
      sphinxPrivateKeyFile: join(dir, 'n/sphinx.key'),
      identityPrivateKeyFile: join(dir, 'n/identity.key'),
    };
    const pub = generateNodeKeys(files);
    expect(statSync(files.sphinxPrivateKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.identityPrivateKeyFile).mode & 0o777).toBe(0o600);
    const keys = loadNodeKeys(files);
    expect(keys.sphinxPublicKey).toEqual(pub.sphinxPublicKey);
    expect(keys.identityPublicKey).toEqual(pub.identityPublicKey);
    expect(() => generateNodeKeys(files)).toThrow(/EEXIST/);
    chmodSync(files.sphinxPrivateKeyFile, 0o644);
    expect(() => loadNodeKeys(files)).toThrow(KeyFileError);
    expect(() => loadNodeKeys(files)).toThrow(/readable by others/);
  });
});
