/**
 * The directory's files in a testnet's state folder: its Ed25519 identity key and admin token (both
 * 0600, never logged), and its config (configs.md contract), whose admission list names the
 * identity key of every node the testnet generated. `scale` rewrites that list when it adds mixes.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeKey } from '@mixnet/node';

export interface DirectorySecrets {
  identityKeyFile: string;
  adminTokenFile: string;
  /** The identity's Ed25519 public key, hex: what every process and client pins. */
  publicKey: string;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), so node:crypto derives the public key.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ed25519PublicKeyHex(seed: Uint8Array): string {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(key).export({ format: 'jwk' }).x as string;
  return Buffer.from(x, 'base64url').toString('hex');
}

/** Creates the key and the token in `keyDir` (refusing to overwrite either). */
export function writeDirectorySecrets(keyDir: string): DirectorySecrets {
  const identityKeyFile = join(keyDir, 'identity.key');
  const adminTokenFile = join(keyDir, 'admin.token');
  const seed = randomBytes(32);
  writeKey(identityKeyFile, seed);
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  writeFileSync(adminTokenFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { identityKeyFile, adminTokenFile, publicKey: ed25519PublicKeyHex(seed) };
}

export interface DirectoryConfigOptions {
  listen: { host: string; port: number };
  /** Paths as written into the config (relative to it). */
  identityKeyFile: string;
  adminTokenFile: string;
  dataDir: string;
  epochMs: number;
  layers: number;
  activePerLayer: number;
  activeGateways: number;
  admission: string[];
  logLevel: string;
  /** Auto-sizing (docs/directory.md §7): the directory picks the width and μ each epoch. */
  activeSet?: AutoActiveSet;
}

/** `testnet up --active auto`: the directory config's activeSet, without its mode. */
export interface AutoActiveSet {
  anonymityTargetBits: number;
  minWidth: number;
  maxWidth: number;
  mu: { minMs: number; maxMs: number };
}

/** The monitor's probe budget per epoch in a testnet (docs/directory.md §3). */
export const PROBES_PER_EPOCH = 400;

/**
 * Everyone's re-announce period in a testnet: half an epoch (docs/directory.md §2), so a node
 * silent for 1.5 epochs expires. Liveness is the monitor's to measure (a dead node scores 0 within
 * a round or two); the announce only keeps the registration, and at 170 nodes a quarter-epoch
 * period was most of the directory's load (issue 16).
 */
export const announceMsFor = (epochMs: number): number => Math.max(100, Math.floor(epochMs / 2));

export function directoryConfig(o: DirectoryConfigOptions): Record<string, unknown> {
  return {
    role: 'directory',
    id: 'directory',
    listen: o.listen,
    identityKeyFile: o.identityKeyFile,
    dataDir: o.dataDir,
    epochMs: o.epochMs,
    graceMs: o.epochMs,
    keyRotationEpochs: 3,
    announceMs: announceMsFor(o.epochMs),
    layers: o.layers,
    activePerLayer: o.activePerLayer,
    activeGateways: o.activeGateways,
    admission: { identityKeys: o.admission },
    adminTokenFile: o.adminTokenFile,
    // intervalMs left out: the directory measures every quarter epoch. A round's packets wait at most
    // a quarter epoch too (1–3 s), so a dead node scores 0 before the next boundary.
    monitor: {
      packetsPerNode: 4,
      timeoutMs: Math.min(3_000, Math.max(1_000, Math.floor(o.epochMs / 4))),
      window: 6,
      muMs: 2,
      // A fixed test load per epoch (issue 16): 4 packets per node and round up to 25 nodes, fewer
      // above, 1 per node and round at 100 nodes; past that a round tests 100 nodes, those untested
      // longest first (each node every 2 rounds at 170), the load nym-api's fixed budget keeps.
      probesPerEpoch: PROBES_PER_EPOCH,
      strictBudget: true,
    },
    ...(o.activeSet ? { activeSet: { mode: 'auto', ...o.activeSet } } : {}),
    log: { level: o.logLevel },
  };
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Adds identity keys to the admission list of the directory config at `path`; returns the new list. */
export function admitIdentities(path: string, keys: readonly string[]): string[] {
  const config = JSON.parse(readFileSync(path, 'utf8')) as { admission: { identityKeys: string[] } | 'open' };
  if (config.admission === 'open') return [];
  const list = [...new Set([...config.admission.identityKeys, ...keys])];
  config.admission = { identityKeys: list };
  writeJsonAtomic(path, config);
  return list;
}
