/**
 * Reads an HTTP answer's body up to a bound (Web Fetch API only: Node and browsers alike). Every
 * reader of an answer from the network uses it: a directory document, a descriptor's answer, an
 * upstream's JSON-RPC answer each have a size; a hostile server does not stop at it.
 */
import { concatBytes } from '../bytes.js';

export type CappedBody = { bytes: Uint8Array } | { over: number };

/**
 * The body's bytes, or `{ over }` (the bytes seen) once it passes `max`: a declared length over it
 * is refused before reading, and the rest of a longer body is never read. Read errors propagate.
 */
export async function readBodyCapped(res: Response, max: number): Promise<CappedBody> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    return { over: declared };
  }
  if (!res.body) return { bytes: new Uint8Array(0) };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return { over: total };
    }
    chunks.push(value);
  }
  return { bytes: concatBytes(...chunks) };
}

/**
 * The same bound for a request body read as a byte stream (a Node IncomingMessage is one):
 * `{ over }` once past `max`, or at once if the declared length (content-length) is over it.
 */
export async function readStreamCapped(
  source: AsyncIterable<Uint8Array>,
  max: number,
  declaredLength?: number,
): Promise<CappedBody> {
  if (declaredLength !== undefined && declaredLength > max) return { over: declaredLength };
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) return { over: total };
    chunks.push(chunk);
  }
  return { bytes: concatBytes(...chunks) };
}
