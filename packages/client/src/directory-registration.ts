/**
 * A service provider's registration with the directory (docs/directory.md §2): which gateway it
 * sits behind, signed by its identity, announced at start, again every `intervalMs` (so it does not
 * expire) and at once when it moves to another gateway. Clients find it in the next document.
 */
import { type ServiceProviderDescriptor, signDescriptor } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from './bytes.js';
import { type DirectoryOptions, parseDirectoryOptions } from './directory-source.js';
import { unref } from './platform/timers.js';

export interface RegistrationOptions {
  directory: DirectoryOptions;
  /** The service provider's id in the topology (1–64 of [A-Za-z0-9._-]). */
  id: string;
  identitySecret: Uint8Array;
  /** The gateway we sit behind now. */
  gateway(): string;
  /** Re-announce period. Default 5 s (the directory expires what it has not heard of for 3 periods of its own). */
  intervalMs?: number;
  timeoutMs?: number;
  onResult?(result: RegistrationResult): void;
}

export type RegistrationResult =
  | { accepted: true; gateway: string; epoch: number | undefined }
  /** The directory refused it (`code` from docs/directory.md §2) or could not be reached (`code` undefined). */
  | { accepted: false; gateway: string; code: string | undefined; message: string };

export interface Registration {
  /** Announces now (coalesced with one in progress). */
  announce(): Promise<RegistrationResult>;
  close(): void;
}

export function createRegistration(opts: RegistrationOptions): Registration {
  const { url } = parseDirectoryOptions(opts.directory);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.id))
    throw new TypeError(`service provider id "${opts.id}" must be 1–64 of [A-Za-z0-9._-] to register with a directory`);
  const identityKey = toHex(ed25519.getPublicKey(opts.identitySecret));
  const intervalMs = opts.intervalMs ?? 5_000;
  let lastIssuedAt = 0;
  let inflight: Promise<RegistrationResult> | undefined;
  let closed = false;

  const once = async (): Promise<RegistrationResult> => {
    const gateway = opts.gateway();
    // The directory refuses an issuedAt not newer than the last it accepted (REPLAYED).
    lastIssuedAt = Math.max(Date.now(), lastIssuedAt + 1);
    const descriptor: ServiceProviderDescriptor = {
      v: 1,
      kind: 'service-provider',
      id: opts.id,
      identityKey,
      gateway,
      issuedAt: lastIssuedAt,
    };
    const body = JSON.stringify(signDescriptor(descriptor, opts.identitySecret));
    let result: RegistrationResult;
    try {
      const res = await fetch(`${url}/v1/descriptors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
      });
      const answer = (await res.json().catch(() => ({}))) as {
        accepted?: boolean;
        epoch?: number;
        error?: { code?: string; message?: string };
      };
      result =
        res.ok && answer.accepted === true
          ? { accepted: true, gateway, epoch: typeof answer.epoch === 'number' ? answer.epoch : undefined }
          : {
              accepted: false,
              gateway,
              code: answer.error?.code ?? `HTTP_${res.status}`,
              message: answer.error?.message ?? `HTTP ${res.status}`,
            };
    } catch (err) {
      result = { accepted: false, gateway, code: undefined, message: `directory ${url}: ${(err as Error).message}` };
    }
    if (!closed) opts.onResult?.(result);
    return result;
  };

  let inflightGateway: string | undefined;
  const announce = (): Promise<RegistrationResult> => {
    // One in progress for another gateway (we just moved): announce again once it is done.
    if (inflight && inflightGateway !== opts.gateway()) return inflight.then(() => announce());
    if (!inflight) {
      inflightGateway = opts.gateway();
      inflight = once().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  };

  const timer = setInterval(() => void announce(), intervalMs);
  unref(timer);
  return {
    announce,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
