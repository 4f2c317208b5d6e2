/**
 * Live link faults (issue 17): a table of rules, each matched per link by the peer's node id and
 * the direction, merged into one effect per (peer, direction). Links ask for it only while a rule
 * is set (`active`), so a node without faults pays one property check per packet.
 *
 * Two layers: `base` rules come from the node's config (links.emulation, the testnet's wide-area
 * model) and stay; live rules are set and cleared at run time (the admin endpoint). A rule whose
 * `expiresAt` passed is removed.
 */
import { GROUP_ELEMENT_SIZE, HEADER_SIZE } from '@mixnet/sphinx';
import { z } from 'zod';

export const faultRuleSchema = z
  .object({
    id: z.string().min(1).max(200).optional(),
    /** node ids; absent: every link */
    peers: z.array(z.string().min(1).max(200)).max(10_000).optional(),
    direction: z.enum(['out', 'in', 'both']).optional(),
    latencyMs: z.number().min(0).max(600_000).optional(),
    jitterMs: z.number().min(0).max(600_000).optional(),
    lossRate: z.number().min(0).max(1).optional(),
    corruptRate: z.number().min(0).max(1).optional(),
    bandwidthBps: z.number().positive().optional(),
    partition: z.boolean().optional(),
    /** epoch ms */
    expiresAt: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Delay, caps and corruption act where packets leave; an 'in' rule would silently do nothing.
    if (r.direction !== 'in') return;
    for (const field of ['latencyMs', 'jitterMs', 'bandwidthBps', 'corruptRate'] as const)
      if (r[field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `applies where packets leave: use direction 'out' or 'both' (an 'in' rule takes lossRate and partition)`,
        });
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultDirection = 'out' | 'in';

export const faultRulesBodySchema = z.object({ rules: z.array(faultRuleSchema).max(1_000) }).strict();

/** What every matching rule adds up to on one link and direction. */
export interface LinkEffect {
  latencyMs: number;
  jitterMs: number;
  lossRate: number;
  corruptRate: number;
  /** bytes/s; Infinity: no cap */
  bandwidthBps: number;
  partition: boolean;
  /** any latency, jitter or bandwidth cap: packets are held before they are written */
  delayed: boolean;
}

export const NO_EFFECT: Readonly<LinkEffect> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  lossRate: 0,
  corruptRate: 0,
  bandwidthBps: Number.POSITIVE_INFINITY,
  partition: false,
  delayed: false,
});

export function ruleMatches(rule: FaultRule, peer: string | undefined, direction: FaultDirection): boolean {
  const d = rule.direction ?? 'both';
  if (d !== 'both' && d !== direction) return false;
  if (rule.peers === undefined) return true;
  return peer !== undefined && rule.peers.includes(peer);
}

/**
 * Latencies and jitters add (as stacked netem qdiscs would), loss and corruption compose as
 * independent chances, the tightest bandwidth cap wins, one partition partitions.
 */
export function mergeEffects(rules: readonly FaultRule[]): LinkEffect {
  if (rules.length === 0) return NO_EFFECT;
  let latencyMs = 0;
  let jitterMs = 0;
  let lossRate = 0;
  let corruptRate = 0;
  let bandwidthBps = Number.POSITIVE_INFINITY;
  let partition = false;
  for (const r of rules) {
    latencyMs += r.latencyMs ?? 0;
    jitterMs += r.jitterMs ?? 0;
    // 1 − (1 − a)(1 − b), written so that one rule keeps its exact value.
    lossRate += (r.lossRate ?? 0) * (1 - lossRate);
    corruptRate += (r.corruptRate ?? 0) * (1 - corruptRate);
    if (r.bandwidthBps !== undefined) bandwidthBps = Math.min(bandwidthBps, r.bandwidthBps);
    partition ||= r.partition === true;
  }
  const delayed = latencyMs > 0 || jitterMs > 0 || Number.isFinite(bandwidthBps);
  return { latencyMs, jitterMs, lossRate, corruptRate, bandwidthBps, partition, delayed };
}

export interface FaultTable {
  /** True while any rule (base or live) is set: the hot path's only check when false. */
  readonly active: boolean;
  /** Bumped on every change; links cache their effect against it. */
  readonly version: number;
  /** The merged effect on the link to/from `peer` (a node id, undefined if unknown). */
  effect(peer: string | undefined, direction: FaultDirection): LinkEffect;
  /** Live rules (expired ones removed first). */
  rules(): FaultRule[];
  /** Rules from the config, never changed at run time. */
  readonly base: readonly FaultRule[];
  /** Replaces the live rules (already validated). */
  set(rules: readonly FaultRule[]): FaultRule[];
  clear(): void;
  /** Stops the expiry timer. */
  close(): void;
}

export interface FaultTableOptions {
  base?: readonly FaultRule[];
  /** epoch ms clock (expiresAt is compared against it); default Date.now */
  now?: () => number;
}

export function createFaultTable(opts: FaultTableOptions = {}): FaultTable {
  const now = opts.now ?? Date.now;
  const base = Object.freeze([...(opts.base ?? [])]);
  let live: FaultRule[] = [];
  let version = 0;
  let active = base.length > 0;
  let timer: NodeJS.Timeout | undefined;
  // Effects by peer id ('' unknown), one map per direction: a lookup allocates nothing.
  const cache = { in: new Map<string, LinkEffect>(), out: new Map<string, LinkEffect>() };

  const changed = () => {
    version++;
    cache.in.clear();
    cache.out.clear();
    active = base.length > 0 || live.length > 0;
  };

  /** Drops expired live rules (base rules do not expire) and arms the timer for the next. */
  const sweep = () => {
    clearTimeout(timer);
    timer = undefined;
    const t = now();
    const kept = live.filter((r) => r.expiresAt === undefined || r.expiresAt > t);
    if (kept.length !== live.length) {
      live = kept;
      changed();
    }
    let next = Number.POSITIVE_INFINITY;
    for (const r of live) if (r.expiresAt !== undefined) next = Math.min(next, r.expiresAt);
    if (Number.isFinite(next)) {
      // Timers past ~24.8 days overflow; re-check then.
      timer = setTimeout(sweep, Math.min(Math.max(0, next - t), 0x7fffffff));
      timer.unref();
    }
  };

  return {
    get active() {
      return active;
    },
    get version() {
      return version;
    },
    base,
    effect(peer, direction) {
      const key = peer ?? '';
      let e = cache[direction].get(key);
      if (e === undefined) {
        const t = now();
        const matching = [...base, ...live].filter(
          (r) => (r.expiresAt === undefined || r.expiresAt > t) && ruleMatches(r, peer, direction),
        );
        e = mergeEffects(matching);
        cache[direction].set(key, e);
      }
      return e;
    },
    rules() {
      sweep();
      return live.map((r) => ({ ...r }));
    },
    set(rules) {
      live = rules.map((r) => ({ ...r }));
      changed();
      sweep();
      return live.map((r) => ({ ...r }));
    },
    clear() {
      live = [];
      changed();
      sweep();
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * A token bucket with debt (for a bandwidth cap): `take` returns how long a frame of `bytes` must
 * wait before it may leave. The bucket holds up to `burst` bytes; a frame larger than what is left
 * waits for the refill, and the frames after it wait behind it.
 */
export function createTokenBucket(rateBps: number, burst: number, startMs: number) {
  let tokens = burst;
  let last = startMs;
  return {
    take(bytes: number, nowMs: number): number {
      tokens = Math.min(burst, tokens + ((nowMs - last) * rateBps) / 1000);
      last = nowMs;
      tokens -= bytes;
      return tokens >= 0 ? 0 : (-tokens / rateBps) * 1000;
    },
    get rate() {
      return rateBps;
    },
  };
}

export type TokenBucket = ReturnType<typeof createTokenBucket>;

/** Sphinx header bytes the header MAC checks: gamma and beta, after alpha. */
const MAC_COVERED_START = GROUP_ELEMENT_SIZE;
const MAC_COVERED_END = HEADER_SIZE;

/**
 * Flips one random byte of the packet's MAC and routing info, so the next hop's header MAC check
 * fails (counted there as bad_mac). `packet` is changed in place; the caller owns it.
 */
export function corruptPacket(packet: Uint8Array, random: () => number): void {
  if (packet.length === 0) return;
  const end = Math.min(packet.length, MAC_COVERED_END);
  const start = end > MAC_COVERED_START ? MAC_COVERED_START : 0;
  const i = start + Math.floor(random() * (end - start));
  // XOR with 1..255: the byte always changes.
  packet[i] = (packet[i] as number) ^ (1 + Math.floor(random() * 255));
}
