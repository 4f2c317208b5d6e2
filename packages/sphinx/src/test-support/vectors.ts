/** Reads ../shared/vectors at test time (never copied into the repo). */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../bytes.js';

export const VECTORS_DIR =
  process.env.MIXNET_VECTORS_DIR ?? fileURLToPath(new URL('../../../../../shared/vectors/', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: vector files are untyped JSON, read field by field in tests
export function loadVector(name: string): any {
  const path = `${VECTORS_DIR}/${name}`;
  if (!existsSync(path)) {
    throw new Error(
      `test vector ${path} not found: the shared/ folder must sit beside the repo (or set MIXNET_VECTORS_DIR)`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const hex = fromHex;
