/**
 * Trace mode (ANONYMITY.md §1): one JSON line per packet this node handled, written when it leaves
 * (or is dropped or ends here: `tx` null), to `<dir>/<id>.jsonl`. Times are integer nanoseconds of
 * this process's monotonic clock; wire ids are the first 8 bytes of SHA-256 of the bytes on that link
 * (the Sphinx packet between nodes, the DELIVER frame towards a client). Off by default and free
 * when off: nothing here runs unless the config has `trace`. The line format has one writer
 * (@mixnet/sphinx/wire trace-line.ts).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNodeAddress } from '@mixnet/sphinx';
import { formatHeldLine, formatHopLine, parseHostPort, validateTopology } from '@mixnet/sphinx/wire';

export interface TraceIn {
  ti: number;
  pi: string;
  hi: string;
}

export interface Tracer {
  now(): number;
  wireId(bytes: Uint8Array): string;
  /** The topology id of the node at a 32-byte Sphinx address (its hex if unknown). */
  nameOf(address: Uint8Array): string;
  hop(input: TraceIn, next: { nx: string; hx: string } | null): void;
  close(): Promise<void>;
}

export function createTracer(opts: { dir: string; id: string; topologyFile: string }): Tracer {
  mkdirSync(opts.dir, { recursive: true });
  const out = createWriteStream(join(opts.dir, `${opts.id}.jsonl`), { flags: 'a' });
  const names = new Map<string, string>();
  const topology = validateTopology(JSON.parse(readFileSync(opts.topologyFile, 'utf8')));
  for (const n of [...topology.layers.flat(), ...topology.gateways]) {
    names.set(Buffer.from(encodeNodeAddress(parseHostPort(n.address))).toString('hex'), n.id);
  }
  const now = () => Number(process.hrtime.bigint());
  return {
    now,
    wireId: (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    nameOf(address) {
      const hex = Buffer.from(address).toString('hex');
      return names.get(hex) ?? hex;
    },
    hop(input, next) {
      out.write(
        `${
          next
            ? formatHopLine(opts.id, input.ti, input.pi, input.hi, now(), next.nx, next.hx)
            : formatHeldLine(opts.id, input.ti, input.pi, input.hi)
        }\n`,
      );
    },
    close: () => new Promise<void>((resolve) => out.end(() => resolve())),
  };
}
