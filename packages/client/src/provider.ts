/**
 * Ecosystem glue: an EIP-1193 provider whose every call travels through the mixnet to a service
 * provider and back in SURBs, and a viem custom transport built on it, so
 * `createWalletClient({ transport: mixnetTransport({ client, serviceProvider }) })` just works.
 */
import { type CustomTransport, custom } from 'viem';
import type { MixnetClient } from './client.js';
import type { Recipient } from './recipient.js';

export interface MixnetProviderOptions {
  client: MixnetClient;
  /** The service provider: its id in the topology or its address. */
  serviceProvider: string | Recipient;
  /** Upstream name or URL at the service provider (its default when omitted). */
  upstream?: string;
  timeoutMs?: number;
}

export interface Eip1193RequestArguments {
  method: string;
  params?: readonly unknown[] | object;
}

export interface MixnetEip1193Provider {
  request(args: Eip1193RequestArguments): Promise<unknown>;
}

/** An EIP-1193 error: `code` as in JSON-RPC (e.g. -32601 for a method the service provider refuses). */
export class ProviderRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProviderRpcError';
  }
}

export function createMixnetProvider(opts: MixnetProviderOptions): MixnetEip1193Provider {
  let nextId = 1;
  return {
    async request({ method, params }) {
      const id = nextId++;
      const rpc = { jsonrpc: '2.0', id, method, params: params ?? [] };
      const envelope = opts.upstream === undefined ? { rpc } : { upstream: opts.upstream, rpc };
      const reply = await opts.client.request(
        opts.serviceProvider,
        new TextEncoder().encode(JSON.stringify(envelope)),
        opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
      );
      let answer: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      try {
        answer = JSON.parse(new TextDecoder().decode(reply));
      } catch {
        throw new ProviderRpcError(-32603, 'service provider sent a reply that is not JSON');
      }
      if (answer.error) throw new ProviderRpcError(answer.error.code, answer.error.message, answer.error.data);
      return answer.result;
    },
  };
}

/** A viem transport through the mixnet (retries are the mixnet's job: acks and SURB top-ups). */
export function mixnetTransport(opts: MixnetProviderOptions): CustomTransport {
  return custom(createMixnetProvider(opts), { key: 'mixnet', name: 'Mixnet', retryCount: 0 });
}
