/** The node config's `directory` field (configs.md) and loop cover routes with or without a topology file. */
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from './config.js';

const base = {
  role: 'mix',
  id: 'mix-1',
  layer: 1,
  listen: { host: '127.0.0.1', port: 1789 },
  keys: { sphinxPrivateKeyFile: 'k/s', identityPrivateKeyFile: 'k/i' },
  dataDir: 'data',
};
const directory = { url: 'http://127.0.0.1:7000', publicKey: 'ab'.repeat(32) };

describe('node config: directory', () => {
  it('takes a URL and a key, announcing every 5 s by default', () => {
    const c = parseNodeConfig({ ...base, directory });
    expect(c.directory).toEqual({ ...directory, announceMs: 5_000 });
    expect(parseNodeConfig(base).directory).toBeUndefined();
  });

  it('names the bad fields', () => {
    expect(() => parseNodeConfig({ ...base, directory: { ...directory, url: 'ftp://x' } })).toThrow(/directory\.url/);
    expect(() => parseNodeConfig({ ...base, directory: { ...directory, publicKey: 'AB'.repeat(32) } })).toThrow(
      /directory\.publicKey/,
    );
    expect(() => parseNodeConfig({ ...base, directory: { ...directory, announceMs: 5 } })).toThrow(
      /directory\.announceMs/,
    );
    expect(() => parseNodeConfig({ ...base, directory: { ...directory, extra: 1 } })).toThrow(/extra/);
  });

  it('loop cover needs a topology file or a directory', () => {
    const cover = { rateHz: 5 };
    expect(() => parseNodeConfig({ ...base, cover })).toThrow(/cover\.topologyFile/);
    expect(parseNodeConfig({ ...base, cover, directory }).role).toBe('mix');
    expect(parseNodeConfig({ ...base, cover: { ...cover, topologyFile: 't.json' } }).role).toBe('mix');
  });
});
