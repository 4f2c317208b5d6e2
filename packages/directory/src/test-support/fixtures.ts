/** Test fixtures: node identities that sign descriptors, and a directory's key and config in a temp folder. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@mixnet/sphinx';
import {
  type NodeDescriptor,
  type ServiceProviderDescriptor,
  type SignedDescriptor,
  signDescriptor,
  sphinxKeyEntry,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { DirectoryConfigInput } from '../config.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export interface TestIdentity {
  id: string;
  role: 'mix' | 'gateway';
  secret: Uint8Array;
  identityKey: string;
  sphinx: { privateKey: Uint8Array; publicKey: Uint8Array };
  descriptor(over?: Partial<NodeDescriptor>): NodeDescriptor;
  signed(over?: Partial<NodeDescriptor>): SignedDescriptor;
}

let port = 30_000;
let clock = Date.now();
/** issuedAt strictly increasing across a test file, as a node's announces are. */
export const tick = () => {
  clock = Math.max(clock + 1, Date.now());
  return clock;
};

export function testIdentity(
  id: string,
  role: 'mix' | 'gateway' = 'mix',
  opts: {
    secret?: Uint8Array;
    sphinx?: { privateKey: Uint8Array; publicKey: Uint8Array };
    address?: string;
    clientUrl?: string;
    rotations?: number[];
  } = {},
): TestIdentity {
  const secret = opts.secret ?? ed25519.utils.randomSecretKey();
  const identity = ed25519.getPublicKey(secret);
  const sphinx = opts.sphinx ?? generateKeyPair();
  const address = opts.address ?? `127.0.0.1:${port++}`;
  const clientUrl = opts.clientUrl ?? `ws://127.0.0.1:${port++}`;
  const descriptor = (over: Partial<NodeDescriptor> = {}): NodeDescriptor => ({
    v: 1,
    kind: 'node',
    id,
    role,
    identityKey: hex(identity),
    sphinxKeys: (opts.rotations ?? [0]).map((r) => sphinxKeyEntry(r, sphinx.privateKey, sphinx.publicKey, identity)),
    address,
    ...(role === 'gateway' ? { clientUrl } : {}),
    software: 'mixnet/test',
    issuedAt: tick(),
    ...over,
  });
  return {
    id,
    role,
    secret,
    identityKey: hex(identity),
    sphinx,
    descriptor,
    signed: (over) => signDescriptor(descriptor(over), secret),
  };
}

export function serviceProviderDescriptor(id: string, gateway: string, secret = ed25519.utils.randomSecretKey()) {
  const d: ServiceProviderDescriptor = {
    v: 1,
    kind: 'service-provider',
    id,
    identityKey: hex(ed25519.getPublicKey(secret)),
    gateway,
    issuedAt: tick(),
  };
  return { descriptor: d, signed: signDescriptor(d, secret), secret };
}

/** A temp folder with a directory key (0600) and a config for it; `dir` is reused for a restart. */
export function directoryFixture(
  over: Partial<DirectoryConfigInput> = {},
  dir = mkdtempSync(join(tmpdir(), 'mixnet-directory-')),
  secret = ed25519.utils.randomSecretKey(),
): { dir: string; secret: Uint8Array; publicKey: Uint8Array; config: DirectoryConfigInput } {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'identity.key');
  try {
    writeFileSync(keyFile, `${hex(secret)}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    // a restart: the key is there already
  }
  return {
    dir,
    secret,
    publicKey: ed25519.getPublicKey(secret),
    config: {
      role: 'directory',
      id: 'directory',
      listen: { host: '127.0.0.1', port: 0 },
      identityKeyFile: keyFile,
      dataDir: join(dir, 'data'),
      admission: 'open',
      log: { level: 'silent' },
      ...over,
    },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

/** Waits until `check` returns a value other than undefined/false, or throws after `ms`. */
export async function until<T>(check: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
