/**
 * `mixnet run service-provider --config FILE`: the JSON-RPC exit as a process, with a health and
 * metrics endpoint like the nodes'. Config fields (relative paths are from the config's folder):
 *
 *   { "role": "service-provider", "id", "topology"?, "gateway"?, "identityKeyFile",
 *     "directory"?: { "url", "publicKey", "announceMs"? },
 *     "upstreams": { name: url }, "allow"?: { "methods"?: [...], "stateOverrides"?: false },
 *     "limits"?: { …, "maxRetainedBytes"?, "replyIdleMs"?, "replyStarvedMs"? },
 *     "metrics"?: { "host", "port" }, "traffic"?: {...}, "log"?: { "level" } }
 *
 * With `directory`, it registers which gateway it sits behind there and takes its topology from
 * it (the topology file, if given, is the fallback while the directory is down at start; the
 * gateway, if given, a preference). Without, `topology` and `gateway` are required.
 */
import { startServiceProvider } from '@mixnet/client';
import { createLogger, hostPort, loadConfigFile, logLevel, readKey, stopOnSignal } from '@mixnet/node';
import { z } from 'zod';
import { networkEventLogger, serveServiceObservability } from './service-runner.js';
import { startWithRetry } from './start-retry.js';

const schema = z
  .object({
    role: z.literal('service-provider'),
    id: z.string().min(1),
    topology: z.string().min(1).optional(),
    gateway: z.string().min(1).optional(),
    directory: z
      .object({
        url: z.url(),
        publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, '32 bytes of hex'),
        announceMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    identityKeyFile: z.string().min(1),
    upstreams: z.record(z.string(), z.url()).refine((u) => Object.keys(u).length > 0, 'at least one upstream'),
    allow: z
      .object({
        methods: z.array(z.string().min(1)).min(1).optional(),
        /** Relay eth_call / eth_estimateGas state and block overrides (off by default: issue 14 #11). */
        stateOverrides: z.boolean().optional(),
      })
      .strict()
      .optional(),
    limits: z
      .object({
        maxRequestBytes: z.number().int().positive().optional(),
        maxResponseBytes: z.number().int().positive().optional(),
        timeoutMs: z.number().positive().optional(),
        concurrency: z.number().int().positive().optional(),
        maxRetainedBytes: z.number().int().positive().optional(),
        replyIdleMs: z.number().positive().optional(),
        replyStarvedMs: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    metrics: hostPort.strict().nullable().default(null),
    traffic: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
    log: z.object({ level: logLevel }).optional(),
    trace: z
      .object({ dir: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.directory || (c.topology && c.gateway), {
    message: 'topology and gateway are required without a directory',
  });

export async function runServiceProvider(configPath: string): Promise<void> {
  const { config, abs } = loadConfigFile(configPath, schema);
  const logger = createLogger({ level: config.log?.level ?? 'info', name: config.id });
  const onNetwork = networkEventLogger(logger);
  const sp = await startWithRetry(
    () =>
      startServiceProvider({
        id: config.id,
        ...(config.topology ? { topology: abs(config.topology) } : {}),
        ...(config.gateway ? { gateway: config.gateway } : {}),
        ...(config.directory ? { directory: config.directory } : {}),
        identity: readKey(abs(config.identityKeyFile)),
        upstreams: config.upstreams,
        ...(config.allow ? { allow: config.allow } : {}),
        ...(config.limits ? { limits: config.limits } : {}),
        ...(config.traffic ? { traffic: config.traffic } : {}),
        ...(config.trace ? { trace: { dir: abs(config.trace.dir) } } : {}),
        onEvent: (e) => {
          if (e.type === 'registration' || e.type === 'network') onNetwork(e);
          else if (e.type === 'error') logger.error(e.message);
          else if (e.type === 'relayed')
            logger.info({ forwarded: e.forwarded, refused: e.refused, ms: Math.round(e.ms) }, 'relayed');
        },
      }),
    {
      onRetry: (attempt, err, waitMs) =>
        logger.warn({ attempt, waitMs }, `start-up failed, trying again: ${err.message}`),
    },
  );
  const server =
    config.metrics &&
    (await serveServiceObservability(config.metrics, {
      role: 'service-provider',
      id: config.id,
      service: sp,
      metrics: () => {
        const stats = sp.stats();
        const client = sp.client.stats();
        return [
          `mixnet_sp_requests_total ${stats.requests}`,
          `mixnet_sp_forwarded_total ${stats.forwarded}`,
          `mixnet_sp_refused_total ${stats.refused}`,
          `mixnet_sp_busy_total ${stats.busy}`,
          `mixnet_sp_retained_bytes ${client.retainedBytes}`,
          `mixnet_sp_requests_dropped_total{reason="no_room"} ${client.requestsRefused}`,
          `mixnet_sp_requests_dropped_total{reason="expired"} ${client.requestsExpired}`,
        ];
      },
    }));
  logger.info({ address: sp.address, upstreams: Object.keys(config.upstreams) }, 'service provider ready');
  stopOnSignal(logger, async () => {
    void server?.close(); // no new scrapes; open ones may finish
    await sp.close();
  });
}
