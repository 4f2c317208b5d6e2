/**
 * The service provider (ARCHITECTURE.md): a mixnet client with a fixed identity that takes
 * JSON-RPC requests arriving with reply SURBs, relays the allowed ones to an allow-listed upstream
 * over HTTP, and answers through the SURBs. It never learns who asked.
 *
 * What it holds is bounded (issue 14 #11): one byte budget covers the requesters' SURBs, the
 * replies waiting for SURBs, and `maxResponseBytes` for every fetch in flight, so memory for
 * requests stays under `limits.maxRetainedBytes` however many arrive; past it they get "busy".
 * A request's state goes once its SURBs run out and no fresh ones come (retention.ts).
 */
import type { BackendChoice } from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type ClientEvent, createClient, type MixnetClient } from './client.js';
import { createRegistration, type RegistrationResult } from './directory-registration.js';
import type { DirectoryOptions } from './directory-source.js';
import { DEFAULT_ALLOWED_METHODS, type RelayPolicy, relayJsonRpc } from './json-rpc-relay.js';
import type { TrafficOptions } from './options.js';
import { createRetentionBudget, DEFAULT_REPLY_LIMITS, ReplyRefusedError } from './retention.js';
import type { TopologySource } from './topology.js';

export interface ServiceProviderOptions {
  /** A topology file or object (it lists this provider under `serviceProviders`); optional with `directory`. */
  topology?: TopologySource;
  /**
   * With a directory: the provider registers `{id, identityKey, gateway}` there, re-announces every
   * `announceMs` and when it moves gateway, and takes its topology from the directory.
   */
  directory?: DirectoryOptions & { announceMs?: number };
  /** Its id in the topology; required with `directory`. */
  id?: string;
  /** Gateway id it registers with; with a directory, a preference (another active gateway if it is not one). */
  gateway?: string;
  /** 32-byte Ed25519 secret: its address, as listed in the topology. */
  identity?: Uint8Array;
  /** Allowed upstreams: name → URL, or a list of URLs (named by themselves). The first is the default. */
  upstreams: Record<string, string> | readonly string[];
  /** Allowed methods; `stateOverrides`: relay eth_call / eth_estimateGas overrides (default false). */
  allow?: { methods?: readonly string[]; stateOverrides?: boolean };
  limits?: ServiceProviderLimits;
  traffic?: Partial<TrafficOptions>;
  crypto?: BackendChoice;
  /** Trace mode, as for a client. */
  trace?: { dir: string };
  onEvent?: (event: ServiceProviderEvent) => void;
}

export interface ServiceProviderLimits {
  maxRequestBytes?: number;
  /** Largest upstream answer, also what each fetch in flight reserves of the budget. Default 1 MiB. */
  maxResponseBytes?: number;
  timeoutMs?: number;
  /** Requests relayed at once, by everyone together. Default 32. */
  concurrency?: number;
  /** Bytes held for all requests: SURBs, replies and fetches in flight. Default 32 MiB. */
  maxRetainedBytes?: number;
  /** A request holding unused SURBs is forgotten after this long without news. Default 60 s. */
  replyIdleMs?: number;
  /** A request whose SURBs ran out is forgotten after this long without fresh ones. Default 15 s. */
  replyStarvedMs?: number;
}

export type ServiceProviderEvent =
  | { type: 'relayed'; forwarded: number; refused: number; ms: number }
  /** The directory's answer to a registration (or why it could not be sent). */
  | { type: 'registration'; result: RegistrationResult }
  /** Its client's topology and gateway events (directory outages, epochs, gateway moves). */
  | { type: 'network'; event: ClientEvent }
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
    allowStateOverrides: opts.allow?.stateOverrides ?? false,
  };
  const concurrency = opts.limits?.concurrency ?? 32;
  if (opts.directory && !opts.id) throw new Error('id: a service provider needs an id to register with a directory');
  if (!opts.directory && (opts.topology === undefined || !opts.gateway))
    throw new Error('topology and gateway are required without a directory');
  const identity = opts.identity ?? ed25519.utils.randomSecretKey();
  const budget = createRetentionBudget(opts.limits?.maxRetainedBytes ?? DEFAULT_REPLY_LIMITS.maxRetainedBytes);
  const client = await createClient({
    ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
    ...(opts.directory ? { directory: opts.directory } : {}),
    ...(opts.gateway ? { gateway: opts.gateway } : {}),
    identity,
    onEvent: (event) => opts.onEvent?.({ type: 'network', event }),
    replies: {
      budget,
      // Room over the upstream's answer for the errors the relay adds to a batch.
      maxReplyBytes: policy.maxResponseBytes + 16 * 1024,
      idleMs: opts.limits?.replyIdleMs ?? DEFAULT_REPLY_LIMITS.idleMs,
      starvedMs: opts.limits?.replyStarvedMs ?? DEFAULT_REPLY_LIMITS.starvedMs,
    },
    ...(opts.traffic ? { traffic: opts.traffic } : {}),
    ...(opts.crypto ? { crypto: opts.crypto } : {}),
    ...(opts.trace ? { trace: opts.trace } : {}),
  });
  const stats: ServiceProviderStats = { requests: 0, forwarded: 0, refused: 0, busy: 0 };
  let active = 0;
  const emit = (e: ServiceProviderEvent) => opts.onEvent?.(e);

  const errorReply = (message: string) =>
    new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32005, message } }));

  client.onMessage(({ data, reply }) => {
    if (!reply) return; // plain messages have no way back; a relay needs SURBs
    stats.requests++;
    // A fetch in flight holds room for the largest answer, so in-flight and held bytes together stay in the budget.
    const reserved = policy.maxResponseBytes;
    if (active >= concurrency || !budget.tryTake(reserved)) {
      stats.busy++;
      emit({ type: 'busy' });
      reply(errorReply('service provider busy')).catch(() => {});
      return;
    }
    active++;
    let held = true;
    const unreserve = () => {
      if (held) budget.release(reserved);
      held = false;
    };
    const started = performance.now();
    relayJsonRpc(policy, data)
      .then((outcome) => {
        stats.forwarded += outcome.forwarded;
        stats.refused += outcome.refused;
        emit({
          type: 'relayed',
          forwarded: outcome.forwarded,
          refused: outcome.refused,
          ms: performance.now() - started,
        });
        unreserve(); // and at once (no await between) the reply takes its own, smaller room
        return reply(outcome.response).catch((err: Error) => {
          if (!(err instanceof ReplyRefusedError) || err.reason === 'expired') throw err;
          return reply(errorReply(`service provider cannot hold the answer: ${err.message}`));
        });
      })
      .catch((err: Error) => emit({ type: 'error', message: err.message }))
      .finally(() => {
        unreserve();
        active--;
      });
  });

  const registration =
    opts.directory &&
    createRegistration({
      directory: opts.directory,
      id: opts.id as string,
      identitySecret: identity,
      gateway: () => client.address.slice(client.address.indexOf('@') + 1),
      ...(opts.directory.announceMs ? { intervalMs: opts.directory.announceMs } : {}),
      onResult: (result) => emit({ type: 'registration', result }),
    });
  if (registration) {
    // Moved to another gateway: tell the directory now, not at the next period.
    client.onEvent((e) => {
      if (e.type === 'gateway-changed') void registration.announce();
    });
    await registration.announce();
  }

  return {
    get address() {
      return client.address;
    },
    client,
    stats: () => ({ ...stats }),
    close: async () => {
      registration?.close();
      await client.close();
    },
  };
}
