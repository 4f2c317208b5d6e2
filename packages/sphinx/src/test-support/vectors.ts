/**
 * The vector folders the vector tests run over: the repo's own `vectors/` (made by Nym's crate with
 * scripts/gen-vectors.sh), and `../shared/vectors` beside the repo when it is there (an independent
 * implementation's). MIXNET_VECTORS_DIR, when set, is the only folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../bytes.js';

const REPO_VECTORS = fileURLToPath(new URL('../../../../vectors/', import.meta.url));
const SHARED_VECTORS = fileURLToPath(new URL('../../../../../shared/vectors/', import.meta.url));

export function vectorDirs(env: string | undefined = process.env.MIXNET_VECTORS_DIR): string[] {
  if (env) return [env];
  return existsSync(SHARED_VECTORS) ? [REPO_VECTORS, SHARED_VECTORS] : [REPO_VECTORS];
}

export const VECTOR_DIRS = vectorDirs();

// biome-ignore lint/suspicious/noExplicitAny: vector files are untyped JSON, read field by field in tests
export function loadVector(name: string, dir: string = VECTOR_DIRS[0] as string): any {
  const path = `${dir.replace(/\/$/, '')}/${name}`;
  if (!existsSync(path)) {
    throw new Error(`test vector ${path} not found (regenerate the repo's with scripts/gen-vectors.sh)`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const hex = fromHex;
