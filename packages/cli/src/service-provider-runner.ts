/**
 * `mixnet run service-provider --config FILE`: the JSON-RPC exit as a process, with a health and
 * metrics endpoint like the nodes'. Config fields (relative paths are from the config's folder):
 *
 *   { "role": "service-provider", "id", "topology", "gateway", "identityKeyFile",
 *     "upstreams": { name: url }, "allow"?: { "methods": [...] }, "limits"?: {...},
 *     "metrics"?: { "host", "port" }, "traffic"?: {...}, "log"?: { "level" } }
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { startServiceProvider } from '@mixnet/client';
import { readKey } from '@mixnet/node';
import { z } from 'zod';

const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();
const schema = z
  .object({
    role: z.literal('service-provider'),
    id: z.string().min(1),
    topology: z.string().min(1),
    gateway: z.string().min(1),
    identityKeyFile: z.string().min(1),
    upstreams: z.record(z.string(), z.url()).refine((u) => Object.keys(u).length > 0, 'at least one upstream'),
    allow: z
      .object({ methods: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    limits: z
      .object({
        maxRequestBytes: z.number().int().positive().optional(),
        maxResponseBytes: z.number().int().positive().optional(),
        timeoutMs: z.number().positive().optional(),
        concurrency: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    metrics: hostPort.nullable().default(null),
    traffic: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
    log: z.object({ level: z.string() }).optional(),
    trace: z
      .object({ dir: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

export type ServiceProviderConfig = z.infer<typeof schema>;

export function loadServiceProviderConfig(path: string): ServiceProviderConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read config: ${(err as Error).message}`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`${path}: invalid config: ${problems.join('; ')}`);
  }
  const base = dirname(resolve(path));
  return {
    ...r.data,
    topology: resolve(base, r.data.topology),
    identityKeyFile: resolve(base, r.data.identityKeyFile),
    ...(r.data.trace ? { trace: { dir: resolve(base, r.data.trace.dir) } } : {}),
  };
}

const log = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), role: 'service-provider', msg, ...fields })}\n`);

export async function runServiceProvider(configPath: string): Promise<void> {
  const config = loadServiceProviderConfig(configPath);
  const identity = readKey(config.identityKeyFile);
  const quiet = config.log?.level === 'warn' || config.log?.level === 'error' || config.log?.level === 'silent';
  const sp = await startServiceProvider({
    topology: config.topology,
    gateway: config.gateway,
    identity,
    upstreams: config.upstreams,
    ...(config.allow ? { allow: config.allow } : {}),
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.traffic ? { traffic: config.traffic } : {}),
    ...(config.trace ? { trace: config.trace } : {}),
    onEvent: (e) => {
      if (e.type === 'error') log('error', e.message);
      else if (!quiet && e.type === 'relayed')
        log('info', 'relayed', { forwarded: e.forwarded, refused: e.refused, ms: Math.round(e.ms) });
    },
  });
  let server: ReturnType<typeof createServer> | undefined;
  if (config.metrics) {
    server = createServer((req, res) => {
      const stats = sp.stats();
      const client = sp.client.stats();
      if (req.url === '/health') {
        const ok = sp.client.connected;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: ok ? 'ok' : 'disconnected',
            role: 'service-provider',
            id: config.id,
            address: sp.address,
          }),
        );
      } else if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(
          [
            `mixnet_sp_requests_total ${stats.requests}`,
            `mixnet_sp_forwarded_total ${stats.forwarded}`,
            `mixnet_sp_refused_total ${stats.refused}`,
            `mixnet_sp_busy_total ${stats.busy}`,
            `mixnet_client_packets_sent_total{kind="real"} ${client.sent.real}`,
            `mixnet_client_packets_sent_total{kind="reply"} ${client.sent.replies}`,
            `mixnet_client_packets_sent_total{kind="drop_cover"} ${client.sent.dropCover}`,
            `mixnet_client_packets_sent_total{kind="loop_cover"} ${client.sent.loopCover}`,
            `mixnet_client_retransmissions_total ${client.retransmissions}`,
            '',
          ].join('\n'),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    const srv = server;
    const m = config.metrics;
    await new Promise<void>((res, rej) => srv.once('error', rej).listen(m.port, m.host, () => res()));
  }
  log('info', 'service provider ready', { address: sp.address, upstreams: Object.keys(config.upstreams) });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    server?.close();
    sp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
