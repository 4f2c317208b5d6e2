/**
 * Issue 13: the kill/heal test in the docker runtime. The "mixes" fault of heal.ts (two active mixes
 * `docker kill`ed while Alice sends to Bob with acks), on the same 3-layer testnet as heal.test.ts
 * (directory, 2 active mixes per layer, 2 standby, 3 gateways, 5 s epochs), every process a
 * sandboxed container, the directory first. .ci/run starts an engine (testnet/scripts/docker-up.sh);
 * where none answers this says why and is left out, except in CI, where that is a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable, downDocker } from './docker.js';
import { type HealTimeline, runHealScenario } from './heal.js';
import { type FaultSummary, healSummary, LATENCY_TOLERANCE } from './heal-summary.js';
import { expectEachMessageOnce, expectLatencyBack, expectMixesHealed, faultLine } from './test-support/heal-expect.js';

const EPOCH_MS = 5_000;
const available = dockerAvailable();
if (!available && !process.env.CI)
  process.stderr.write(
    '\n!! no Docker engine answers: the docker kill/heal test is NOT run (run testnet/scripts/docker-up.sh to start one)\n\n',
  );

describe.runIf(available || process.env.CI)('self-healing in the docker runtime: two mixes killed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-heal-docker-'));
  let t: HealTimeline;
  let f: FaultSummary;

  beforeAll(async () => {
    expect(available, 'CI needs a Docker engine: .ci/run starts one with testnet/scripts/docker-up.sh').toBe(true);
    t = await runHealScenario({
      dir,
      epochMs: EPOCH_MS,
      runtime: 'docker',
      faults: ['mixes'],
      log: (l) => process.stderr.write(`heal-docker: ${l}\n`),
    });
    f = healSummary(t).faults[0] as FaultSummary;
    // Kept for a look when an assertion fails (the testnet itself is already down).
    writeFileSync(join(dir, 'heal-timeline.json'), JSON.stringify(t));
    process.stderr.write(`heal-docker: ${faultLine(f)}\n`);
  }, 240_000);
  afterAll(async () => {
    await downDocker(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('every message arrives exactly once', () => {
    expect(t.messages.length).toBeGreaterThan(2 * t.phaseMessages);
    expectEachMessageOnce(t);
  });

  it('two dead mixes are out of the active set within two epochs, the standby mixes in', () => {
    expectMixesHealed(f);
  });

  it(`latency is back within ${Math.round((LATENCY_TOLERANCE - 1) * 100)}% of its pre-fault median`, () => {
    expectLatencyBack(t, f);
  });
});
