/**
 * Plays a scenario's timeline against a running testnet: each step at its time (from the traffic's
 * start), targets resolved at that moment, faults with `for` undone when it runs out. Link faults
 * of several steps on one node are merged into the node's one rule set; a failed step is recorded
 * (and shown in the report), it does not stop the run.
 */
import { controlNode, type FaultRule } from '@mixnet/testnet';
import type { StepRecord } from './expectations.js';
import type { FaultControl } from './faults-adapter.js';
import type { Step } from './scenario-schema.js';
import { resolve, type SelectorContext } from './selectors.js';

export interface TimelineOptions {
  dir: string;
  steps: readonly Step[];
  faults: FaultControl;
  /** The selector context of now (document, clients' gateways, names). */
  context(): Omit<SelectorContext, 'names'>;
  epoch(): number | undefined;
  log?: (line: string) => void;
}

export interface Timeline {
  readonly records: StepRecord[];
  /** Resolves when every step ran and every timed fault ended. */
  done: Promise<void>;
  /** Cancels what has not run, undoes what is active (resumes paused nodes, clears link rules). */
  stop(): Promise<void>;
  names: ReadonlyMap<string, readonly string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `kill mix of layer 2`, `loss 0.1 on gateway-1 for 15 s`. */
export function stepLabel(s: Step): string {
  const dur = 'for' in s && s.for !== undefined ? ` for ${s.for / 1000} s` : '';
  switch (s.action) {
    case 'loss':
      return `loss ${s.loss} on ${s.on.join(', ')}${dur}`;
    case 'latency':
      return `latency ${s.latency} ms on ${s.on.join(', ')}${dur}`;
    case 'corrupt':
      return `corrupt ${s.corrupt} on ${s.on.join(', ')}${dur}`;
    case 'bandwidth':
      return `bandwidth ${s.bandwidth} B/s on ${s.on.join(', ')}${dur}`;
    case 'partition':
      return `partition ${s.partition.join(', ')}${s.from ? ` from ${s.from.join(', ')}` : ''}${dur}`;
    case 'outage':
      return `${s.outage} outage${dur}`;
    default:
      return `${s.action} ${(s as Record<string, unknown>)[s.action] as string}${dur}`;
  }
}

export function startTimeline(o: TimelineOptions): Timeline {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const names = new Map<string, string[]>();
  const rules = new Map<string, FaultRule[]>();
  const paused = new Set<string>();
  const records: StepRecord[] = [];
  const undo: Promise<void>[] = [];
  let cancelled = false;
  const ctx = (): SelectorContext => ({ ...o.context(), names });

  const pushRules = async (id: string) => {
    const now = Date.now();
    const live = (rules.get(id) ?? []).filter((r) => r.expiresAt === undefined || r.expiresAt > now);
    rules.set(id, live);
    await (live.length ? o.faults.set(id, live) : o.faults.clear(id));
  };

  /** Link rules for the step on every target; removed again after `for`. */
  const linkFault = async (rec: StepRecord, targets: string[], rule: FaultRule, forMs: number | undefined) => {
    const id = `step-${rec.index}`;
    const expiresAt = forMs !== undefined ? Date.now() + forMs : undefined;
    for (const t of targets) {
      rules.set(t, [...(rules.get(t) ?? []), { ...rule, id, ...(expiresAt ? { expiresAt } : {}) }]);
      await pushRules(t);
    }
    if (forMs !== undefined)
      undo.push(
        sleep(forMs).then(async () => {
          rec.endMs = Date.now() - started;
          for (const t of targets) {
            rules.set(
              t,
              (rules.get(t) ?? []).filter((r) => r.id !== id),
            );
            await pushRules(t).catch(() => {});
          }
        }),
      );
  };

  const run = async (s: Step, rec: StepRecord): Promise<void> => {
    const sel = (list: readonly string[]) => resolve(list, ctx());
    switch (s.action) {
      case 'kill':
      case 'stop':
      case 'start':
        rec.targets = sel((s as Record<string, unknown>)[s.action] as string[]);
        for (const t of rec.targets) await controlNode(o.dir, t, s.action);
        return;
      case 'restart':
        rec.targets = sel(s.restart);
        for (const t of rec.targets) {
          paused.delete(t);
          // Live rules are not kept across a restart: forget ours too.
          rules.delete(t);
          await o.faults.restart(t);
        }
        return;
      case 'pause':
        rec.targets = sel(s.pause);
        for (const t of rec.targets) {
          await o.faults.pause(t);
          paused.add(t);
        }
        if (s.for !== undefined) {
          const targets = rec.targets;
          undo.push(
            sleep(s.for).then(async () => {
              rec.endMs = Date.now() - started;
              for (const t of targets) if (paused.delete(t)) await o.faults.resume(t).catch(() => {});
            }),
          );
        }
        return;
      case 'resume':
        rec.targets = sel(s.resume);
        for (const t of rec.targets) {
          paused.delete(t);
          await o.faults.resume(t);
        }
        return;
      case 'clear':
        rec.targets = sel(s.clear);
        for (const t of rec.targets) {
          rules.delete(t);
          await o.faults.clear(t);
        }
        return;
      case 'partition': {
        rec.targets = sel(s.partition);
        const peers = s.from ? sel(s.from) : undefined;
        await linkFault(rec, rec.targets, { partition: true, ...(peers ? { peers } : {}) }, s.for);
        return;
      }
      case 'outage': {
        const id = s.outage;
        rec.targets = [id];
        // The directory crashes and comes back from its data folder; the chain hangs (SIGSTOP), as an
        // overloaded upstream does, and keeps its state.
        if (id === 'directory') await controlNode(o.dir, id, 'kill');
        else {
          await o.faults.pause(id);
          paused.add(id);
        }
        undo.push(
          sleep(s.for).then(async () => {
            if (id === 'directory') await controlNode(o.dir, id, 'start');
            else if (paused.delete(id)) await o.faults.resume(id);
            rec.endMs = Date.now() - started;
          }),
        );
        return;
      }
      default: {
        rec.targets = sel(s.on);
        const peers = s.peers ? sel(s.peers) : undefined;
        const scope = { ...(peers ? { peers } : {}), ...(s.direction ? { direction: s.direction } : {}) };
        const rule: FaultRule =
          s.action === 'loss'
            ? { lossRate: s.loss }
            : s.action === 'latency'
              ? { latencyMs: s.latency, ...(s.jitter !== undefined ? { jitterMs: s.jitter } : {}) }
              : s.action === 'corrupt'
                ? { corruptRate: s.corrupt }
                : { bandwidthBps: s.bandwidth };
        await linkFault(rec, rec.targets, { ...rule, ...scope }, s.for);
      }
    }
  };

  const done = (async () => {
    const ordered = [...o.steps.entries()].sort((a, b) => a[1].at - b[1].at);
    for (const [index, s] of ordered) {
      const wait = started + s.at - Date.now();
      if (wait > 0) await sleep(wait);
      if (cancelled) return;
      const epoch = o.epoch();
      const rec: StepRecord = {
        index,
        action: s.action,
        label: stepLabel(s),
        at: s.at,
        startedMs: Date.now() - started,
        targets: [],
        ...(epoch !== undefined ? { epoch } : {}),
        ...(s.as ? { name: s.as } : {}),
      };
      records.push(rec);
      try {
        await run(s, rec);
        if (s.as) names.set(s.as, rec.targets);
        log(`${(rec.startedMs / 1000).toFixed(1)} s: ${rec.label} → ${rec.targets.join(', ')}`);
      } catch (err) {
        rec.error = (err as Error).message;
        log(`${(rec.startedMs / 1000).toFixed(1)} s: ${rec.label} FAILED: ${rec.error}`);
      }
    }
    await Promise.all(undo);
  })();

  return {
    records,
    done,
    names,
    async stop() {
      cancelled = true;
      for (const id of paused) await o.faults.resume(id).catch(() => {});
      paused.clear();
      for (const id of rules.keys()) await o.faults.clear(id).catch(() => {});
      rules.clear();
    },
  };
}
