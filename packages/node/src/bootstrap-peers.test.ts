import { describe, expect, it } from 'vitest';
import { bootstrapPeers } from './bootstrap-peers.js';
import { parseNodeConfig } from './config.js';

describe('bootstrapPeers', () => {
  it('allows hosts of the CIDRs only while bootstrapping', () => {
    let bootstrapping = true;
    const allows = bootstrapPeers(['10.244.0.0/16'], () => bootstrapping);
    expect(allows('10.244.2.7')).toBe(true);
    expect(allows('::ffff:10.244.1.9')).toBe(true);
    expect(allows('10.245.0.1')).toBe(false);
    expect(allows('not-an-ip')).toBe(false);
    bootstrapping = false; // the first document arrived: members only
    expect(allows('10.244.2.7')).toBe(false);
  });

  it('allows nothing without CIDRs', () => {
    expect(bootstrapPeers(undefined, () => true)('10.0.0.1')).toBe(false);
  });

  it('names a bad CIDR by its field', () => {
    const base = {
      role: 'mix',
      id: 'm',
      layer: 1,
      listen: { host: '0.0.0.0', port: 1 },
      keys: { sphinxPrivateKeyFile: 's', identityPrivateKeyFile: 'i' },
      dataDir: 'd',
    };
    expect(parseNodeConfig({ ...base, bootstrapPeers: ['10.244.0.0/16'] }).bootstrapPeers).toEqual(['10.244.0.0/16']);
    expect(() => parseNodeConfig({ ...base, bootstrapPeers: ['10.244.0.0'] })).toThrow(/bootstrapPeers/);
  });
});
