// The charts (uPlot): traffic with fault bands, latency p50/p95, the latency histogram, anonymity.
import uPlot from '/vendor/uPlot.esm.js';

const WIDTH = () => Math.max(320, Math.min(900, (document.querySelector('.card:not(.wide)')?.clientWidth ?? 600) - 30));

/** Shaded bands [from, to] (seconds) drawn under the series: faults in force. */
function bandsPlugin(getBands) {
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx } = u;
        ctx.save();
        ctx.fillStyle = 'rgba(138, 63, 252, 0.12)';
        for (const [a, b] of getBands()) {
          const x0 = u.valToPos(a, 'x', true);
          const x1 = u.valToPos(b, 'x', true);
          ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
        }
        ctx.restore();
      },
    },
  };
}

export function createCharts(getFaultBands) {
  const series = (label, stroke, extra = {}) => ({ label, stroke, width: 2, ...extra });
  const traffic = new uPlot(
    {
      width: WIDTH(),
      height: 200,
      plugins: [bandsPlugin(getFaultBands)],
      series: [{}, series('in', '#2f6fdb'), series('out', '#2e9d57'), series('drops', '#c8332f')],
      axes: [{}, { label: 'pkt/s' }],
    },
    [[], [], [], []],
    document.getElementById('chart-traffic'),
  );
  const latency = new uPlot(
    {
      width: WIDTH(),
      height: 200,
      series: [{}, series('p50 ms', '#2f6fdb'), series('p95 ms', '#d39b1e')],
      axes: [{}, { label: 'ms' }],
    },
    [[], [], []],
    document.getElementById('chart-latency'),
  );
  let edges = [];
  const histogram = new uPlot(
    {
      width: WIDTH(),
      height: 200,
      scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] } },
      series: [
        {},
        { label: 'messages', fill: '#2f6fdb88', stroke: '#2f6fdb', paths: uPlot.paths.bars({ size: [0.8] }) },
      ],
      axes: [
        {
          values: (_u, ticks) =>
            ticks.map((i) =>
              Number.isInteger(i)
                ? edges[i] === undefined
                  ? edges.length
                    ? `>${edges.at(-1)}`
                    : ''
                  : `≤${edges[i]}`
                : '',
            ),
        },
        { label: 'count' },
      ],
    },
    [[], []],
    document.getElementById('chart-histogram'),
  );
  const anonymity = new uPlot(
    {
      width: WIDTH(),
      height: 180,
      scales: { d: { range: [0, 1] } },
      series: [{}, series('H_out bits', '#8a3ffc'), series('degree d', '#2e9d57', { scale: 'd' })],
      axes: [{}, { label: 'bits' }, { scale: 'd', side: 1, label: 'd', grid: { show: false } }],
    },
    [[], [], []],
    document.getElementById('chart-anonymity'),
  );
  return {
    update(rows) {
      const t = rows.map((r) => r.at / 1000);
      const sum = (r, k) => r.nodes.reduce((a, n) => a + (n.rates?.[k] ?? 0), 0);
      traffic.setData([
        t,
        rows.map((r) => sum(r, 'inPerSec')),
        rows.map((r) => sum(r, 'outPerSec')),
        rows.map((r) => sum(r, 'dropsPerSec')),
      ]);
      latency.setData([
        t,
        rows.map((r) => r.clients?.latency.p50 ?? null),
        rows.map((r) => r.clients?.latency.p95 ?? null),
      ]);
      anonymity.setData([t, rows.map((r) => r.anonymity?.hOut ?? null), rows.map((r) => r.anonymity?.degree ?? null)]);
      const last = rows.at(-1)?.clients?.latency.histogram;
      if (last) {
        edges = last.edges;
        histogram.setData([last.counts.map((_, i) => i), last.counts]);
      }
    },
  };
}
