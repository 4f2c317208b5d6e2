/**
 * The config of a node host (`mixnet run host --config FILE`): which node configs it runs and how
 * many Sphinx worker threads they share. FILE is either a JSON host file
 * `{ "workers": 1, "nodes": ["mix-1-1.json", …] }` (paths relative to it) or a folder, whose every
 * `*.json` is a mix or gateway config.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfigFile, loadNodeConfig, type NodeConfig } from './config.js';

export const hostConfigSchema = z
  .object({
    /** Worker threads shared by all the host's nodes (0: Sphinx on the main thread). */
    workers: z.number().int().min(0).max(64).default(1),
    nodes: z.array(z.string().min(1)).min(1),
  })
  .strict();

export interface HostConfig {
  workers: number;
  /** The node configs, loaded and validated. */
  nodes: NodeConfig[];
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    throw new ConfigError(`${path}: no such file or folder`);
  }
}

export function loadHostConfig(path: string): HostConfig {
  let workers = 1;
  let files: string[];
  if (statOf(path).isDirectory()) {
    files = readdirSync(path)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(path, f));
    if (files.length === 0) throw new ConfigError(`${path}: nodes: the folder holds no *.json node config`);
  } else {
    const { config } = loadConfigFile(path, hostConfigSchema);
    workers = config.workers;
    files = config.nodes.map((f) => resolve(dirname(path), f));
  }
  const nodes = files.map((f) => loadNodeConfig(f));
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.id)) throw new ConfigError(`${path}: nodes: the id ${n.id} appears twice`);
    seen.add(n.id);
  }
  return { workers, nodes };
}
