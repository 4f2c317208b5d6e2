/**
 * The mix node's delay scheduler (ARCHITECTURE.md, "Mixing and traffic"): packets are held for the
 * sender-chosen delay in a binary min-heap keyed by due time (ties in insertion order), driven by
 * ONE timer, never a timer per packet.
 *
 * Precision: Node's setTimeout works in whole milliseconds off a cached loop clock, so it fires up
 * to ~1 ms late (or early, for fractional delays). The scheduler learns the timer's lateness (a
 * moving average) and arms that much early, releases everything due within `earlyToleranceMs` when
 * it fires (which centres the error on the due time), and uses setImmediate when the head is due
 * within that tolerance already. It does not spin with setImmediate through the last millisecond:
 * measured here, that burned ~40% of a core at 2,000 packets/s and, on a saturated 2-core machine,
 * made the mean error worse (+0.6 ms against +0.1 to +0.2 ms), since a spinning process loses the
 * wake-up priority a sleeping one gets.
 */
import { performance } from 'node:perf_hooks';

export interface SchedulerOptions<T> {
  onDue: (item: T) => void;
  /** monotonic ms clock, default performance.now */
  now?: () => number;
  /** release items due within this many ms when the timer fires, default 0.5 */
  earlyToleranceMs?: number;
  /** told about an onDue that threw; the scheduler carries on either way (default: a process warning) */
  onError?: (err: unknown, item: T) => void;
  /** Items held at most (issue 14 #16); schedule() refuses beyond it. Default unbounded. */
  maxItems?: number;
  /** Bytes held at most, as `sizeOf` counts them; schedule() refuses beyond it. Default unbounded. */
  maxBytes?: number;
  /** An item's size for maxBytes (default 0). */
  sizeOf?: (item: T) => number;
}

export interface Scheduler<T> {
  /** Holds `item` for `delayMs`; false (nothing held) when maxItems or maxBytes would be exceeded. */
  schedule(delayMs: number, item: T): boolean;
  readonly size: number;
  /** Bytes held, as `sizeOf` counts them. */
  readonly bytes: number;
  /** remove and return everything held, earliest first (shutdown: forward at once) */
  drain(): T[];
  /** clears the timer; held items stay until drain() */
  stop(): void;
}

interface Entry<T> {
  due: number;
  seq: number;
  size: number;
  item: T;
}

/** Bounds and weight of the learned setTimeout lateness. */
const LATE_MIN_MS = -1;
const LATE_MAX_MS = 4;
const LATE_WEIGHT = 0.1;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function createScheduler<T>(opts: SchedulerOptions<T>): Scheduler<T> {
  const { onDue } = opts;
  const now = opts.now ?? (() => performance.now());
  const tolerance = Math.max(0, opts.earlyToleranceMs ?? 0.5);
  const onError =
    opts.onError ??
    ((err: unknown) => process.emitWarning(`scheduler: onDue threw: ${err instanceof Error ? err.message : err}`));

  const maxItems = opts.maxItems ?? Number.POSITIVE_INFINITY;
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  const sizeOf = opts.sizeOf;
  const heap: Entry<T>[] = [];
  let bytes = 0;
  let seq = 0;
  let stopped = false;
  let firing = false;

  // The one timer: either a Timeout aimed at `armedDue`, or an Immediate (release on the next turn).
  let timeout: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let armedDue = Number.POSITIVE_INFINITY;
  let armedAt = 0;
  let armedDelay = 0;
  let lateMs = 0;

  const less = (a: Entry<T>, b: Entry<T>) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

  function push(e: Entry<T>): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Entry<T>;
      if (!less(e, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = e;
  }

  function pop(): Entry<T> | undefined {
    const top = heap[0];
    if (top !== undefined) bytes -= top.size;
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(heap[r] as Entry<T>, heap[l] as Entry<T>)) c = r;
      const child = heap[c] as Entry<T>;
      if (!less(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }

  function disarm(): void {
    if (timeout !== undefined) clearTimeout(timeout);
    if (immediate !== undefined) clearImmediate(immediate);
    timeout = undefined;
    immediate = undefined;
    armedDue = Number.POSITIVE_INFINITY;
  }

  function arm(): void {
    const head = heap[0];
    if (stopped || firing || head === undefined) return;
    if (immediate !== undefined) return; // fires on the next loop turn and re-arms from there
    if (timeout !== undefined && armedDue <= head.due) return;
    disarm();
    const t = now();
    const remaining = head.due - t;
    const delay = remaining - lateMs;
    if (remaining <= tolerance) {
      immediate = setImmediate(fire, false);
      armedDue = head.due;
      return;
    }
    armedAt = t;
    // Past 2^31 − 1 ms Node fires after 1 ms instead; aim short and re-arm when it fires.
    armedDelay = Math.min(Math.max(1, delay), MAX_TIMEOUT_MS);
    armedDue = head.due;
    timeout = setTimeout(fire, armedDelay, true);
  }

  function fire(fromTimeout: boolean): void {
    timeout = undefined;
    immediate = undefined;
    armedDue = Number.POSITIVE_INFINITY;
    const t = now();
    if (fromTimeout) {
      const late = Math.min(LATE_MAX_MS, Math.max(LATE_MIN_MS, t - armedAt - armedDelay));
      lateMs += (late - lateMs) * LATE_WEIGHT;
    }
    // Timers tick in whole ms: releasing up to `tolerance` early centres the error on the due time.
    const horizon = t + tolerance;
    // Items scheduled from inside onDue wait for the next turn, so a zero-delay loop cannot starve I/O.
    const seqLimit = seq;
    firing = true;
    try {
      for (;;) {
        const head = heap[0];
        if (head === undefined || head.due > horizon || head.seq >= seqLimit || stopped) break;
        pop();
        try {
          onDue(head.item);
        } catch (err) {
          try {
            onError(err, head.item);
          } catch {
            // A throwing reporter must not wedge the scheduler either.
          }
        }
      }
    } finally {
      firing = false;
    }
    arm();
  }

  return {
    schedule(delayMs: number, item: T): boolean {
      if (!Number.isFinite(delayMs)) throw new RangeError(`scheduler: delay ${delayMs} is not finite`);
      const size = sizeOf ? sizeOf(item) : 0;
      if (heap.length >= maxItems || bytes + size > maxBytes) return false;
      const due = now() + Math.max(0, delayMs);
      bytes += size;
      push({ due, seq: seq++, size, item });
      arm();
      return true;
    },
    get size() {
      return heap.length;
    },
    get bytes() {
      return bytes;
    },
    drain(): T[] {
      disarm();
      const out: T[] = [];
      for (let e = pop(); e !== undefined; e = pop()) out.push(e.item);
      return out;
    },
    stop(): void {
      stopped = true;
      disarm();
    },
  };
}
