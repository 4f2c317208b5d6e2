/**
 * The network requester: a mixnet client with a fixed identity that carries TCP streams for SOCKS
 * clients (stream-client.ts) to destinations its exit policy allows, as Nym's network requester
 * does. Each OPEN is checked (name, then resolved addresses), connected with a timeout, and
 * answered with the SOCKS reply code; every refusal is reported (`refused` event: a log line).
 * With a directory it registers like the service provider, so clients find it by id.
 */
import {
  type ClientEvent,
  createClient,
  createRegistration,
  type DirectoryOptions,
  type MixnetClient,
  type RegistrationResult,
  type TopologySource,
  type TrafficOptions,
} from '@mixnet/client';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createRequesterSessions, type SessionLimits, type SessionStats } from './requester-sessions.js';
import type { MuxStream } from './stream-mux.js';
import { type ExitGate, openUpstream } from './upstream.js';

export interface NetworkRequesterOptions {
  topology?: TopologySource;
  directory?: DirectoryOptions & { announceMs?: number };
  /** Its id in the topology; required with `directory`. */
  id?: string;
  gateway?: string;
  /** 32-byte Ed25519 secret: its address. */
  identity?: Uint8Array;
  /** The exit policy (default deny: nothing is allowed that it does not accept). */
  policy: ExitGate;
  limits?: SessionLimits & {
    /** Upstream connect (and name resolution) timeout. Default 10 s. */
    connectTimeoutMs?: number;
    /** Bytes held for replies and SURBs of every session. Default 64 MiB. */
    maxRetainedBytes?: number;
  };
  /** Name resolution override (tests). */
  resolve?: (host: string) => Promise<string[]>;
  traffic?: Partial<TrafficOptions>;
  onEvent?: (event: NetworkRequesterEvent) => void;
}

export type NetworkRequesterEvent =
  | { type: 'opened'; host: string; port: number; address: string }
  | { type: 'refused'; host: string; port: number; code: number; reason: string; policy: boolean }
  | { type: 'closed'; host: string; port: number; up: number; down: number }
  | { type: 'registration'; result: RegistrationResult }
  | { type: 'network'; event: ClientEvent };

export interface NetworkRequesterStats extends SessionStats {
  opened: number;
  refused: number;
  refusedByPolicy: number;
  bytesUp: number;
  bytesDown: number;
}

export interface NetworkRequester {
  readonly address: string;
  readonly client: MixnetClient;
  stats(): NetworkRequesterStats;
  close(): Promise<void>;
}

export async function startNetworkRequester(opts: NetworkRequesterOptions): Promise<NetworkRequester> {
  if (opts.directory && !opts.id) throw new Error('id: a network requester needs an id to register with a directory');
  if (!opts.directory && (opts.topology === undefined || !opts.gateway))
    throw new Error('topology and gateway are required without a directory');
  const identity = opts.identity ?? ed25519.utils.randomSecretKey();
  const emit = (e: NetworkRequesterEvent) => opts.onEvent?.(e);
  const connectTimeoutMs = opts.limits?.connectTimeoutMs ?? 10_000;
  const batchBytes = opts.limits?.batchBytes ?? 32 * 1024;
  const counts = { opened: 0, refused: 0, refusedByPolicy: 0, bytesUp: 0, bytesDown: 0 };

  const client = await createClient({
    ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
    ...(opts.directory ? { directory: opts.directory } : {}),
    ...(opts.gateway ? { gateway: opts.gateway } : {}),
    identity,
    onEvent: (event) => emit({ type: 'network', event }),
    replies: {
      maxRetainedBytes: opts.limits?.maxRetainedBytes ?? 64 * 1024 * 1024,
      maxReplyBytes: batchBytes + 1024,
      // Polls are answered within the hold time; one not answered by then is dead.
      idleMs: 30_000,
    },
    ...(opts.traffic ? { traffic: opts.traffic } : {}),
  });

  const onOpen = (stream: MuxStream, host: string, port: number) => {
    openUpstream(host, port, {
      gate: opts.policy,
      connectTimeoutMs,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    }).then((r) => {
      if (!r.ok) {
        counts.refused++;
        if (r.policy) counts.refusedByPolicy++;
        emit({ type: 'refused', host, port, code: r.code, reason: r.reason, policy: r.policy });
        stream.refuse(r.code);
        return;
      }
      // The client gave up meanwhile (open timeout): nothing to carry.
      if (stream.state !== 'opening') {
        r.socket.destroy();
        return;
      }
      counts.opened++;
      emit({ type: 'opened', host, port, address: r.address });
      const socket = r.socket;
      let up = 0;
      let down = 0;
      socket.on('data', (d: Buffer) => {
        down += d.length;
        counts.bytesDown += d.length;
      });
      stream.on('data', (d: Buffer) => {
        up += d.length;
        counts.bytesUp += d.length;
      });
      stream.accept();
      socket.pipe(stream);
      stream.pipe(socket);
      socket.on('error', () => stream.destroy());
      stream.on('error', () => socket.destroy());
      stream.on('close', () => {
        socket.destroy();
        emit({ type: 'closed', host, port, up, down });
      });
      socket.on('close', () => {
        // Both halves of the upstream closed: end ours once what it sent is through.
        if (!stream.writableEnded) stream.end();
      });
    });
  };

  const sessions = createRequesterSessions({ ...opts.limits, batchBytes, onOpen });
  client.onMessage(({ data, reply }) => {
    if (reply) sessions.onRequest(data, reply);
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
    stats: () => ({ ...sessions.stats(), ...counts }),
    async close() {
      registration?.close();
      sessions.close();
      await client.close({ flushMs: 500 });
    },
  };
}
