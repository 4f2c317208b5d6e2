/**
 * The live anonymity figure on a trace folder as a traced testnet writes it (one file per node),
 * here written by the simulator: H_out and the degree of anonymity of the newest window only.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '@mixnet/analyze';
import { afterAll, describe, expect, it } from 'vitest';
import { windowAnonymity } from './anonymity.js';

describe('anonymity of the last trace window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-dash-anon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives H_out and d over the newest seconds only, from the trace files and topology alone', async () => {
    const trace = join(dir, 'trace');
    const sim = await simulate({
      clients: 4,
      layers: 2,
      width: 2,
      mu: 0.02,
      seconds: 20,
      seed: 3,
      cover: true,
      out: trace,
    });
    // A live run has no header until `down`: the dashboard writes its own from the topology.
    unlinkSync(join(trace, 'meta.jsonl'));
    const topologyPath = join(dir, 'topology.json');
    writeFileSync(
      topologyPath,
      JSON.stringify({
        layers: sim.meta.layers.map((l) => l.map((id) => ({ id }))),
        gateways: sim.meta.gateways.map((id) => ({ id })),
      }),
    );
    const recent = await windowAnonymity({ traceDir: trace, topologyPath, mu: 20, windowS: 6 });
    const whole = await windowAnonymity({ traceDir: trace, topologyPath, mu: 20, windowS: 60 });
    expect(recent.error).toBeUndefined();
    // With cover, a target hides among several exit packets; a window sees about what the whole run does.
    expect(recent.hOut).toBeGreaterThan(1);
    expect(Math.abs((recent.hOut as number) - (whole.hOut as number))).toBeLessThan(0.25 * (whole.hOut as number));
    expect(recent.degree).toBeGreaterThan(0);
    expect(recent.degree).toBeLessThanOrEqual(1);
    expect(recent.senders).toBe(4);
    // The window holds a part of the run: fewer targets than the whole trace.
    expect(recent.targets).toBeGreaterThan(10);
    expect(recent.targets).toBeLessThan(whole.targets * 0.6);
  });

  it('says why there is no figure for an empty trace folder', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await windowAnonymity({ traceDir: empty, topologyPath: join(dir, 'none.json'), mu: 15 });
    expect(r).toMatchObject({ hOut: null, degree: null, error: 'no trace files yet' });
  });
});
