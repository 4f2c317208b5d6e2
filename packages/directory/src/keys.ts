/**
 * The directory's secrets on disk: its Ed25519 identity key (32 bytes as hex, the nodes' key-file
 * format) and the admin token. Both files must be 0600: one that group or others can read is
 * refused, as ssh does. The directory imports nothing of @mixnet/node (ARCHITECTURE.md), so this
 * small reader is its own. Secrets are never logged.
 */
import { readFileSync, statSync } from 'node:fs';

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

function readPrivate(path: string, what: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read ${what}: ${(err as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new KeyFileError(`${path}: ${what} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  return readFileSync(path, 'utf8').trim();
}

/** A 32-byte hex key file (the format of packages/node's keys). */
export function readKeyFile(path: string): Uint8Array {
  const text = readPrivate(path, 'key file');
  if (!/^[0-9a-f]{64}$/.test(text)) throw new KeyFileError(`${path}: expected 32 bytes of lowercase hex`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** The admin token: one line of at least 16 characters. */
export function readTokenFile(path: string): string {
  const text = readPrivate(path, 'token file');
  if (text.length < 16 || /\s/.test(text))
    throw new KeyFileError(`${path}: the admin token must be one word of at least 16 characters`);
  return text;
}
