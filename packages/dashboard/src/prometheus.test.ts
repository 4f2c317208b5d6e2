import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byLabel, parsePrometheus, sumOf } from './prometheus.js';

const NODE_TEXT = `# HELP mixnet_packets_received_total Sphinx packets received over TCP
# TYPE mixnet_packets_received_total counter
mixnet_packets_received_total{role="mix",id="mix-1-1"} 1234
mixnet_packets_dropped_total{reason="replay",role="mix",id="mix-1-1"} 3
mixnet_packets_dropped_total{reason="bad_mac",role="mix",id="mix-1-1"} 2
mixnet_packets_dropped_total{reason="replay",role="mix",id="mix-1-1",worker="2"} 4
mixnet_hold_seconds_bucket{le="+Inf",role="mix",id="mix-1-1"} 17
mixnet_scheduler_depth{role="mix",id="mix-1-1"} 5e0 1700000000000
`;

describe('Prometheus text reader', () => {
  it('reads names, labels and values of a node scrape, skipping comments', () => {
    const { samples, skipped } = parsePrometheus(NODE_TEXT);
    expect(skipped).toBe(0);
    expect(samples).toHaveLength(6);
    expect(sumOf(samples, 'mixnet_packets_received_total')).toBe(1234);
    expect(byLabel(samples, 'mixnet_packets_dropped_total', 'reason')).toEqual({ replay: 7, bad_mac: 2 });
    expect(sumOf(samples, 'mixnet_packets_dropped_total', { reason: 'bad_mac' })).toBe(2);
    expect(samples.find((s) => s.name === 'mixnet_hold_seconds_bucket')?.labels.le).toBe('+Inf');
    expect(sumOf(samples, 'mixnet_scheduler_depth')).toBe(5);
  });

  it('unescapes label values and reads special values', () => {
    const { samples } = parsePrometheus('m{a="x\\"y\\\\z\\nw"} +Inf\nn NaN\no -Inf\n');
    expect(samples[0]).toEqual({ name: 'm', labels: { a: 'x"y\\z\nw' }, value: Number.POSITIVE_INFINITY });
    expect(samples[1]?.value).toBeNaN();
    expect(samples[2]?.value).toBe(Number.NEGATIVE_INFINITY);
  });

  it('counts malformed lines instead of failing the scrape', () => {
    const { samples, skipped } = parsePrometheus('ok 1\n9bad 1\nx{a="unterminated} 2\ny{a="1"} notanumber\nz 1 2 3\n');
    expect(samples.map((s) => s.name)).toEqual(['ok']);
    expect(skipped).toBe(4);
  });

  it('reads back any sample it is given (property)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/);
    const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    fc.assert(
      fc.property(
        name,
        fc.dictionary(labelName, fc.string({ maxLength: 12 }), { maxKeys: 4 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (n, labels, value) => {
          const body = Object.entries(labels)
            .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
            .join(',');
          const line = `${n}${body ? `{${body}}` : ''} ${String(value)}`;
          const { samples, skipped } = parsePrometheus(`# c\n${line}\n`);
          expect(skipped).toBe(0);
          expect(samples).toEqual([{ name: n, labels: { ...labels }, value: Number(String(value)) }]);
        },
      ),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parsePrometheus(text);
        expect(r.samples.length + r.skipped).toBeLessThanOrEqual(text.split('\n').length);
      }),
    );
  });
});
