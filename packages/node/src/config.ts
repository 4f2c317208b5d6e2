/**
 * Node configuration: a JSON file validated at start-up (zod); an error names the field. Paths in
 * the file are relative to the file's folder. One schema serves mixes and gateways.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { faultRuleSchema } from './faults.js';

/** pino's levels. */
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) });

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

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
  /**
   * IPv4 CIDRs whose hosts count as members until the first directory document arrives: on a
   * cluster pods learn their addresses only when they start, so no topology file can list them,
   * and the directory's first probes need mixes that already relay for each other.
   */
  bootstrapPeers: z
    .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as 10.244.0.0/16'))
    .optional(),
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
      /** Bytes queued across ALL links (issue 14 #2); past it new packets are dropped (queue_bytes). */
      maxQueuedBytes: z
        .number()
        .int()
        .positive()
        .default(64 * MiB),
      /** A queued packet older than this is dropped (expired) instead of sent. */
      maxQueueAgeMs: z.number().int().positive().default(30_000),
      backoff: z
        .object({ initialMs: z.number().positive(), maxMs: z.number().positive() })
        .strict()
        .default({ initialMs: 50, maxMs: 5_000 }),
      emulation: emulation.optional(),
      /** Fault rules in force from the start (faults.ts), e.g. the testnet's wide-area latencies. */
      faults: z.array(faultRuleSchema).max(1_000).optional(),
    })
    .strict()
    .default({
      maxQueue: 10_000,
      maxQueuedBytes: 64 * MiB,
      maxQueueAgeMs: 30_000,
      backoff: { initialMs: 50, maxMs: 5_000 },
    }),
  /** The inbound packet port (issue 14 #12): connection caps and timeouts. */
  inbound: z
    .object({
      maxConnections: z.number().int().positive().default(1024),
      maxConnectionsPerIp: z.number().int().positive().default(128),
      /** A connection must complete its first frame within this (our links send Hello at once). */
      firstFrameTimeoutMs: z.number().int().positive().default(5_000),
      idleTimeoutMs: z.number().int().positive().default(300_000),
    })
    .strict()
    .default({ maxConnections: 1024, maxConnectionsPerIp: 128, firstFrameTimeoutMs: 5_000, idleTimeoutMs: 300_000 }),
  /**
   * Where the node learns the network's members (issue 14 #1): the only next hops it forwards to and
   * the only hosts it takes packets from. Without it the node forwards nothing.
   */
  network: z
    .object({ topologyFile: z.string().min(1) })
    .strict()
    .optional(),
  /** Process legacy Sphinx versions 1 and 257 (BigInt blinding, ~10x the CPU of 258; issue 14 #13). */
  allowLegacyVersions: z.boolean().default(false),
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
  /**
   * The admin routes on the metrics port (/admin/faults): from loopback, or with this file's token
   * as `Authorization: Bearer` (the file must be 0600).
   */
  admin: z
    .object({ tokenFile: z.string().min(1) })
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
    /** Packets held for their delay (issue 14 #16); past either cap new packets are dropped (scheduler_full). */
    scheduler: z
      .object({
        maxPackets: z.number().int().positive().default(50_000),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(128 * MiB),
      })
      .strict()
      .default({ maxPackets: 50_000, maxBytes: 128 * MiB }),
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
    websocket: hostPort
      .extend({
        /** Open client connections, before and after authentication (issue 14 #10). */
        maxConnections: z.number().int().positive().default(2048),
        maxConnectionsPerIp: z.number().int().positive().default(32),
        /** Bytes waiting to be sent to one client; past it deliveries go to its mailbox (issue 14 #9). */
        maxBufferedBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
        authTimeoutMs: z.number().int().positive().default(10_000),
        /** Where clients dial it, if not `announce`'s host and this port (e.g. a NodePort outside a cluster). */
        announce: hostPort.optional(),
      })
      .strict(),
    mailbox: z
      .object({
        maxMessagesPerClient: z.number().int().positive().default(10_000),
        maxBytesPerClient: z
          .number()
          .int()
          .positive()
          .default(64 * MiB),
        /** Global caps over all mailboxes (issue 14 #4). */
        maxMailboxes: z.number().int().positive().default(10_000),
        maxTotalMessages: z.number().int().positive().default(200_000),
        maxTotalBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * MiB),
        /** A stored message older than this is deleted. */
        maxAgeMs: z
          .number()
          .int()
          .positive()
          .default(24 * HOUR_MS),
        /** Messages whose disk write failed (EMFILE, ENOSPC …), kept in memory and retried (issue 14 #10). */
        maxPendingBytes: z
          .number()
          .int()
          .positive()
          .default(16 * MiB),
      })
      .strict()
      .default({
        maxMessagesPerClient: 10_000,
        maxBytesPerClient: 64 * MiB,
        maxMailboxes: 10_000,
        maxTotalMessages: 200_000,
        maxTotalBytes: 1024 * MiB,
        maxAgeMs: 24 * HOUR_MS,
        maxPendingBytes: 16 * MiB,
      }),
    /** Addresses that authenticated here: the only ones that get a mailbox (issue 14 #4). */
    registration: z
      .object({
        /** Forgotten this long after the address last authenticated (or disconnected). */
        ttlMs: z
          .number()
          .int()
          .positive()
          .default(30 * DAY_MS),
        maxAddresses: z.number().int().positive().default(100_000),
      })
      .strict()
      .default({ ttlMs: 30 * DAY_MS, maxAddresses: 100_000 }),
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
  if (config.network) config.network = { topologyFile: abs(config.network.topologyFile) };
  if (config.admin) config.admin = { tokenFile: abs(config.admin.tokenFile) };
  if (config.trace) config.trace = { dir: abs(config.trace.dir), topologyFile: abs(config.trace.topologyFile) };
  return config;
}
