/**
 * The timeline against a recording FaultControl: steps run at their time on the targets of that
 * moment, link rules of overlapping steps are merged per node and removed when `for` runs out, and
 * stop() undoes what is still active.
 */
import type { FaultRule, TestnetState } from '@mixnet/testnet';
import { describe, expect, it } from 'vitest';
import type { FaultControl } from './faults-adapter.js';
import { parseScenario } from './scenario-load.js';
import { startTimeline } from './timeline.js';

const state = {
  processes: ['mix-1-1', 'mix-2-1', 'gateway-1'].map((id) => ({
    id,
    role: id.startsWith('mix') ? 'mix' : 'gateway',
    ...(id.startsWith('mix') ? { layer: Number(id[4]) } : {}),
  })),
} as unknown as TestnetState;

function recorder() {
  const calls: string[] = [];
  const sets = new Map<string, FaultRule[]>();
  const faults: FaultControl = {
    set: async (id, rules) => {
      sets.set(id, [...rules]);
      calls.push(`set ${id} ${rules.map((r) => r.id).join(',')}`);
    },
    clear: async (id) => {
      sets.delete(id);
      calls.push(`clear ${id}`);
    },
    pause: async (id) => void calls.push(`pause ${id}`),
    resume: async (id) => void calls.push(`resume ${id}`),
    restart: async (id) => void calls.push(`restart ${id}`),
  };
  return { calls, sets, faults };
}

const steps = (yaml: string) =>
  parseScenario(`name: t\nnetwork: running\ntraffic: { duration: 1s }\nexpect: {}\ntimeline:\n${yaml}`).timeline;

describe('startTimeline', () => {
  it('merges overlapping link faults per node and removes each when its `for` runs out', async () => {
    const r = recorder();
    const tl = startTimeline({
      dir: '/nonexistent',
      steps: steps(
        '  - { at: 0ms, loss: 0.2, on: mix of layer 1, for: 80ms, as: lossy }\n  - { at: 20ms, latency: 50ms, on: "@lossy", for: 150ms }\n',
      ),
      faults: r.faults,
      context: () => ({ state, document: undefined }),
      epoch: () => 7,
    });
    await new Promise((res) => setTimeout(res, 40));
    expect(r.sets.get('mix-1-1')?.map((x) => Object.keys(x).sort())).toEqual([
      ['expiresAt', 'id', 'lossRate'],
      ['expiresAt', 'id', 'latencyMs'],
    ]);
    await tl.done;
    expect(r.calls).toEqual(['set mix-1-1 step-0', 'set mix-1-1 step-0,step-1', 'set mix-1-1 step-1', 'clear mix-1-1']);
    expect(tl.records.map((x) => [x.label, x.targets, x.epoch])).toEqual([
      ['loss 0.2 on mix of layer 1 for 0.08 s', ['mix-1-1'], 7],
      ['latency 50 ms on @lossy for 0.15 s', ['mix-1-1'], 7],
    ]);
    expect(tl.records.every((x) => x.endMs !== undefined)).toBe(true);
  });

  it('a step that cannot run is recorded with its error and the rest go on; stop() resumes what is paused', async () => {
    const r = recorder();
    const tl = startTimeline({
      dir: '/nonexistent',
      steps: steps('  - { at: 0ms, partition: gateway-9 }\n  - { at: 10ms, pause: all mixes }\n'),
      faults: r.faults,
      context: () => ({ state, document: undefined }),
      epoch: () => undefined,
    });
    await tl.done;
    expect(tl.records[0]?.error).toMatch(/no node "gateway-9"/);
    expect(r.calls).toEqual(['pause mix-1-1', 'pause mix-2-1']);
    await tl.stop();
    expect(r.calls.slice(2).sort()).toEqual(['resume mix-1-1', 'resume mix-2-1']);
  });
});
