/**
 * `mixnet run network-requester --config FILE`: the SOCKS exit as a process, with a health and
 * metrics endpoint like the service provider's. Config fields (relative paths from the config's folder):
 *
 *   { "role": "network-requester", "id", "topology"?, "gateway"?, "identityKeyFile",
 *     "policyFile" (exit policy in torrc syntax: packages/socks/README.md),
 *     "directory"?: { "url", "publicKey", "announceMs"? },
 *     "limits"?: { "connectTimeoutMs"?, "maxSessions"?, "maxStreamsPerSession"?, "holdMs"?,
 *                  "batchBytes"?, "window"?, "idleMs"?, "maxRetainedBytes"? },
 *     "metrics"?: { "host", "port" }, "traffic"?: {...}, "log"?: { "level" } }
 *
 * One log line per refused destination (warn), with the SOCKS code and why.
 */
import { readFileSync } from 'node:fs';
import { createLogger, hostPort, loadConfigFile, logLevel, readKey, stopOnSignal } from '@mixnet/node';
import { exitGateFromPolicy, parseExitPolicy, startNetworkRequester } from '@mixnet/socks';
import { z } from 'zod';
import { CliError } from './output.js';
import { networkEventLogger, serveServiceObservability } from './service-runner.js';
import { startWithRetry } from './start-retry.js';

const positiveInt = z.number().int().positive();
const schema = z
  .object({
    role: z.literal('network-requester'),
    id: z.string().min(1),
    topology: z.string().min(1).optional(),
    gateway: z.string().min(1).optional(),
    directory: z
      .object({
        url: z.url(),
        publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, '32 bytes of hex'),
        announceMs: positiveInt.optional(),
      })
      .strict()
      .optional(),
    identityKeyFile: z.string().min(1),
    policyFile: z.string().min(1),
    limits: z
      .object({
        connectTimeoutMs: positiveInt.optional(),
        maxSessions: positiveInt.optional(),
        maxStreamsPerSession: positiveInt.optional(),
        maxHeldPolls: positiveInt.optional(),
        holdMs: positiveInt.optional(),
        batchBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .optional(),
        window: z
          .number()
          .int()
          .min(16 * 1024)
          .optional(),
        idleMs: positiveInt.optional(),
        maxRetainedBytes: positiveInt.optional(),
      })
      .strict()
      .optional(),
    metrics: hostPort.strict().nullable().default(null),
    traffic: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
    log: z.object({ level: logLevel }).optional(),
  })
  .strict()
  .refine((c) => c.directory || (c.topology && c.gateway), {
    message: 'topology and gateway are required without a directory',
  });

export async function runNetworkRequester(configPath: string): Promise<void> {
  const { config, abs } = loadConfigFile(configPath, schema);
  const logger = createLogger({ level: config.log?.level ?? 'info', name: config.id });
  const policyPath = abs(config.policyFile);
  let policyText: string;
  try {
    policyText = readFileSync(policyPath, 'utf8');
  } catch (err) {
    throw new CliError(`${configPath}: policyFile: cannot read ${policyPath}: ${(err as Error).message}`);
  }
  let gate: ReturnType<typeof exitGateFromPolicy>;
  try {
    gate = exitGateFromPolicy(parseExitPolicy(policyText));
  } catch (err) {
    throw new CliError(`${configPath}: policyFile ${policyPath}: ${(err as Error).message}`);
  }
  const onNetwork = networkEventLogger(logger);
  const nr = await startWithRetry(
    () =>
      startNetworkRequester({
        id: config.id,
        ...(config.topology ? { topology: abs(config.topology) } : {}),
        ...(config.gateway ? { gateway: config.gateway } : {}),
        ...(config.directory ? { directory: config.directory } : {}),
        identity: readKey(abs(config.identityKeyFile)),
        policy: gate,
        ...(config.limits ? { limits: config.limits } : {}),
        ...(config.traffic ? { traffic: config.traffic } : {}),
        onEvent: (e) => {
          if (e.type === 'refused')
            logger.warn(
              { host: e.host, port: e.port, code: `0x${e.code.toString(16).padStart(2, '0')}`, policy: e.policy },
              `refused ${e.host}:${e.port}: ${e.reason}`,
            );
          else if (e.type === 'opened')
            logger.info({ host: e.host, port: e.port, address: e.address }, 'stream opened');
          else if (e.type === 'closed')
            logger.debug({ host: e.host, port: e.port, up: e.up, down: e.down }, 'stream closed');
          else onNetwork(e);
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
      role: 'network-requester',
      id: config.id,
      service: nr,
      metrics: () => {
        const s = nr.stats();
        return [
          `mixnet_nr_sessions ${s.sessions}`,
          `mixnet_nr_streams ${s.streams}`,
          `mixnet_nr_polls_total ${s.polls}`,
          `mixnet_nr_polls_held ${s.heldPolls}`,
          `mixnet_nr_streams_opened_total ${s.opened}`,
          `mixnet_nr_streams_refused_total{reason="policy"} ${s.refusedByPolicy}`,
          `mixnet_nr_streams_refused_total{reason="upstream"} ${s.refused - s.refusedByPolicy}`,
          `mixnet_nr_bytes_total{direction="up"} ${s.bytesUp}`,
          `mixnet_nr_bytes_total{direction="down"} ${s.bytesDown}`,
          `mixnet_nr_dropped_total{reason="malformed"} ${s.malformed}`,
          `mixnet_nr_dropped_total{reason="too_many_sessions"} ${s.sessionsRefused}`,
          `mixnet_nr_stream_resets_total{reason="protocol"} ${s.protocolErrors}`,
          `mixnet_nr_stream_resets_total{reason="idle"} ${s.idleResets}`,
          `mixnet_nr_retained_bytes ${nr.client.stats().retainedBytes}`,
        ];
      },
    }));
  logger.info({ address: nr.address, policy: policyPath }, 'network requester ready');
  stopOnSignal(logger, async () => {
    void server?.close();
    await nr.close();
  });
}
