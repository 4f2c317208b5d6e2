/** Trace mode writes JSONL files (trace.ts): a page has no file system to write them to. */
import type { ClientTracer } from './trace.js';

export type { ClientTracer } from './trace.js';

export function createClientTracer(_opts: { dir: string; name: string; gateway: string }): ClientTracer {
  throw new Error('trace mode (ClientOptions.trace) writes files and needs Node; leave it unset in a browser');
}
