/** The delay scheduler: order, ties, drain/stop, re-entrancy, errors (fake clock) and real-timer accuracy. */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, type SchedulerOptions } from './scheduler.js';

describe('scheduler (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = <T>(extra: Partial<SchedulerOptions<T>> = {}) => {
    const out: T[] = [];
    const s = createScheduler<T>({ onDue: (x) => out.push(x), now: () => Date.now(), ...extra });
    return { s, out };
  };

  it('releases items in due order, each at its due time', () => {
    const { s, out } = make<string>();
    s.schedule(30, 'c');
    s.schedule(10, 'a');
    s.schedule(20, 'b');
    expect(s.size).toBe(3);
    vi.advanceTimersByTime(9);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(out).toEqual(['a']);
    vi.advanceTimersByTime(10);
    expect(out).toEqual(['a', 'b']);
    vi.advanceTimersByTime(10);
    expect(out).toEqual(['a', 'b', 'c']);
    expect(s.size).toBe(0);
  });

  it('releases ties in insertion order', () => {
    const { s, out } = make<number>();
    for (let i = 0; i < 50; i++) s.schedule(7, i);
    vi.advanceTimersByTime(7);
    expect(out).toEqual([...Array(50).keys()]);
  });

  it('uses one timer however many items it holds', () => {
    const { s, out } = make<number>();
    for (let i = 0; i < 1000; i++) s.schedule((i * 7919) % 100, i);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(out).toHaveLength(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms for an item due earlier than the armed one', () => {
    const { s, out } = make<string>();
    s.schedule(100, 'late');
    s.schedule(10, 'early');
    vi.advanceTimersByTime(10);
    expect(out).toEqual(['early']);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('releases a zero (or negative) delay on the next turn, not synchronously', () => {
    const { s, out } = make<string>();
    s.schedule(0, 'now');
    s.schedule(-5, 'past');
    expect(out).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(out).toEqual(['now', 'past']);
    expect(() => s.schedule(Number.NaN, 'x')).toThrow(RangeError);
    expect(() => s.schedule(Number.POSITIVE_INFINITY, 'x')).toThrow(RangeError);
  });

  it('refuses items past maxItems or maxBytes (nothing held), and takes them again once some are released', () => {
    const { s, out } = make<{ id: number; size: number }>({ maxItems: 3, maxBytes: 250, sizeOf: (x) => x.size });
    expect(s.schedule(100, { id: 1, size: 100 })).toBe(true);
    expect(s.schedule(200, { id: 2, size: 100 })).toBe(true);
    expect(s.schedule(300, { id: 3, size: 100 })).toBe(false); // 300 bytes > 250
    expect(s.schedule(300, { id: 4, size: 50 })).toBe(true);
    expect(s.schedule(400, { id: 5, size: 0 })).toBe(false); // a 4th item
    expect(s.size).toBe(3);
    expect(s.bytes).toBe(250);
    vi.advanceTimersByTime(150);
    expect(out.map((x) => x.id)).toEqual([1]);
    expect(s.bytes).toBe(150);
    expect(s.schedule(50, { id: 6, size: 100 })).toBe(true);
    expect(s.drain().map((x) => x.id)).toEqual([2, 6, 4]); // 2 and 6 tie at 200: insertion order
    expect(s.bytes).toBe(0);
  });

  it('drain returns everything held, earliest first, and nothing fires afterwards', () => {
    const { s, out } = make<string>();
    s.schedule(30, 'c');
    s.schedule(10, 'a');
    s.schedule(20, 'b');
    s.schedule(10, 'a2');
    expect(s.drain()).toEqual(['a', 'a2', 'b', 'c']);
    expect(s.size).toBe(0);
    vi.advanceTimersByTime(100);
    expect(out).toEqual([]);
  });

  it('stop clears the timer but keeps the items for drain', () => {
    const { s, out } = make<string>();
    s.schedule(10, 'a');
    s.schedule(5, 'b');
    s.stop();
    expect(vi.getTimerCount()).toBe(0);
    s.schedule(1, 'c'); // held, not armed
    vi.advanceTimersByTime(100);
    expect(out).toEqual([]);
    expect(s.size).toBe(3);
    expect(s.drain()).toEqual(['c', 'b', 'a']);
  });

  it('handles items scheduled from inside onDue', () => {
    const out: string[] = [];
    const s = createScheduler<string>({
      now: () => Date.now(),
      onDue: (x) => {
        out.push(x);
        if (x === 'a') {
          s.schedule(0, 'a-now');
          s.schedule(5, 'a-later');
        }
      },
    });
    s.schedule(10, 'a');
    s.schedule(12, 'b');
    vi.advanceTimersByTime(10);
    expect(out).toEqual(['a']); // 'a-now' waits for the next turn (fake timers put that 1 ms on)
    vi.advanceTimersByTime(1);
    expect(out).toEqual(['a', 'a-now']);
    vi.advanceTimersByTime(1);
    expect(out).toEqual(['a', 'a-now', 'b']);
    vi.advanceTimersByTime(3);
    expect(out).toEqual(['a', 'a-now', 'b', 'a-later']);
  });

  it('a zero-delay loop from onDue does not starve other timers', () => {
    let n = 0;
    const s = createScheduler<number>({
      now: () => Date.now(),
      onDue: (x) => {
        n++;
        s.schedule(0, x);
      },
    });
    s.schedule(0, 1);
    let other = false;
    setTimeout(() => {
      other = true;
    }, 0);
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    expect(other).toBe(true);
    expect(n).toBeGreaterThan(0);
    s.stop();
  });

  it('reports an onDue that throws via onError and keeps going', () => {
    const errors: [unknown, string][] = [];
    const out: string[] = [];
    const s = createScheduler<string>({
      now: () => Date.now(),
      onDue: (x) => {
        if (x === 'bad') throw new Error('boom');
        out.push(x);
      },
      onError: (err, item) => errors.push([err, item]),
    });
    s.schedule(1, 'a');
    s.schedule(1, 'bad');
    s.schedule(1, 'b');
    s.schedule(5, 'c');
    vi.advanceTimersByTime(5);
    expect(out).toEqual(['a', 'b', 'c']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual([new Error('boom'), 'bad']);
  });

  it('survives a throwing onError too', () => {
    const out: string[] = [];
    const s = createScheduler<string>({
      now: () => Date.now(),
      onDue: (x) => {
        if (x === 'bad') throw new Error('boom');
        out.push(x);
      },
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    s.schedule(1, 'bad');
    s.schedule(2, 'ok');
    vi.advanceTimersByTime(2);
    expect(out).toEqual(['ok']);
  });

  it('property: any interleaving of schedules and clock advances releases in nondecreasing due order', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('schedule' as const), delay: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const released: { due: number; at: number; id: number }[] = [];
        const s = createScheduler<{ due: number; id: number }>({
          now: () => Date.now(),
          earlyToleranceMs: 0,
          onDue: (x) => released.push({ ...x, at: Date.now() }),
        });
        let id = 0;
        for (const o of ops) {
          if (o.t === 'schedule') s.schedule(o.delay, { due: Date.now() + o.delay, id: id++ });
          else vi.advanceTimersByTime(o.ms);
        }
        vi.advanceTimersByTime(100);
        expect(released).toHaveLength(id);
        expect(s.size).toBe(0);
        for (let i = 1; i < released.length; i++) {
          const a = released[i - 1] as (typeof released)[number];
          const b = released[i] as (typeof released)[number];
          expect(a.due <= b.due).toBe(true);
          if (a.due === b.due) expect(a.id < b.id).toBe(true);
        }
        for (const r of released) expect(r.at).toBeGreaterThanOrEqual(r.due);
      }),
    );
  });
});

describe('scheduler (real timers)', () => {
  it('holds 2000 Exp(15 ms) delays with mean error well under a millisecond', async () => {
    const n = 2000;
    const errors: number[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const s = createScheduler<number>({
      onDue: (due) => {
        errors.push(performance.now() - due);
        if (errors.length === n) done();
      },
    });
    // Arrivals spread over ~1 s (4 every 2 ms), as a node sees them, rather than one burst.
    let sent = 0;
    const feed = () => {
      for (let i = 0; i < 4 && sent < n; i++, sent++) {
        const delay = -15 * Math.log(1 - Math.random());
        s.schedule(delay, performance.now() + delay);
      }
      if (sent < n) setTimeout(feed, 2);
    };
    feed();
    await finished;
    const meanSigned = errors.reduce((a, b) => a + b, 0) / n;
    const meanAbs = errors.reduce((a, b) => a + Math.abs(b), 0) / n;
    console.log(`scheduler accuracy: mean error ${meanSigned.toFixed(3)} ms, mean |error| ${meanAbs.toFixed(3)} ms`);
    expect(Math.abs(meanSigned)).toBeLessThan(0.75);
    expect(meanAbs).toBeLessThan(0.75);
  });
});
