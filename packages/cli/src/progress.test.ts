/**
 * Issue 17 #4 from the outside: `mixnet send` through a network whose only layer-2 mix is down is
 * not silent. Within seconds stderr says which fragment was sent again and why, and that the
 * message is still waiting for its acknowledgement.
 */
import { spawn } from 'node:child_process';
import type { TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDirectory, type TestDirectory } from '../../client/src/test-support/directory.js';
import { type RunningRelay, startGateway, startMix } from '../../client/src/test-support/relays.js';
import { describeEvent } from './network-client.js';
import { CLI } from './test-support/cli.js';

/** Runs the CLI until stderr matches every pattern (then kills it) or `timeoutMs` passes. */
function stderrUntil(args: string[], patterns: RegExp[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const finish = () => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(stderr);
    };
    const timer = setTimeout(finish, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (patterns.every((p) => p.test(stderr))) finish();
    });
    child.on('exit', finish);
  });
}

describe('mixnet send progress', () => {
  let mixes: RunningRelay<TopologyNode>[];
  let gateway: RunningRelay<TopologyGateway>;
  let dir: TestDirectory;

  beforeAll(async () => {
    mixes = await Promise.all([startMix('pmix-1', 1), startMix('pmix-2', 2), startMix('pmix-3', 3)]);
    gateway = await startGateway('pgw-1');
    dir = await startTestDirectory();
    dir.publish({ layers: mixes.map((m) => [m.entry]), gateways: [gateway.entry], serviceProviders: [] }, { epoch: 3 });
    await mixes[1]?.stop();
  });
  afterAll(async () => {
    await Promise.all([mixes[0], mixes[2], gateway].map((r) => r?.stop()));
    await dir.stop();
  });

  it('prints each retransmission with its reason and the slow message on stderr', { timeout: 60_000 }, async () => {
    const stderr = await stderrUntil(
      ['send', '--directory', dir.url, '--directory-key', dir.publicKey, '--to', 'self', '--message', 'hello'],
      [/fragment 0 sent again \(attempt 2\): no acknowledgement within the timeout/, /still waiting after \d+\.\d s/],
      45_000,
    );
    expect(stderr).toMatch(/mixnet: message [0-9a-f]{8} fragment 0 sent again \(attempt 2\): no acknowledgement/);
    expect(stderr).toMatch(
      /mixnet: message [0-9a-f]{8} still waiting after \d+\.\d s, for the acknowledgement of 1 of 1/,
    );
  });
});

describe('describeEvent', () => {
  it('names the reason of a reply asked for again and what a slow request waits for', () => {
    expect(
      describeEvent({
        type: 'retransmit',
        messageId: 'ab'.repeat(16),
        fragment: 'reply',
        attempt: 2,
        reason: 'reply-stalled',
      }),
    ).toBe('reply to request abababab asked for again (attempt 2): the reply stopped coming');
    expect(
      describeEvent({
        type: 'slow',
        messageId: 'cd'.repeat(16),
        elapsedMs: 4_200,
        waitingFor: 'reply',
        pending: 0,
        fragments: 0,
      }),
    ).toBe('request cdcdcdcd still waiting after 4.2 s, for the reply');
    expect(
      describeEvent({
        type: 'retransmit',
        messageId: 'ef'.repeat(16),
        fragment: 1,
        attempt: 3,
        reason: 'gateway-moved',
      }),
    ).toMatch(/fragment 1 sent again \(attempt 3\): we moved gateway/);
  });
});
