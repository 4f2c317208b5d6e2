/**
 * The service provider (ARCHITECTURE.md): a mixnet client with a fixed identity that takes
 * JSON-RPC requests arriving with reply SURBs, relays the allowed ones to an allow-listed upstream
 * over HTTP, and answers through the SURBs. It never learns who asked.
 */
import type { BackendChoice } from '@mixnet/sphinx';
import { createClient, type MixnetClient } from './client.js';
import { DEFAULT_ALLOWED_METHODS, type RelayPolicy, relayJsonRpc } from './json-rpc-relay.js';
import type { TrafficOptions } from './options.js';
import type { TopologySource } from './topology.js';

export interface ServiceProviderOptions {
  topology: TopologySource;
  /** Gateway id it registers with (the topology lists it under `serviceProviders`). */
  gateway: string;
  /** 32-byte Ed25519 secret: its address, as listed in the topology. */
  identity?: Uint8Array;
  /** Allowed upstreams: name → URL, or a list of URLs (named by themselves). The first is the default. */
  upstreams: Record<string, string> | readonly string[];
  allow?: { methods?: readonly string[] };
  limits?: { maxRequestBytes?: number; maxResponseBytes?: number; timeoutMs?: number; concurrency?: number };
  traffic?: Partial<TrafficOptions>;
  crypto?: BackendChoice;
  /** Trace mode, as for a client. */
  trace?: { dir: string };
  onEvent?: (event: ServiceProviderEvent) => void;
}

export type ServiceProviderEvent =
  | { type: 'relayed'; forwarded: number; refused: number; ms: number }
  | { type: 'busy' }
  | { type: 'error'; message: string };

export interface ServiceProviderStats {
  requests: number;
  forwarded: number;
  refused: number;
  busy: number;
}

export interface ServiceProvider {
  readonly address: string;
  readonly client: MixnetClient;
  stats(): ServiceProviderStats;
  close(): Promise<void>;
}

export async function startServiceProvider(opts: ServiceProviderOptions): Promise<ServiceProvider> {
  const upstreams = Array.isArray(opts.upstreams)
    ? Object.fromEntries((opts.upstreams as readonly string[]).map((u) => [u, u]))
    : { ...(opts.upstreams as Record<string, string>) };
  if (Object.keys(upstreams).length === 0) throw new Error('upstreams: at least one upstream URL is needed');
  for (const [name, url] of Object.entries(upstreams)) {
    if (!/^https?:\/\//.test(url)) throw new Error(`upstreams.${name} must be an http(s) URL, got "${url}"`);
  }
  const policy: RelayPolicy = {
    upstreams,
    methods: opts.allow?.methods ?? DEFAULT_ALLOWED_METHODS,
    maxRequestBytes: opts.limits?.maxRequestBytes ?? 128 * 1024,
    maxResponseBytes: opts.limits?.maxResponseBytes ?? 1024 * 1024,
    timeoutMs: opts.limits?.timeoutMs ?? 15_000,
  };
  const concurrency = opts.limits?.concurrency ?? 32;
  const client = await createClient({
    topology: opts.topology,
    gateway: opts.gateway,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.traffic ? { traffic: opts.traffic } : {}),
    ...(opts.crypto ? { crypto: opts.crypto } : {}),
    ...(opts.trace ? { trace: opts.trace } : {}),
  });
  const stats: ServiceProviderStats = { requests: 0, forwarded: 0, refused: 0, busy: 0 };
  let active = 0;
  const emit = (e: ServiceProviderEvent) => opts.onEvent?.(e);

  client.onMessage(({ data, reply }) => {
    if (!reply) return; // plain messages have no way back; a relay needs SURBs
    stats.requests++;
    if (active >= concurrency) {
      stats.busy++;
      emit({ type: 'busy' });
      const busy = { jsonrpc: '2.0', id: null, error: { code: -32005, message: 'service provider busy' } };
      reply(new TextEncoder().encode(JSON.stringify(busy))).catch(() => {});
      return;
    }
    active++;
    const started = performance.now();
    relayJsonRpc(policy, data)
      .then(async (outcome) => {
        stats.forwarded += outcome.forwarded;
        stats.refused += outcome.refused;
        emit({
          type: 'relayed',
          forwarded: outcome.forwarded,
          refused: outcome.refused,
          ms: performance.now() - started,
        });
        await reply(outcome.response);
      })
      .catch((err: Error) => emit({ type: 'error', message: err.message }))
      .finally(() => {
        active--;
      });
  });

  return {
    address: client.address,
    client,
    stats: () => ({ ...stats }),
    close: () => client.close(),
  };
}
