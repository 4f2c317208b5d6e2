/**
 * Issue 17 in CI: every scenario shipped in scenarios/ runs through the built CLI (two at a time,
 * each on its own testnet and ports) and passes; a scenario with an expectation that cannot hold
 * prints FAIL and exits non-zero; a bad file is refused with file:line:col before anything starts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, processesMentioning, runCli } from './test-support/cli.js';

const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
const shipped = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const out = mkdtempSync(join(tmpdir(), 'mixnet-chaos-out-'));

/** Meant to fail: a p95 latency no mixnet meets. */
const failing = join(out, 'must-fail.yaml');
writeFileSync(
  failing,
  `name: must-fail
network: { layers: 1, perLayer: 1, gateways: 1, epoch: 5s }
traffic: { rate: 5, duration: 4s }
expect:
  exactlyOnce: true
  p95Latency: 1ms
`,
);

const runs = new Map<string, CliRun & { ms: number }>();
let wallMs = 0;

/** Runs the jobs two at a time (a 2-core machine: each is a whole testnet). */
async function pool(jobs: [string, string][], width: number): Promise<void> {
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const [name, file] = job;
      const t0 = Date.now();
      const run = await runCli(['chaos', 'run', file, '--out', out], 240_000);
      runs.set(name, { ...run, ms: Date.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

beforeAll(async () => {
  const t0 = Date.now();
  await pool([...shipped.map((f) => [f, join(SCENARIOS, f)] as [string, string]), ['must-fail', failing]], 2);
  wallMs = Date.now() - t0;
  process.stderr.write(
    `chaos scenarios: ${runs.size} runs in ${Math.round(wallMs / 1000)} s wall (${[...runs]
      .map(([n, r]) => `${n} ${Math.round(r.ms / 1000)} s`)
      .join(', ')})\n`,
  );
}, 600_000);

describe('mixnet chaos run: the shipped scenarios', () => {
  it('ships the seven scenarios of issue 17', () => {
    for (const name of [
      'single-mix-outage',
      'gateway-outage',
      'gateway-restart-mailbox', // the mailbox hand-over
      'layer-partition',
      'slow-node',
      'lossy-links',
      'chain-outage',
      'directory-outage',
    ])
      expect(shipped).toContain(`${name}.yaml`);
  });

  it.each(shipped)('%s passes, with its report and timeline written', (file) => {
    const run = runs.get(file) as CliRun;
    const name = file.replace(/\.yaml$/, '');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`scenario ${name}: PASS`));
    expect(run.stdout).not.toMatch(/^FAIL/m);
    const report = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as {
      pass: boolean;
      verdicts: unknown[];
      steps: { error?: string }[];
    };
    expect(report.pass).toBe(true);
    expect(report.verdicts.length).toBeGreaterThan(0);
    expect(report.steps.filter((s) => s.error)).toEqual([]);
    expect(readFileSync(join(out, `${name}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });

  it('a failed expectation prints FAIL in the table and exits 1', () => {
    const run = runs.get('must-fail') as CliRun;
    expect(run.code).toBe(1);
    expect(run.stdout, run.stderr).toMatch(/scenario must-fail: FAIL/);
    expect(run.stdout).toMatch(/^FAIL\s+p95 latency\s+≤ 1 ms/m);
    expect(run.stdout).toMatch(/^PASS\s+every message delivered exactly once/m);
    expect(run.stderr).toMatch(/mixnet: scenario must-fail: 1 expectation\(s\) failed/);
  });

  it('leaves no process behind', () => {
    expect(processesMentioning('mixnet-chaos-')).toEqual([]);
  });
});

describe('mixnet chaos run: a bad file', () => {
  it('is one line naming file:line:col and the field, exit 2, and starts nothing', async () => {
    const bad = join(out, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nnetwork: running\ntraffic:\n  duration: 10s\n  rate: fast\nexpect: {}\n');
    const run = await runCli(['chaos', 'run', bad, '--state', join(out, 'nothing-here')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([`mixnet: ${bad}:5:9: traffic.rate: must be a number, not a string`]);
    expect(existsSync(join(out, 'nothing-here'))).toBe(false);
  });
});
