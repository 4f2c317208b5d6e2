/**
 * The perf gate CLI:
 *
 *   node bench/dist/src/gate-main.js --base A.json[,A2.json,...] --head B.json[,B2.json,...]
 *     [--thresholds bench/gate.json] [--summary FILE]
 *
 * Several files on a side are runs of the same suite(s); each metric is taken as their median.
 * Prints a markdown table of both sides (and appends it to FILE, e.g. $GITHUB_STEP_SUMMARY).
 * Exit 0: no gated metric worse than its threshold. 1: at least one is. 2: bad input (a one-line
 * error naming the file, field or flag).
 */
import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  compareResults,
  formatGateHeadline,
  formatGateTable,
  GateInputError,
  medianOf,
  parseResults,
  parseThresholds,
} from './gate.js';

/** The checked-in threshold file, bench/gate.json (from bench/src/ or bench/dist/src/). */
export const DEFAULT_THRESHOLDS_FILE = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/') ? '../../gate.json' : '../gate.json', import.meta.url),
);

const USAGE =
  'usage: gate-main --base A.json[,A2.json,...] --head B.json[,B2.json,...] [--thresholds gate.json] [--summary FILE]';

export interface GateIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: GateIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GateInputError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GateInputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function fileList(flag: string, value: string | undefined): string[] {
  const files = (value ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (files.length === 0) throw new GateInputError(`--${flag} is required: one or more result files, comma-separated`);
  return files;
}

/** Runs the gate on `argv` (without node and script); returns the exit code. */
export function main(argv: string[], io: GateIo = processIo): number {
  try {
    let values: { base?: string; head?: string; thresholds?: string; summary?: string; help?: boolean };
    try {
      values = parseArgs({
        args: argv,
        options: {
          base: { type: 'string' },
          head: { type: 'string' },
          thresholds: { type: 'string' },
          summary: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }).values;
    } catch (e) {
      throw new GateInputError(`${(e as Error).message.split('\n')[0]} (${USAGE})`);
    }
    if (values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const baseFiles = fileList('base', values.base);
    const headFiles = fileList('head', values.head);
    const thresholdsFile = values.thresholds ?? DEFAULT_THRESHOLDS_FILE;
    const thresholds = parseThresholds(readJson(thresholdsFile, 'thresholds'), thresholdsFile);
    const load = (files: string[]) => {
      const runs = files.map((f) => parseResults(readJson(f, 'results'), f));
      try {
        return medianOf(runs);
      } catch (e) {
        if (e instanceof GateInputError) throw new GateInputError(`${files.join(',')}: ${e.message}`);
        throw e;
      }
    };
    const result = compareResults(load(baseFiles), load(headFiles), thresholds);
    const runs = (n: number) => (n === 1 ? '1 run' : `median of ${n} runs`);
    const text = [
      formatGateHeadline(result),
      '',
      `base: ${runs(baseFiles.length)}; head: ${runs(headFiles.length)}; thresholds: ${thresholdsFile}`,
      '',
      formatGateTable(result),
      '',
    ].join('\n');
    io.out(`${text}\n`);
    if (values.summary) {
      try {
        appendFileSync(values.summary, `## Perf gate\n\n${text}\n`);
      } catch (e) {
        throw new GateInputError(
          `${values.summary}: cannot write summary (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        );
      }
    }
    return result.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof GateInputError) {
      io.err(`gate: ${e.message}\n`);
      return 2;
    }
    io.err(`gate: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}

// Run when this file is the entry point (compared as real paths: the script may be reached through a symlink).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
