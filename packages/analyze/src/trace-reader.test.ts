/** The trace reader: any file order, folders, single files, headers, and malformed-line errors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeSources, analyzeTraces } from './analyze.js';
import { simulate } from './simulate.js';
import { meta, packet, sources } from './test-support/traces.js';
import { fileSource, memorySource, resolveTracePaths } from './trace-reader.js';
import { MemorySink } from './trace-sink.js';

const tmp = mkdtempSync(join(tmpdir(), 'analyze-reader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const small = { clients: 6, mu: 0.02, seconds: 4, seed: 9, cover: true, rates: { real: 4, payload: 20, loop: 4 } };
const opts = { forwardSample: 0.5 };
/** The parts of a result that must not depend on how the trace was split or ordered. */
const digest = (r: Awaited<ReturnType<typeof analyzeSources>>) => ({
  hOut: r.hOut,
  hSnd: r.hSnd,
  cal: r.calibration,
  eps: r.epsilon,
  delays: r.delays.n,
  counts: { ...r.counts, maxLiveWires: 0, maxBacklog: 0 },
});

describe('trace reader', () => {
  it('gives the same result for any order of the inputs (property)', async () => {
    const sim = simulate(small);
    const base = digest(await analyzeSources(sim.sources, opts));
    expect(base.hOut.n).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(sim.sources, { minLength: sim.sources.length }), async (order) => {
        expect(digest(await analyzeSources(order, opts))).toEqual(base);
      }),
      { numRuns: 5 },
    );
  });

  it('reads a folder, a list of files, and one merged file alike', async () => {
    const dir = join(tmp, 'folder');
    simulate({ ...small, out: dir });
    const single = join(tmp, 'single', 'trace.jsonl');
    simulate({ ...small, out: single, layout: 'single-file' });
    const mem = digest(await analyzeSources(simulate(small).sources, opts));
    const files = await resolveTracePaths([dir]);
    expect(files.length).toBe(1 + 6 + 1 + 9);
    expect(digest(await analyzeTraces([dir], opts))).toEqual(mem);
    expect(digest(await analyzeTraces([...files].reverse(), opts))).toEqual(mem);
    expect(digest(await analyzeTraces([single], opts))).toEqual(mem);
    // a file named twice is read once
    expect(digest(await analyzeTraces([dir, files[0] as string], opts))).toEqual(mem);
  });

  it('names the file and line of a malformed line', async () => {
    const path = join(tmp, 'bad.jsonl');
    writeFileSync(
      path,
      `${JSON.stringify(meta())}\n{"n":"a","tx":6,"nx":"g","hx":"p0","gt":{"k":"real","d":"r"}}\n\n{"n":"g","ti":6,"pi":"a"\n`,
    );
    await expect(analyzeTraces([path])).rejects.toThrow(`${path}:4: invalid JSON`);
    const unknown = join(tmp, 'unknown.jsonl');
    writeFileSync(
      unknown,
      `${JSON.stringify(meta())}\n{"n":"zz","tx":6,"nx":"g","hx":"p0","gt":{"k":"real","d":"r"}}\n`,
    );
    await expect(analyzeTraces([unknown])).rejects.toThrow(`${unknown}:2: node "zz" is not in the meta header`);
  });

  it('checks headers: required, first line only, and consistent across files', async () => {
    const lines = sources(meta(), packet('p', 'a', 6, 7)).slice(1);
    await expect(analyzeSources(lines)).rejects.toThrow(/no meta header/);
    // supplying the header as an option works instead
    expect((await analyzeSources(lines, { meta: meta(), warmup: 5 })).hOut.n).toBe(1);
    const late = memorySource('late.jsonl', [
      '{"n":"a","tx":6,"nx":"g","hx":"p0","gt":{"k":"real","d":"r"}}',
      JSON.stringify(meta()),
    ]);
    await expect(analyzeSources([late], { meta: meta() })).rejects.toThrow(
      'late.jsonl:2: a meta header must be the first line',
    );
    const other = memorySource('other.jsonl', [JSON.stringify(meta({ mean_delay: 2 }))]);
    await expect(analyzeSources([...sources(meta()), other])).rejects.toThrow(/other.jsonl:1: meta header disagrees/);
  });

  it('rejects an input whose lines are not in write-time order', async () => {
    // one file holding the per-node files one after the other
    const sink = new MemorySink();
    simulate({ ...small, cover: false, seconds: 20, rates: { real: 20 }, sink });
    const all = [...sink.files.values()].flat();
    await expect(analyzeSources([memorySource('cat.jsonl', all)])).rejects.toThrow(
      /cat.jsonl:\d+: departure at .* write-time order/,
    );
    expect((await analyzeSources(sink.sources())).counts.lines).toBe(all.length - 1);
  });

  it('reports inconsistent wiring with its location', async () => {
    const dup = memorySource('a.jsonl', [
      JSON.stringify(meta()),
      '{"n":"a","tx":6,"nx":"g","hx":"p0","gt":{"k":"real","d":"r"}}',
      '{"n":"a","tx":7,"nx":"g","hx":"p0","gt":{"k":"real","d":"r"}}',
    ]);
    await expect(analyzeSources([dup])).rejects.toThrow('a.jsonl:3: wire id p0 departs twice');
  });

  it('streams: live state stays bounded by in-flight packets, not the trace length', async () => {
    const short = simulate({ ...small, seconds: 5, cover: false, rates: { real: 20 } });
    const long = simulate({ ...small, seconds: 40, cover: false, rates: { real: 20 } });
    const a = await analyzeSources(short.sources, { forwardSample: 0.05 });
    const b = await analyzeSources(long.sources, { forwardSample: 0.05 });
    expect(b.counts.lines).toBeGreaterThan(6 * a.counts.lines);
    // bounded by the frontier batch (1024 lines) plus what is in the pools
    expect(b.counts.maxLiveWires).toBeLessThan(2000);
    expect(b.counts.maxLiveWires).toBeLessThan(1.5 * a.counts.maxLiveWires + 200);
  });

  it('reads files in chunks, across chunk boundaries and without a final newline', async () => {
    const path = join(tmp, 'chunks.jsonl');
    const body = Array.from({ length: 30000 }, (_, i) => `{"n":"x${i}"}`).join('\n');
    writeFileSync(path, body);
    const reader = fileSource(path).open();
    const got: string[] = [];
    for (let b = await reader.next(); b !== null; b = await reader.next()) got.push(...b);
    await reader.close();
    expect(got.length).toBe(30000);
    expect(got[29999]).toBe('{"n":"x29999"}');
    expect(got.every((l, i) => l === `{"n":"x${i}"}`)).toBe(true);
  });
});
