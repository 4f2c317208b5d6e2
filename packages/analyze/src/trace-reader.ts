/**
 * Streaming trace reader (ANONYMITY.md §5): a k-way merge of per-node line streams by the time each line
 * was written. Inputs are files, folders of `*.jsonl` files, or in-memory line lists, in any order.
 * Memory holds one read buffer per input plus one parsed line of lookahead, never the whole trace.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { emptyLine, lineTime, type MetaHeader, parseLine, TraceError, type TraceLine } from './trace-format.js';

/** A stream of raw lines, delivered in batches. */
export interface LineBatches {
  /** The next batch of lines (possibly empty strings), or null at the end. */
  next(): Promise<string[] | null>;
  close(): Promise<void>;
}

/** One input of the trace: a name for error messages and a way to read its lines. */
export interface TraceSource {
  readonly name: string;
  open(): LineBatches;
}

/** An in-memory source (the simulator's memory sink, tests). */
export function memorySource(name: string, lines: readonly string[]): TraceSource {
  return {
    name,
    open() {
      let done = false;
      return {
        async next() {
          if (done) return null;
          done = true;
          return lines as string[];
        },
        async close() {},
      };
    },
  };
}

const CHUNK = 1 << 18;

/** A file source read in 256 KiB chunks, split on newlines (UTF-8 safe: cuts only at '\n'). */
export function fileSource(path: string): TraceSource {
  return {
    name: path,
    open() {
      const handle = open(path, 'r');
      let carry: Buffer | null = null;
      let eof = false;
      const buf = Buffer.allocUnsafe(CHUNK);
      return {
        async next() {
          const fh = await handle;
          while (!eof) {
            const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
            if (bytesRead === 0) {
              eof = true;
              break;
            }
            const chunk: Buffer = carry
              ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
              : buf.subarray(0, bytesRead);
            const nl = chunk.lastIndexOf(10);
            if (nl < 0) {
              carry = Buffer.from(chunk);
              continue;
            }
            const text = chunk.toString('utf8', 0, nl);
            carry = nl + 1 < chunk.length ? Buffer.from(chunk.subarray(nl + 1)) : null;
            return text.split('\n');
          }
          if (carry) {
            const last = carry.toString('utf8');
            carry = null;
            return [last];
          }
          return null;
        },
        async close() {
          await (await handle).close();
        },
      };
    },
  };
}

/** Expands paths: a folder becomes its `*.jsonl` files (sorted); a file is taken as is. */
export async function resolveTracePaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.jsonl')).sort();
      if (names.length === 0) throw new TraceError(`${p}: folder holds no *.jsonl trace files`);
      for (const n of names) out.push(join(p, n));
    } else out.push(p);
  }
  if (out.length === 0) throw new TraceError('no trace inputs given');
  // a file given twice (alone and inside its folder) is read once
  return [...new Map(out.map((p) => [resolve(p), p])).values()];
}

/** What the merge feeds, in time order. Errors thrown by `line` are prefixed with file and line. */
export interface MergeSink {
  /** Called once before any packet line, with the header (from the inputs, or null if none had one). */
  start(meta: MetaHeader | null, headerFile: string | null): void;
  /** One packet line; the object is reused afterwards, so copy what you keep. */
  line(l: TraceLine): void;
  /** Every line with write time < frontier (ns) has been delivered, up to per-file disorder. */
  frontier(ns: number): void;
}

class Cursor {
  lines: string[] = [];
  i = 0;
  lineNo = 0;
  cur: TraceLine | null = null;
  time = 0;
  /** Reused for every line of this input: the sink must not keep it. */
  private readonly slot = emptyLine();
  constructor(
    readonly name: string,
    readonly reader: LineBatches,
  ) {}

  located(e: unknown): Error {
    if (e instanceof TraceError) return new TraceError(`${this.name}:${this.lineNo}: ${e.message}`);
    return e as Error;
  }

  /** Parses the next non-empty line of the current batch into `cur`; false when the batch is used up. */
  step(allowMeta: boolean): MetaHeader | boolean {
    while (this.i < this.lines.length) {
      const text = this.lines[this.i++] as string;
      this.lineNo++;
      if (text.length === 0 || (text.length < 3 && text.trim() === '')) continue;
      let parsed: TraceLine | MetaHeader;
      try {
        parsed = parseLine(text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text, this.slot);
      } catch (e) {
        throw this.located(e);
      }
      if ('type' in parsed) {
        if (!allowMeta) throw this.located(new TraceError('a meta header must be the first line of its file'));
        return parsed;
      }
      this.cur = parsed;
      this.time = lineTime(parsed);
      return true;
    }
    return false;
  }

  /** Moves to the next packet line, reading more input when needed; `cur` is null at the end. */
  async advance(allowMeta: boolean): Promise<MetaHeader | null> {
    for (;;) {
      const r = this.step(allowMeta);
      if (r === true) return null;
      if (r !== false) return r;
      const next = await this.reader.next();
      if (next === null) {
        this.cur = null;
        return null;
      }
      this.lines = next;
      this.i = 0;
    }
  }
}

function sameTopology(a: MetaHeader, b: MetaHeader): boolean {
  const key = (m: MetaHeader) => JSON.stringify([m.clients, m.gateways, m.layers, m.mean_delay, m.proc]);
  return key(a) === key(b);
}

/** Frontier updates happen every this many lines (and at the end). */
const FRONTIER_EVERY = 1024;

/**
 * Reads every source and feeds the sink in merged write-time order (§5 "k-way merge of the per-node
 * streams"). Headers: the first line of any file may be a meta header; all headers must agree.
 */
export async function mergeSources(sources: readonly TraceSource[], sink: MergeSink): Promise<void> {
  const cursors = sources.map((s) => new Cursor(s.name, s.open()));
  try {
    const found: { meta: MetaHeader | null; file: string | null } = { meta: null, file: null };
    for (const c of cursors) {
      const m = await c.advance(true);
      if (!m) continue;
      const prev = found.meta;
      if (prev === null) {
        found.meta = m;
        found.file = c.name;
      } else if (!sameTopology(prev, m)) {
        throw new TraceError(`${c.name}:${c.lineNo}: meta header disagrees with the one in ${found.file}`);
      } else if (m.t_end !== undefined && (prev.t_end === undefined || m.t_end > prev.t_end)) {
        found.meta = { ...prev, t_end: m.t_end };
      }
      await c.advance(false);
    }
    sink.start(found.meta, found.file);
    // binary min-heap of cursors by the write time of their next line
    const heap = cursors.filter((c) => c.cur !== null);
    const less = (a: Cursor, b: Cursor) => a.time < b.time;
    const down = (i0: number) => {
      let i = i0;
      const n = heap.length;
      const item = heap[i] as Cursor;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && less(heap[r] as Cursor, heap[l] as Cursor) ? r : l;
        if (!less(heap[m] as Cursor, item)) break;
        heap[i] = heap[m] as Cursor;
        i = m;
      }
      heap[i] = item;
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let frontier = -Infinity;
    let count = 0;
    while (heap.length > 0) {
      const c = heap[0] as Cursor;
      try {
        sink.line(c.cur as TraceLine);
      } catch (e) {
        throw c.located(e);
      }
      if (c.step(false) !== true) await c.advance(false);
      if (c.cur === null) {
        const last = heap.pop() as Cursor;
        if (heap.length > 0) {
          heap[0] = last;
          down(0);
        }
      } else down(0);
      if (++count % FRONTIER_EVERY === 0 && heap.length > 0) {
        // min write time over the inputs still open; monotone (§5 watermark handles disorder)
        const t = (heap[0] as Cursor).time;
        if (t > frontier) {
          frontier = t;
          sink.frontier(frontier);
        }
      }
    }
    sink.frontier(Infinity);
  } finally {
    await Promise.all(cursors.map((c) => c.reader.close().catch(() => {})));
  }
}
