/**
 * The service provider's policy: which JSON-RPC calls it relays, to which upstreams, within which
 * limits. Nothing outside the allow-lists is ever forwarded (no open proxy); every refusal is a
 * JSON-RPC error the requester gets back through the mixnet.
 *
 * A relay request is JSON: `{ "upstream"?: name or URL, "rpc": request | [requests] }`.
 */
import { readBodyCapped } from '@mixnet/sphinx/wire';

export interface RelayPolicy {
  /** Allowed upstreams, name → URL. The first is the default. */
  upstreams: Record<string, string>;
  /** Allowed JSON-RPC methods. */
  methods: readonly string[];
  maxRequestBytes: number;
  maxResponseBytes: number;
  timeoutMs: number;
  /**
   * Relay `eth_call` / `eth_estimateGas` with state or block overrides (their parameters after the
   * block). Off by default: an override makes a tiny request run arbitrary code against invented
   * state and return up to `maxResponseBytes` (issue 14 #11).
   */
  allowStateOverrides?: boolean;
}

/** Methods whose parameters after the first two are state or block overrides. */
const OVERRIDABLE = new Set(['eth_call', 'eth_estimateGas']);

/** What a wallet needs to send a transaction and read its outcome; nothing that signs or admins. */
export const DEFAULT_ALLOWED_METHODS = [
  'eth_chainId',
  'net_version',
  'eth_blockNumber',
  'eth_getBalance',
  'eth_getTransactionCount',
  'eth_getCode',
  'eth_call',
  'eth_estimateGas',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_sendRawTransaction',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getLogs',
] as const;

export const RelayErrorCode = {
  InvalidRequest: -32600,
  MethodNotAllowed: -32601,
  InvalidParams: -32602,
  UpstreamNotAllowed: -32010,
  UpstreamFailed: -32011,
  TooLarge: -32012,
} as const;

interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: string | number | null;
  method: string;
  params?: unknown;
}

export interface RelayOutcome {
  response: Uint8Array;
  /** Calls sent upstream, and calls refused by policy (for metrics and tests). */
  forwarded: number;
  refused: number;
}

const encoder = new TextEncoder();

function errorResponse(id: unknown, code: number, message: string) {
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message } };
}

function isRequest(x: unknown): x is JsonRpcRequest {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return r.jsonrpc === '2.0' && typeof r.method === 'string';
}

async function readLimited(res: Response, max: number): Promise<string> {
  const body = await readBodyCapped(res, max);
  if ('over' in body)
    throw Object.assign(new Error(`upstream response exceeds ${max} bytes`), { code: RelayErrorCode.TooLarge });
  return new TextDecoder().decode(body.bytes);
}

/**
 * Whether an `eth_call` / `eth_estimateGas` carries overrides: any non-null parameter after the
 * transaction and block, or parameters by name (which we cannot check).
 */
function hasOverrides(call: JsonRpcRequest): boolean {
  if (!OVERRIDABLE.has(call.method) || call.params === undefined) return false;
  if (!Array.isArray(call.params)) return true;
  return call.params.slice(2).some((p) => p !== null && p !== undefined);
}

export function resolveUpstream(policy: RelayPolicy, requested: unknown): string | undefined {
  const names = Object.keys(policy.upstreams);
  if (requested === undefined) return names.length > 0 ? policy.upstreams[names[0] as string] : undefined;
  if (typeof requested !== 'string') return undefined;
  if (Object.hasOwn(policy.upstreams, requested)) return policy.upstreams[requested];
  return Object.values(policy.upstreams).find((url) => url === requested);
}

/** Applies the policy to one relay request and returns the JSON-RPC response bytes to send back. */
export async function relayJsonRpc(policy: RelayPolicy, bytes: Uint8Array): Promise<RelayOutcome> {
  const done = (body: unknown, forwarded: number, refused: number): RelayOutcome => ({
    response: encoder.encode(JSON.stringify(body)),
    forwarded,
    refused,
  });
  if (bytes.length > policy.maxRequestBytes)
    return done(errorResponse(null, RelayErrorCode.TooLarge, `request exceeds ${policy.maxRequestBytes} bytes`), 0, 1);
  let envelope: unknown;
  try {
    envelope = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return done(errorResponse(null, RelayErrorCode.InvalidRequest, 'relay request is not JSON'), 0, 1);
  }
  const env = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as Record<string, unknown>;
  const batch = Array.isArray(env.rpc);
  const calls: unknown[] = batch ? (env.rpc as unknown[]) : [env.rpc];
  if (calls.length === 0 || calls.length > 100)
    return done(errorResponse(null, RelayErrorCode.InvalidRequest, 'rpc must be a request or a batch of 1–100'), 0, 1);

  const url = resolveUpstream(policy, env.upstream);
  const results: unknown[] = new Array(calls.length);
  const toForward: { i: number; call: JsonRpcRequest }[] = [];
  let refused = 0;
  for (const [i, call] of calls.entries()) {
    if (!isRequest(call)) {
      results[i] = errorResponse(null, RelayErrorCode.InvalidRequest, 'not a JSON-RPC 2.0 request');
      refused++;
    } else if (!url) {
      results[i] = errorResponse(
        call.id,
        RelayErrorCode.UpstreamNotAllowed,
        `upstream ${JSON.stringify(env.upstream)} is not allowed by this service provider`,
      );
      refused++;
    } else if (!policy.methods.includes(call.method)) {
      results[i] = errorResponse(
        call.id,
        RelayErrorCode.MethodNotAllowed,
        `method ${call.method} is not allowed by this service provider`,
      );
      refused++;
    } else if (!policy.allowStateOverrides && hasOverrides(call)) {
      results[i] = errorResponse(
        call.id,
        RelayErrorCode.InvalidParams,
        `${call.method} with state or block overrides is not allowed by this service provider`,
      );
      refused++;
    } else toForward.push({ i, call });
  }

  if (toForward.length > 0 && url) {
    const body = batch ? toForward.map((f) => f.call) : (toForward[0] as { call: JsonRpcRequest }).call;
    let answer: unknown;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(policy.timeoutMs),
        redirect: 'error', // a redirect could lead off the allow-list
      });
      answer = JSON.parse(await readLimited(res, policy.maxResponseBytes));
    } catch (err) {
      const e = err as Error & { code?: number };
      const code = e.code === RelayErrorCode.TooLarge ? RelayErrorCode.TooLarge : RelayErrorCode.UpstreamFailed;
      const message =
        e.name === 'TimeoutError' ? `upstream timed out after ${policy.timeoutMs} ms` : `upstream failed: ${e.message}`;
      for (const f of toForward) results[f.i] = errorResponse(f.call.id, code, message);
      return done(batch ? results : results[0], toForward.length, refused);
    }
    const answers = Array.isArray(answer) ? answer : [answer];
    for (const f of toForward) {
      const match = batch
        ? answers.find((a) => typeof a === 'object' && a !== null && (a as { id?: unknown }).id === f.call.id)
        : answers[0];
      results[f.i] = match ?? errorResponse(f.call.id, RelayErrorCode.UpstreamFailed, 'upstream gave no answer');
    }
  }
  return done(batch ? results : results[0], toForward.length, refused);
}
