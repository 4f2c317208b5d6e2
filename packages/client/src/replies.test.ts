/** The answering side of replies.ts under retention.ts's limits (issue 14 #11): bytes held, and for how long. */
import { createSurb, encodeNodeAddress, generateKeyPair, getBackend } from '@mixnet/sphinx';
import { beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from './bytes.js';
import { type ClientCore, emptyStats } from './core.js';
import type { Message } from './message.js';
import { resolveTraffic } from './options.js';
import { createReplies, type Replies } from './replies.js';
import { createRetentionBudget, type ReplyLimits, ReplyRefusedError, type RetentionBudget } from './retention.js';
import type { Sender } from './sender.js';
import type { QueuedPacket } from './traffic.js';

const backend = getBackend('native');
const route = Array.from({ length: 4 }, (_, i) => ({
  address: encodeNodeAddress({ host: '127.0.0.1', port: 1000 + i }),
  publicKey: generateKeyPair({ backend }).publicKey,
}));
const surb = () =>
  createSurb({ route, delaysNs: [0n, 0n, 0n, 0n], destination: randomBytes(32), keyMaterial: 'seeds', backend });
const SURB_SIZE = surb().length;

let enqueued: QueuedPacket[];
let core: ClientCore;
let budget: RetentionBudget;
let replies: Replies;

function setup(limits: Partial<ReplyLimits> = {}) {
  enqueued = [];
  budget = createRetentionBudget(limits.maxRetainedBytes ?? 100_000);
  core = {
    backend,
    traffic: resolveTraffic({}),
    stats: emptyStats(),
    retransmitAfterMs: 1_000,
    shaper: { enqueue: (p: QueuedPacket) => enqueued.push(p), queued: 0, kick() {}, stop() {} },
  } as unknown as ClientCore;
  const sender = { send: async () => ({}) } as unknown as Sender;
  replies = createReplies(core, sender, {
    maxRetainedBytes: budget.max,
    maxReplyBytes: 60_000,
    idleMs: 1_000,
    starvedMs: 100,
    budget,
    ...limits,
  });
}

let nextIndex = 0;
const surbs = (n: number) => Array.from({ length: n }, () => ({ index: nextIndex++, surb: surb() }));

/** A request arrives with `n` SURBs: the reply function the application gets, if any. */
function request(n: number) {
  const requestId = randomBytes(16);
  const m: Message = { kind: 'request', requestId, secret: randomBytes(32), surbs: surbs(n), body: Uint8Array.of(1) };
  const reply = replies.onRequestMessage(m);
  return { requestId, reply };
}

const later = (ms: number) => performance.now() + ms;

beforeEach(() => setup());

describe('what an answering client holds for requests', () => {
  it('holds replies within the total budget; one that does not fit, or is too large, is refused', async () => {
    const a = request(2);
    expect(budget.used).toBe(2 * SURB_SIZE);
    await a.reply?.(new Uint8Array(50_000)); // 2 SURBs: one fragment and a call for more SURBs
    expect(enqueued).toHaveLength(2);
    expect(budget.used).toBe(50_000);
    const b = request(2);
    await expect(b.reply?.(new Uint8Array(50_000))).rejects.toMatchObject({ reason: 'no-room' });
    await expect(b.reply?.(new Uint8Array(60_001))).rejects.toBeInstanceOf(ReplyRefusedError);
    await expect(b.reply?.(new Uint8Array(60_001))).rejects.toMatchObject({ reason: 'too-large' });
    await b.reply?.(new Uint8Array(100)); // a small answer (the service provider's error) still fits
    expect(budget.used).toBeLessThanOrEqual(budget.max);
  });

  it('forgets a request soon after its SURBs ran out, gives its bytes back, and counts it', async () => {
    const a = request(1);
    await a.reply?.(new Uint8Array(40_000)); // its only SURB asks for more
    expect(budget.used).toBe(40_000);
    replies.sweep(later(50));
    expect(budget.used).toBe(40_000); // still waiting for the top-up
    replies.sweep(later(150));
    expect(budget.used).toBe(0);
    expect(core.stats.requestsExpired).toBe(1);
    // A top-up after that finds nothing to feed: nothing is held for it.
    replies.onRequestMessage({ kind: 'surbs', requestId: a.requestId, resend: [], surbs: surbs(3) });
    expect(budget.used).toBe(0);
  });

  it('keeps a starved request that gets fresh SURBs, and sends on', async () => {
    const a = request(1);
    await a.reply?.(new Uint8Array(10_000));
    expect(enqueued).toHaveLength(1);
    replies.onRequestMessage({ kind: 'surbs', requestId: a.requestId, resend: [], surbs: surbs(10) });
    expect(enqueued.length).toBeGreaterThan(5); // every fragment now has a SURB
    replies.sweep(later(150));
    expect(core.stats.requestsExpired).toBe(0); // SURBs left over: only idle time applies
    replies.sweep(later(1_100));
    expect(core.stats.requestsExpired).toBe(1);
    expect(budget.used).toBe(0);
  });

  it('an unanswered request holding SURBs lasts the idle time; answering it later fails clearly', async () => {
    const a = request(3);
    replies.sweep(later(500));
    expect(budget.used).toBe(3 * SURB_SIZE);
    replies.sweep(later(1_100));
    expect(budget.used).toBe(0);
    await expect(a.reply?.(new Uint8Array(10))).rejects.toMatchObject({ reason: 'expired' });
  });

  it('a request whose SURBs do not fit is not handed to the application', async () => {
    setup({ maxRetainedBytes: 3 * SURB_SIZE });
    expect(request(2).reply).toBeDefined();
    expect(request(2).reply).toBeUndefined();
    expect(core.stats.requestsRefused).toBe(1);
    expect(budget.used).toBe(2 * SURB_SIZE);
  });

  it('gives everything back on abort', async () => {
    const a = request(2);
    await a.reply?.(new Uint8Array(5_000));
    request(4);
    expect(budget.used).toBeGreaterThan(0);
    replies.abort(new Error('closing'));
    expect(budget.used).toBe(0);
  });
});
