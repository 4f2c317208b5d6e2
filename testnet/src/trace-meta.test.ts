import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEpochs, writeTraceMeta } from './trace-meta.js';

const lines = (...objects: object[]) => `${objects.map((o) => JSON.stringify(o)).join('\n')}\n`;

describe('the meta header of a traced testnet run', () => {
  it('gives gateways a processing constant per direction, names clients only a gateway saw, and estimates λ_real', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-meta-'));
    const topologyPath = join(dir, 'topology.json');
    writeFileSync(topologyPath, JSON.stringify({ layers: [[{ id: 'mix-1-1' }]], gateways: [{ id: 'gateway-1' }] }));
    writeFileSync(
      join(dir, 'c-aaaa.jsonl'),
      lines(
        { n: 'c-aaaa', tx: 10, nx: 'gateway-1', hx: 'h0', gt: { k: 'real', d: 'c-bbbb' } },
        { n: 'c-aaaa', tx: 12, nx: 'gateway-1', hx: 'h4', gt: { k: 'loop', d: 'c-aaaa' } },
        { n: 'c-aaaa', tx: 20, nx: 'gateway-1', hx: 'h8', gt: { k: 'real', d: 'c-bbbb' } },
      ),
    );
    writeFileSync(
      join(dir, 'gateway-1.jsonl'),
      lines(
        // from a client: forwarded in 5 µs; from a mix: unwrapped in 150 µs; from an untraced client
        { n: 'gateway-1', ti: 10, pi: 'c-aaaa', hi: 'h0', tx: 10.000005, nx: 'mix-1-1', hx: 'h1' },
        { n: 'gateway-1', ti: 10.02, pi: 'mix-1-1', hi: 'h2', tx: 10.02015, nx: 'c-bbbb', hx: 'h3' },
        { n: 'gateway-1', ti: 11, pi: 'c-cccc', hi: 'h5', tx: 11.000007, nx: 'mix-1-1', hx: 'h6' },
      ),
    );
    writeFileSync(
      join(dir, 'mix-1-1.jsonl'),
      lines({ n: 'mix-1-1', ti: 10.000006, pi: 'gateway-1', hi: 'h1', tx: 10.02, nx: 'gateway-1', hx: 'h2' }),
    );
    await writeTraceMeta(dir, { mu: 15, topologyPath });
    const meta = JSON.parse(readFileSync(join(dir, 'meta.jsonl'), 'utf8'));
    expect(meta.clients).toEqual(['c-aaaa', 'c-bbbb', 'c-cccc']);
    expect(meta.proc).toBeCloseTo(0.019994, 9);
    expect(meta.params.gateway_proc_in).toBeCloseTo(0.000005, 9);
    expect(meta.params.gateway_proc_out).toBeCloseTo(0.00015, 9);
    // 2 real emissions by 3 clients over the 10 s from the first emission to the last line
    expect(meta.params.rates.real).toBeCloseTo(2 / 3 / 10, 9);
  });

  it('reads a directory’s epochs on the trace clock: bounds, μ, active layers, only those the trace covers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-epochs-'));
    mkdirSync(dir, { recursive: true });
    const doc = (epoch: number, muMs?: number) => ({
      document: JSON.stringify({
        epoch,
        validFrom: 1_000_000 + 5_000 * epoch,
        validUntil: 1_000_000 + 5_000 * (epoch + 1),
        layers: [[{ id: `mix-1-${epoch}` }], [{ id: 'mix-2-1' }, { id: 'mix-2-2' }]],
        ...(muMs !== undefined ? { muMs } : {}),
      }),
      signature: 'x',
    });
    for (const e of [0, 1, 2, 3])
      writeFileSync(
        join(dir, `${String(e).padStart(10, '0')}.json`),
        JSON.stringify(doc(e, e === 2 ? undefined : 40 - 10 * e)),
      );
    writeFileSync(join(dir, 'ignored.tmp'), 'x');
    // wall ms 1,000,000 is trace second 100: offset = 100 s − 1,000 s
    const offsetNs = (100 - 1_000) * 1e9;
    const epochs = readEpochs(dir, 106, 114, 0.015, offsetNs);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[0]).toEqual({
      epoch: 1,
      from: 105,
      until: 110,
      mean_delay: 0.03,
      layers: [['mix-1-1'], ['mix-2-1', 'mix-2-2']],
    });
    // a document without μ: the clients' own
    expect(epochs[1]?.mean_delay).toBe(0.015);
    expect(readEpochs(join(dir, 'absent'), 0, 1, 0.015, 0)).toEqual([]);
  });
});
