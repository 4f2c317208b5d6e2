import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrafficMeter, PACKETS_COUNTER, readCounter } from './traffic.js';

describe('readCounter', () => {
  it('sums the series of the counter, and only of that one', () => {
    const text = [
      '# HELP mixnet_packets_received_total Sphinx packets received over TCP',
      '# TYPE mixnet_packets_received_total counter',
      'mixnet_packets_received_total{role="mix",node="mix-1-1"} 120',
      'mixnet_packets_received_total{role="mix",node="mix-1-2"} 5e1',
      'mixnet_packets_received_total_extra 999',
      'mixnet_packets_forwarded_total 7',
    ].join('\n');
    expect(readCounter(text, PACKETS_COUNTER)).toBe(170);
    expect(readCounter('mixnet_packets_forwarded_total 7', PACKETS_COUNTER)).toBeUndefined();
  });

  it('property: any text gives a finite number or undefined, never a throw', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.double({ min: 0, max: 1e12, noNaN: true }), { maxLength: 4 }), (s, vs) => {
        const text = `${s}\n${vs.map((v) => `${PACKETS_COUNTER}{a="${vs.indexOf(v)}"} ${v}`).join('\n')}`;
        const r = readCounter(text, PACKETS_COUNTER);
        expect(r === undefined || Number.isFinite(r)).toBe(true);
        if (vs.length > 0 && !s.includes(PACKETS_COUNTER))
          expect(r).toBeCloseTo(
            vs.reduce((a, b) => a + b, 0),
            0,
          );
      }),
    );
  });
});

describe('traffic meter', () => {
  it('rates from the last two samples; a restart or a silent node has none; layers sum their mixes', async () => {
    const counts = new Map<string, number | Error>([
      ['http://a', 100],
      ['http://b', 10],
    ]);
    let t = 0;
    const meter = createTrafficMeter({
      now: () => t,
      scrape: async (url) => {
        const c = counts.get(url);
        if (c === undefined || c instanceof Error) throw c ?? new Error('no such node');
        return `${PACKETS_COUNTER} ${c}\n`;
      },
    });
    const targets = [
      { id: 'a', metricsUrl: 'http://a' },
      { id: 'b', metricsUrl: 'http://b' },
    ];
    await meter.sample(targets);
    expect(meter.rate('a')).toBeUndefined();
    t = 5_000;
    counts.set('http://a', 600);
    counts.set('http://b', 260);
    await meter.sample(targets);
    expect(meter.rate('a')).toBe(100);
    expect(meter.rate('b')).toBe(50);
    expect(meter.layerRates([['a', 'b'], ['b'], ['c']])).toEqual([150, 50, 0]);
    t = 10_000;
    counts.set('http://a', 3); // restarted
    counts.set('http://b', new Error('down'));
    await meter.sample(targets);
    expect(meter.rate('a')).toBeUndefined();
    expect(meter.rate('b')).toBeUndefined();
    t = 11_000;
    counts.set('http://a', 103);
    await meter.sample(targets);
    expect(meter.rate('a')).toBe(100);
  });

  it('reads a real /metrics endpoint over HTTP', async () => {
    let n = 0;
    const server = createServer((req, res) => {
      n += 1000;
      res.writeHead(req.url === '/metrics' ? 200 : 404);
      res.end(`${PACKETS_COUNTER}{role="mix"} ${n}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let t = 0;
    const meter = createTrafficMeter({ now: () => t });
    await meter.sample([{ id: 'm', metricsUrl: url }]);
    t = 2_000;
    await meter.sample([{ id: 'm', metricsUrl: url }]);
    server.close();
    expect(meter.rate('m')).toBe(500);
  });
});
