/**
 * A reader of the Prometheus text exposition format (version 0.0.4): what nodes serve on /metrics.
 * Comments and malformed lines are skipped (a scrape must not fail on one odd line), counted in
 * `skipped` so a test or a caller can tell.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** Non-comment lines that were not a valid sample. */
  skipped: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Labels from just after `{`; returns them and the index after `}`, or undefined if malformed. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) return undefined;
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++;
  }
}

export function parsePrometheus(text: string): ParsedMetrics {
  const samples: Sample[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) {
      skipped++;
      continue;
    }
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === '{') {
      const parsed = parseLabels(line, rest + 1);
      if (!parsed) {
        skipped++;
        continue;
      }
      labels = parsed.labels;
      rest = parsed.end;
    }
    // value, then an optional timestamp
    const fields = line.slice(rest).trim().split(/\s+/);
    const value = fields[0] === undefined ? undefined : parseValue(fields[0]);
    if (value === undefined || fields.length > 2) {
      skipped++;
      continue;
    }
    samples.push({ name, labels, value });
  }
  return { samples, skipped };
}

/** The sum of a metric's samples, optionally only those whose labels match `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples)
    if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

/** A metric's values keyed by one label (e.g. drops by `reason`), summed over the other labels. */
export function byLabel(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
