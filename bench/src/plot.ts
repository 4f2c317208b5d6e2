/** Plots the bench generates as standalone SVG (no plotting library): latency CDFs and x–y curves. */

export interface Series {
  label: string;
  /** Sorted values. */
  values: readonly number[];
}

export interface XySeries {
  label: string;
  points: readonly (readonly [number, number])[];
}

/** A vertical line at `x` (an event on a timeline), labelled at the top. */
export interface Marker {
  x: number;
  label?: string;
  color?: string;
  dashed?: boolean;
  /** Shades from `x` to `until` (an interval: a fault that lasts), labelled the same way. */
  until?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const SIZE = { width: 720, height: 420 };
const M = { l: 60, r: 180, t: 40, b: 50 };
const W = SIZE.width - M.l - M.r;
const H = SIZE.height - M.t - M.b;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Axes from 0 to xMax and 0 to yMax, labels, grid, and one polyline (plus optional dots) per curve. */
function chart(
  title: string,
  xLabel: string,
  yLabel: string,
  xMax: number,
  yMax: number,
  curves: { label: string; points: (readonly [number, number])[]; dots: boolean; line?: boolean }[],
  markers: readonly Marker[] = [],
): string {
  const x = (v: number) => M.l + (Math.min(v, xMax) / xMax) * W;
  const y = (v: number) => M.t + H - (v / yMax) * H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE.width}" height="${SIZE.height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.l + W / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${M.l}" y1="${M.t + H}" x2="${M.l + W}" y2="${M.t + H}" stroke="black"/>`,
    `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${M.t + H}" stroke="black"/>`,
    `<text x="${M.l + W / 2}" y="${SIZE.height - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${M.t + H / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.t + H / 2})">${escapeXml(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax / 5) * i;
    const yv = (yMax / 5) * i;
    out.push(`<text x="${x(xv)}" y="${M.t + H + 16}" text-anchor="middle">${xv.toFixed(0)}</text>`);
    out.push(`<text x="${M.l - 6}" y="${y(yv) + 4}" text-anchor="end">${yv.toFixed(1)}</text>`);
    out.push(`<line x1="${M.l}" y1="${y(yv)}" x2="${M.l + W}" y2="${y(yv)}" stroke="#eee"/>`);
  }
  for (const m of markers) {
    const mx = x(m.x).toFixed(1);
    if (m.until !== undefined)
      out.push(
        `<rect x="${mx}" y="${M.t}" width="${Math.max(1, x(m.until) - x(m.x)).toFixed(1)}" height="${H}" fill="${m.color ?? '#999'}" fill-opacity="0.12"/>`,
      );
    out.push(
      `<line x1="${mx}" y1="${M.t}" x2="${mx}" y2="${M.t + H}" stroke="${m.color ?? '#999'}"${m.dashed ? ' stroke-dasharray="3,3"' : ' stroke-width="1.5"'}/>`,
    );
    if (m.label)
      out.push(
        // Written down along its line, from the top: labels of nearby events do not overlap.
        `<text x="${mx}" y="${M.t + 4}" transform="rotate(90 ${mx} ${M.t + 4})" font-size="10" fill="${m.color ?? '#999'}">${escapeXml(m.label)}</text>`,
      );
  }
  curves.forEach((c, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = c.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
    if (c.line === false)
      // Unjoined points as one path of zero-length round-capped strokes: a fraction of the bytes of circles.
      out.push(
        `<path fill="none" stroke="${color}" stroke-width="4" stroke-linecap="round" d="${c.points.map((p) => `M${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}h0`).join('')}"/>`,
      );
    else {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
      if (c.dots)
        for (const p of c.points)
          out.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = M.t + 10 + i * 18;
    out.push(
      `<line x1="${M.l + W + 12}" y1="${ly}" x2="${M.l + W + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${M.l + W + 38}" y="${ly + 4}">${escapeXml(c.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Empirical CDF per series, the x axis cut at the largest p99 (tails would squash the plot). */
export function cdfSvg(title: string, xLabel: string, series: readonly Series[]): string {
  const xMax = Math.max(1, ...series.map((s) => s.values[Math.floor(s.values.length * 0.99)] ?? 0)) * 1.05;
  const curves = series.map((s) => {
    const n = s.values.length;
    const step = Math.max(1, Math.floor(n / 400));
    const points: [number, number][] = [];
    for (let k = 0; k < n; k += step) points.push([s.values[k] as number, (k + 1) / n]);
    if (n > 0) points.push([s.values[n - 1] as number, 1]);
    return { label: s.label, points, dots: false };
  });
  return chart(title, xLabel, 'fraction of messages', xMax, 1, curves);
}

/** Lines through points (sorted by x), one per series: e.g. entropy against latency per cover setting. */
export function xySvg(title: string, xLabel: string, yLabel: string, series: readonly XySeries[]): string {
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0]))) * 1.05;
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  const curves = series.map((s) => ({ label: s.label, points: [...s.points].sort((a, b) => a[0] - b[0]), dots: true }));
  return chart(title, xLabel, yLabel, xMax, yMax, curves);
}

/**
 * Points over time, unjoined (one dot per sample, one colour per series), with vertical markers for
 * events: e.g. each message's latency against its send time, kills and epoch boundaries marked.
 * The y axis stops at `yMax` (default: the largest value); points above it sit on the top edge.
 */
export function timelineSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly XySeries[],
  markers: readonly Marker[],
  yMax?: number,
): string {
  const xMax =
    Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])), ...markers.map((m) => m.until ?? m.x)) * 1.02;
  const top = yMax ?? Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  const curves = series.map((s) => ({
    label: s.label,
    points: s.points.map((p) => [p[0], Math.min(p[1], top)] as const),
    dots: true,
    line: false,
  }));
  return chart(title, xLabel, yLabel, xMax, top, curves, markers);
}
