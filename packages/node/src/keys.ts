/**
 * Key files: 32 raw private-key bytes as hex, written with mode 0600 and refused when group or
 * others can read them (as ssh does). Keys are never logged; only public keys leave this module.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, publicKeyFromPrivate } from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

export interface NodeKeys {
  sphinxPrivateKey: Uint8Array;
  sphinxPublicKey: Uint8Array;
  identityPrivateKey: Uint8Array;
  identityPublicKey: Uint8Array;
}

/** Reads a 32-byte hex key file, refusing one that group or others can read. */
/** A private file's text, trimmed; refused when group or others may read it. */
function readPrivateText(path: string, what: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read ${what}: ${(err as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyFileError(`${path}: ${what} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return readFileSync(path, 'utf8').trim();
}

export function readKey(path: string): Uint8Array {
  const text = readPrivateText(path, 'key file');
  if (!/^[0-9a-f]{64}$/.test(text)) throw new KeyFileError(`${path}: expected 32 bytes of lowercase hex`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** An admin token (admin.tokenFile): one word of at least 16 characters, in a 0600 file. */
export function readTokenFile(path: string): string {
  const text = readPrivateText(path, 'token file');
  if (text.length < 16 || /\s/.test(text))
    throw new KeyFileError(`${path}: the admin token must be one word of at least 16 characters`);
  return text;
}

export function writeKey(path: string, key: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${Buffer.from(key).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
}

/** Creates both key files (refusing to overwrite) and returns the public keys. */
export function generateNodeKeys(files: { sphinxPrivateKeyFile: string; identityPrivateKeyFile: string }): {
  sphinxPublicKey: Uint8Array;
  identityPublicKey: Uint8Array;
} {
  const sphinx = generateKeyPair();
  const identity = randomBytes(32);
  writeKey(files.sphinxPrivateKeyFile, sphinx.privateKey);
  writeKey(files.identityPrivateKeyFile, identity);
  return { sphinxPublicKey: sphinx.publicKey, identityPublicKey: ed25519.getPublicKey(identity) };
}

export function loadNodeKeys(files: { sphinxPrivateKeyFile: string; identityPrivateKeyFile: string }): NodeKeys {
  const sphinxPrivateKey = readKey(files.sphinxPrivateKeyFile);
  const identityPrivateKey = readKey(files.identityPrivateKeyFile);
  return {
    sphinxPrivateKey,
    sphinxPublicKey: publicKeyFromPrivate(sphinxPrivateKey),
    identityPrivateKey,
    identityPublicKey: ed25519.getPublicKey(identityPrivateKey),
  };
}
