/**
 * The directory's config (/work configs contract, docs/directory.md): a JSON file validated at
 * start-up with zod; an error names the field. Paths in the file are relative to its folder.
 * Timings left out are derived from `epochMs` (announce and monitor: a quarter of it; grace: one epoch).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MAX_DOCUMENT_MU_MS } from '@mixnet/sphinx/wire';
import { z } from 'zod';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex');

const monitor = z
  .object({
    intervalMs: z.number().int().min(50).optional(),
    packetsPerNode: z.number().int().min(1).max(100).default(4),
    timeoutMs: z.number().int().min(10).default(3_000),
    window: z.number().int().min(1).max(1_000).default(6),
    muMs: z.number().min(0).max(1_000).default(2),
    /**
     * The probe budget of an epoch (nym-api sends a fixed test load per run), shared out over its
     * rounds; every node still gets ≥ 1 probe a round. Left out: packetsPerNode per node per round.
     */
    probesPerEpoch: z.number().int().min(1).max(1_000_000).optional(),
    /**
     * With probesPerEpoch: the budget is a ceiling even under one probe per node and round; a round
     * then tests that many nodes, those untested longest first (once a document is out). Default false.
     */
    strictBudget: z.boolean().default(false),
    /** A round's probes are spaced over this long (default 0: one burst; spreading delays dead-node detection). */
    spreadMs: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * Auto-sizing (docs/directory.md §7): each epoch the width per layer and the published μ come from
 * the measured traffic and the anonymity target; `activePerLayer` (and admin scale) are then unused.
 */
const activeSet = z
  .object({
    mode: z.literal('auto'),
    anonymityTargetBits: z.number().gt(0).max(32),
    minWidth: z.number().int().min(1).max(1_000).default(1),
    maxWidth: z.number().int().min(1).max(1_000).default(16),
    mu: z
      .object({
        minMs: z.number().min(0).max(MAX_DOCUMENT_MU_MS).default(1),
        maxMs: z.number().min(0.1).max(MAX_DOCUMENT_MU_MS).default(200),
      })
      .strict()
      .refine((m) => m.maxMs >= m.minMs, { message: 'maxMs must be ≥ minMs', path: ['maxMs'] })
      .default({ minMs: 1, maxMs: 200 }),
  })
  .strict()
  .refine((a) => a.maxWidth >= a.minWidth, { message: 'must be ≥ minWidth', path: ['maxWidth'] });

export type ActiveSetConfig = z.infer<typeof activeSet>;

export const directoryConfigSchema = z
  .object({
    role: z.literal('directory'),
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 chars of [A-Za-z0-9._-]'),
    listen: hostPort,
    identityKeyFile: z.string().min(1),
    dataDir: z.string().min(1),
    epochMs: z.number().int().min(100).default(20_000),
    graceMs: z.number().int().min(0).optional(),
    keyRotationEpochs: z.number().int().min(1).default(3),
    /** How often nodes re-announce; a node silent for 3 × this is expired. */
    announceMs: z.number().int().min(10).optional(),
    layers: z.number().int().min(1).max(4).default(3),
    activePerLayer: z.number().int().min(1).max(1_000).default(2),
    activeGateways: z.number().int().min(1).max(1_000).default(2),
    activeSet: activeSet.optional(),
    admission: z.union([z.literal('open'), z.object({ identityKeys: z.array(hex32) }).strict()]),
    adminTokenFile: z.string().min(1).optional(),
    monitor: monitor.default({ packetsPerNode: 4, timeoutMs: 3_000, window: 6, muMs: 2, strictBudget: false }),
    /** Signed documents kept in dataDir (older ones are deleted). */
    historyEpochs: z.number().int().min(2).default(1_000),
    log: z
      .object({ level: logLevel.default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type DirectoryConfigInput = z.input<typeof directoryConfigSchema>;
type Parsed = z.infer<typeof directoryConfigSchema>;

/** The config with every default filled in. */
export interface DirectoryConfig extends Omit<Parsed, 'graceMs' | 'announceMs' | 'monitor'> {
  graceMs: number;
  announceMs: number;
  monitor: Required<Omit<Parsed['monitor'], 'probesPerEpoch'>> & { probesPerEpoch?: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; the error lists every bad field by its path. */
export function parseDirectoryConfig(value: unknown, source = 'config'): DirectoryConfig {
  const result = directoryConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`${source}: invalid config: ${problems.join('; ')}`);
  }
  const c = result.data;
  const quarter = Math.max(10, Math.floor(c.epochMs / 4));
  return {
    ...c,
    graceMs: c.graceMs ?? c.epochMs,
    announceMs: c.announceMs ?? quarter,
    monitor: monitorTimings(c.monitor, quarter),
  };
}

function monitorTimings(m: Parsed['monitor'], quarter: number): DirectoryConfig['monitor'] {
  const intervalMs = m.intervalMs ?? Math.max(50, quarter);
  return { ...m, intervalMs, spreadMs: m.spreadMs ?? 0 };
}

/** Reads, parses and validates a config file; relative paths in it become absolute. */
export function loadDirectoryConfig(path: string): DirectoryConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  const config = parseDirectoryConfig(json, path);
  const base = dirname(resolve(path));
  const abs = (p: string) => resolve(base, p);
  config.identityKeyFile = abs(config.identityKeyFile);
  config.dataDir = abs(config.dataDir);
  if (config.adminTokenFile) config.adminTokenFile = abs(config.adminTokenFile);
  return config;
}
