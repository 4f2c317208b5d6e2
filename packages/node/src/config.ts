/**
 * Node configuration: a JSON file validated at start-up (zod); an error names the field. Paths in
 * the file are relative to the file's folder. One schema serves mixes and gateways.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/** pino's levels. */
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) });

const emulation = z
  .object({
    latencyMs: z.number().min(0).default(0),
    jitterMs: z.number().min(0).default(0),
    lossRate: z.number().min(0).max(1).default(0),
  })
  .strict();

const common = {
  id: z.string().min(1),
  /** TCP listener for Sphinx packets from other nodes. */
  listen: hostPort,
  /** The address written into Sphinx headers, if not `listen` (e.g. a container's alias). */
  announce: hostPort.optional(),
  keys: z.object({ sphinxPrivateKeyFile: z.string().min(1), identityPrivateKeyFile: z.string().min(1) }).strict(),
  dataDir: z.string().min(1),
  metrics: hostPort.nullable().default(null),
  maxFrameSize: z
    .number()
    .int()
    .min(1024)
    .max(1 << 20)
    .default(40 * 1024),
  workers: z.number().int().min(0).max(64).default(cpus().length),
  replay: z
    .object({
      packetRate: z.number().positive().default(500),
      keyLifetimeSec: z.number().positive().default(3600),
      falsePositiveRate: z.number().gt(0).lt(1).default(1e-5),
      saveIntervalMs: z.number().int().positive().default(60_000),
    })
    .strict()
    .default({ packetRate: 500, keyLifetimeSec: 3600, falsePositiveRate: 1e-5, saveIntervalMs: 60_000 }),
  links: z
    .object({
      maxQueue: z.number().int().positive().default(10_000),
      backoff: z
        .object({ initialMs: z.number().positive(), maxMs: z.number().positive() })
        .strict()
        .default({ initialMs: 50, maxMs: 5_000 }),
      emulation: emulation.optional(),
    })
    .strict()
    .default({ maxQueue: 10_000, backoff: { initialMs: 50, maxMs: 5_000 } }),
  /**
   * The directory (docs/directory.md; /work/notes/configs.md): the node registers, re-announces every
   * `announceMs`, follows the signed topology document, and rotates its Sphinx keys with it. Size
   * `replay.keyLifetimeSec` for the key's lifetime then: keyRotationEpochs × epochMs + graceMs.
   */
  directory: z
    .object({
      url: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL'),
      /** the directory's Ed25519 public key, hex: documents not signed by it are refused */
      publicKey: z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex'),
      announceMs: z.number().int().min(100).default(5_000),
    })
    .strict()
    .optional(),
  /** Trace mode (ANONYMITY.md §1): a JSON line per packet into `dir`; node names from the topology. */
  trace: z
    .object({ dir: z.string().min(1), topologyFile: z.string().min(1) })
    .strict()
    .optional(),
  log: z
    .object({ level: logLevel.default('info') })
    .strict()
    .default({ level: 'info' }),
};

export const mixNodeConfigSchema = z
  .object({
    role: z.literal('mix'),
    ...common,
    /** This mix's layer, 1-based: it picks the other layers for its loop cover. */
    layer: z.number().int().min(1).max(4),
    /** Sender-chosen delays above this are refused (ARCHITECTURE.md, "Mixing and traffic"). */
    maxDelayMs: z.number().positive().default(10_000),
    cover: z
      .object({
        /** Loop cover packets per second (Loopix λ_M); 0 turns it off. */
        rateHz: z.number().min(0).default(0),
        meanDelayMs: z.number().min(0).default(15),
        /** Where the loops' routes come from without a directory (with one: the current document). */
        topologyFile: z.string().min(1).optional(),
        /** A loop not back within this long counts as lost. */
        timeoutMs: z.number().positive().default(30_000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => !c.cover || c.cover.topologyFile !== undefined || c.directory !== undefined, {
    path: ['cover', 'topologyFile'],
    message: 'loop cover needs a topologyFile, or a directory to take routes from',
  });

export const gatewayConfigSchema = z
  .object({
    role: z.literal('gateway'),
    ...common,
    websocket: hostPort,
    mailbox: z
      .object({
        maxMessagesPerClient: z.number().int().positive().default(10_000),
        maxBytesPerClient: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
      })
      .strict()
      .default({ maxMessagesPerClient: 10_000, maxBytesPerClient: 64 * 1024 * 1024 }),
  })
  .strict();

export const nodeConfigSchema = z.discriminatedUnion('role', [mixNodeConfigSchema, gatewayConfigSchema]);

export type MixNodeConfig = z.infer<typeof mixNodeConfigSchema>;
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type NodeConfig = z.infer<typeof nodeConfigSchema>;
/** What callers write: defaults may be left out. */
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config against `schema`; the error lists every bad field by its path. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, source = 'config'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`${source}: invalid config: ${problems.join('; ')}`);
  }
  return result.data;
}

export function parseNodeConfig(value: unknown, source = 'config'): NodeConfig {
  return parseConfig(nodeConfigSchema, value, source);
}

/**
 * Reads a JSON config file and validates it against `schema` (for every process the project runs);
 * `abs` makes a path in it absolute, relative to the file's folder.
 */
export function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
): { config: z.infer<S>; abs: (p: string) => string } {
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
  const base = dirname(resolve(path));
  return { config: parseConfig(schema, json, path), abs: (p: string) => resolve(base, p) };
}

/** Reads, parses and validates a node's config file; relative paths in it become absolute. */
export function loadNodeConfig(path: string): NodeConfig {
  const { config, abs } = loadConfigFile(path, nodeConfigSchema);
  config.keys = {
    sphinxPrivateKeyFile: abs(config.keys.sphinxPrivateKeyFile),
    identityPrivateKeyFile: abs(config.keys.identityPrivateKeyFile),
  };
  config.dataDir = abs(config.dataDir);
  if (config.role === 'mix' && config.cover?.topologyFile) config.cover.topologyFile = abs(config.cover.topologyFile);
  if (config.trace) config.trace = { dir: abs(config.trace.dir), topologyFile: abs(config.trace.topologyFile) };
  return config;
}
