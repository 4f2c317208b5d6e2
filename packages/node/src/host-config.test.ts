/** The node host's config (issue 16): a host file or a folder of node configs, and its errors. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { loadHostConfig } from './host-config.js';

const node = (id: string, role: 'mix' | 'gateway') => ({
  role,
  id,
  ...(role === 'mix' ? { layer: 1 } : { websocket: { host: '127.0.0.1', port: 0 } }),
  listen: { host: '127.0.0.1', port: 0 },
  keys: { sphinxPrivateKeyFile: `keys/${id}/s`, identityPrivateKeyFile: `keys/${id}/i` },
  dataDir: `data/${id}`,
});

function folder(configs: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-host-'));
  mkdirSync(join(dir, 'configs'));
  for (const [name, c] of Object.entries(configs)) writeFileSync(join(dir, 'configs', name), JSON.stringify(c));
  return dir;
}

describe('host config', () => {
  it('reads a host file: its workers, and node configs resolved beside it', () => {
    const dir = folder({ 'mix-1.json': node('mix-1', 'mix'), 'gw.json': node('gw', 'gateway') });
    const file = join(dir, 'configs', 'host.json');
    writeFileSync(file, JSON.stringify({ workers: 2, nodes: ['mix-1.json', 'gw.json'] }));
    const h = loadHostConfig(file);
    expect(h.workers).toBe(2);
    expect(h.nodes.map((n) => `${n.role}:${n.id}`)).toEqual(['mix:mix-1', 'gateway:gw']);
    expect(h.nodes[0]?.dataDir).toBe(join(dir, 'configs', 'data', 'mix-1'));
  });

  it('reads a folder: every *.json, in name order, one worker', () => {
    const dir = folder({ 'b.json': node('mix-2', 'mix'), 'a.json': node('mix-1', 'mix'), 'notes.txt': 'x' });
    const h = loadHostConfig(join(dir, 'configs'));
    expect(h.workers).toBe(1);
    expect(h.nodes.map((n) => n.id)).toEqual(['mix-1', 'mix-2']);
  });

  it('names the field of bad input', () => {
    const dir = folder({ 'a.json': node('mix-1', 'mix'), 'b.json': node('mix-1', 'mix') });
    expect(() => loadHostConfig(join(dir, 'configs'))).toThrow(/nodes: the id mix-1 appears twice/);
    const empty = join(dir, 'host.json');
    writeFileSync(empty, JSON.stringify({ nodes: [] }));
    expect(() => loadHostConfig(empty)).toThrow(ConfigError);
    expect(() => loadHostConfig(empty)).toThrow(/nodes/);
    writeFileSync(empty, JSON.stringify({ nodes: ['a.json'], workers: -1 }));
    expect(() => loadHostConfig(empty)).toThrow(/workers/);
    expect(() => loadHostConfig(join(dir, 'nothing-here'))).toThrow(/no such file or folder/);
    const none = mkdtempSync(join(tmpdir(), 'mixnet-host-'));
    expect(() => loadHostConfig(none)).toThrow(/holds no \*\.json node config/);
  });
});
