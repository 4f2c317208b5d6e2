/**
 * What a chaos scenario file says (docs in README "Chaos"): the network to start (or `running`), a
 * traffic pattern, a timeline of faults and the expectations checked at the end. Durations carry a
 * unit (`500ms`, `10s`, `1m`) so no field is ambiguous; every object is strict, so a typo is an
 * error naming the field rather than a silently ignored key.
 */
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;

/** "500ms" | "10s" | "1m" → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1_000 : 60_000);
}

const duration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be a duration like 500ms, 10s or 1m, got "${v}"` });
    return z.NEVER;
  }
  return ms;
});

/**
 * A node selector: an id (`mix-2-1`, `gateway-1`, `directory`, `chain`, `service-provider`), a role
 * in the current epoch (`mix of layer 2`, `mixes of layer 2`, `all mixes`, `all gateways`,
 * `gateway of sender`, `gateway of receiver`) or `@name`, the nodes an earlier step named with `as`.
 */
export const SELECTOR =
  /^(?:[a-z][a-z0-9-]*|mix of layer \d+|mixes of layer \d+|all mixes|all gateways|all nodes|gateway of (?:sender|receiver)|@[a-z][a-z0-9-]*)$/;

const selector = z.string().refine((s) => SELECTOR.test(s), {
  message:
    'must be a node id (mix-2-1, gateway-1), "mix of layer N", "mixes of layer N", "all mixes", "all gateways", "all nodes", "gateway of sender|receiver" or "@name"',
});
const selectors = z.union([selector, z.array(selector).min(1)]).transform((s) => (Array.isArray(s) ? s : [s]));

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const probability = z.number().min(0).max(1);

export const networkSchema = z
  .object({
    layers: int(1, 5).default(3),
    perLayer: int(1, 8).default(2),
    standby: int(0, 8).default(0),
    gateways: int(1, 8).default(2),
    standbyGateways: int(0, 7).default(0),
    epoch: duration.default(5_000),
    mu: duration.default(10),
    /** Link delays from the start: `none` (loopback speed), `geo` (regions, testnet/src/geo.ts) or fixed emulation. */
    latency: z
      .union([
        z.enum(['none', 'geo']),
        z.object({ delay: duration, jitter: duration.optional(), loss: probability.optional() }).strict(),
      ])
      .default('none'),
    /** Start a chain (hardhat) and a service provider: needed by `relay-tx` traffic and chain outages. */
    chain: z.boolean().default(false),
  })
  .strict();

export const trafficSchema = z
  .object({
    /** `messages`: client to client; `relay-tx`: signed transfers sent to the chain through the service provider. */
    kind: z.enum(['messages', 'relay-tx']).default('messages'),
    /** Sending clients (each sends `rate / clients` per second to one receiver). */
    clients: int(1, 8).default(1),
    size: z
      .union([int(8, 50_000), z.object({ min: int(8, 50_000), max: int(8, 50_000) }).strict()])
      .default({ min: 64, max: 2_000 })
      .transform((s) => (typeof s === 'number' ? { min: s, max: s } : s))
      .refine((s) => s.min <= s.max, { message: 'size.min must not exceed size.max' }),
    /** Messages per second, all senders together. */
    rate: z.number().positive().max(200).default(5),
    duration: duration,
    acks: z.boolean().default(true),
    /** Gateway ids the sender and the receiver register with (default: two different ones). */
    senderGateway: z.string().optional(),
    receiverGateway: z.string().optional(),
    /** The SDK's retransmission knobs for this run. */
    retransmitAfter: duration.default(1_000),
    maxAttempts: int(1, 200).default(60),
    /** How long to wait at the end for stragglers. */
    drain: duration.default(20_000),
  })
  .strict();

const base = {
  at: duration,
  as: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .optional(),
};
const lasting = { ...base, for: duration.optional() };
const linkScope = { on: selectors, peers: selectors.optional(), direction: z.enum(['in', 'out', 'both']).optional() };

/** One schema per action: a step has exactly one action key (checked in scenario-load). */
export const stepSchemas = {
  kill: z.object({ ...base, kill: selectors }).strict(),
  stop: z.object({ ...base, stop: selectors }).strict(),
  start: z.object({ ...base, start: selectors }).strict(),
  pause: z.object({ ...lasting, pause: selectors }).strict(),
  resume: z.object({ ...base, resume: selectors }).strict(),
  restart: z.object({ ...base, restart: selectors }).strict(),
  loss: z.object({ ...lasting, ...linkScope, loss: probability }).strict(),
  latency: z.object({ ...lasting, ...linkScope, latency: duration, jitter: duration.optional() }).strict(),
  corrupt: z.object({ ...lasting, ...linkScope, corrupt: probability }).strict(),
  bandwidth: z.object({ ...lasting, ...linkScope, bandwidth: z.number().int().positive() }).strict(),
  partition: z.object({ ...lasting, partition: selectors, from: selectors.optional() }).strict(),
  clear: z.object({ ...base, clear: selectors }).strict(),
  outage: z.object({ ...base, outage: z.enum(['chain', 'directory']), for: duration }).strict(),
} as const;

export type StepAction = keyof typeof stepSchemas;
export const STEP_ACTIONS = Object.keys(stepSchemas) as StepAction[];
export type Step = { [K in StepAction]: z.output<(typeof stepSchemas)[K]> & { action: K } }[StepAction];

const step = z.unknown().transform((v, ctx): Step => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'a step is a mapping like `{ at: 10s, kill: mix of layer 2 }`' });
    return z.NEVER;
  }
  const actions = STEP_ACTIONS.filter((k) => k in v);
  if (actions.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        actions.length === 0
          ? `a step needs one action: ${STEP_ACTIONS.join(', ')}`
          : `a step has one action, this one has ${actions.join(' and ')}`,
    });
    return z.NEVER;
  }
  const action = actions[0] as StepAction;
  const r = stepSchemas[action].safeParse(v);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ ...i } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return { ...r.data, action } as Step;
});

const metricExpectation = z
  .object({
    /** A Prometheus metric name, e.g. mixnet_packets_dropped_total. */
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'must be a Prometheus metric name' }),
    /** Only samples with these labels (e.g. `{ reason: fault_loss }`), summed. */
    labels: z.record(z.string(), z.string()).optional(),
    on: selectors,
    /** `rise`: larger at the end than at the start; `flat`: unchanged. */
    change: z.enum(['rise', 'flat']),
  })
  .strict();

export const expectSchema = z
  .object({
    /** Every message delivered, none twice. */
    exactlyOnce: z.boolean().optional(),
    /** Delivered / sent at least this. */
    deliveryRatio: probability.optional(),
    /** No message delivered twice (a weaker form of exactlyOnce, with losses allowed). */
    noDuplicates: z.boolean().optional(),
    p95Latency: duration.optional(),
    p50Latency: duration.optional(),
    metrics: z.array(metricExpectation).optional(),
    /** Nodes no longer in the directory's active set within N epochs of the step that named them. */
    outOfActiveSet: z.array(z.object({ node: selectors, withinEpochs: int(1, 20).default(2) }).strict()).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be lower-case letters, digits and dashes' }),
    description: z.string().optional(),
    network: z.union([z.literal('running'), networkSchema]),
    traffic: trafficSchema,
    timeline: z.array(step).default([]),
    expect: expectSchema,
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type NetworkSpec = z.output<typeof networkSchema>;
export type TrafficSpec = z.output<typeof trafficSchema>;
export type ExpectSpec = z.output<typeof expectSchema>;
export type MetricExpectation = z.output<typeof metricExpectation>;
