/**
 * Reads a scenario file: YAML (with node positions kept) → schema → cross-field checks. A bad file
 * gives one ScenarioError naming the field and its line:column, before anything is started.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Scenario, type Step, scenarioSchema } from './scenario-schema.js';

export class ScenarioError extends Error {
  constructor(
    /** The field, as a path: `timeline[2].for`. Empty for the file as a whole. */
    readonly field: string,
    readonly reason: string,
    readonly line: number,
    readonly col: number,
    readonly file = '<scenario>',
  ) {
    super(`${file}:${line}:${col}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ScenarioError';
  }
}

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The YAML node at `path`, or the deepest one on the way (a missing key points at its parent). */
function nodeAt(root: Node | null, path: Path): { node: Node | null; key?: Node } {
  let node: Node | null = root;
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
      if (!pair) return { node };
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof p === 'number' && node.items[p]) node = node.items[p] as Node;
    else return { node };
  }
  return { node };
}

/** The key node of `name` in the map at `path` (for an unrecognised key). */
function keyAt(root: Node | null, path: Path, name: string): Node | undefined {
  const { node } = nodeAt(root, path);
  if (!isMap(node)) return undefined;
  return node.items.find((it) => isScalar(it.key) && String(it.key.value) === name)?.key as Node | undefined;
}

function describe(issue: z.core.$ZodIssue): { path: Path; reason: string } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    return { path: [...issue.path, key], reason: `unknown field "${key}"` };
  }
  if (issue.code === 'invalid_type') {
    const received = /received (\w+)/.exec(issue.message)?.[1];
    if (received === 'undefined') return { path: issue.path, reason: `required (${issue.expected})` };
    return { path: issue.path, reason: `must be a ${issue.expected}${received ? `, not a ${received}` : ''}` };
  }
  if (issue.code === 'invalid_union') return { path: issue.path, reason: 'not one of the accepted forms' };
  return { path: issue.path, reason: issue.message };
}

/** Parses and checks a scenario's text; throws ScenarioError. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number) => lineCounter.linePos(offset);
  const first = doc.errors[0];
  if (first) {
    const { line, col } = where(first.pos[0]);
    throw new ScenarioError('', `not valid YAML: ${first.message.split('\n')[0]}`, line, col, file);
  }
  const root = doc.contents as Node | null;
  const errorAt = (path: Path, reason: string, keyName?: string): ScenarioError => {
    const target = (keyName ? keyAt(root, path.slice(0, -1), keyName) : undefined) ?? nodeAt(root, path).node ?? root;
    const { line, col } = where(target?.range?.[0] ?? 0);
    return new ScenarioError(formatPath(path), reason, line, col, file);
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    // An unresolved or runaway alias (`*x`): the YAML parses but does not resolve.
    throw errorAt([], `not valid YAML: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw errorAt([], 'a scenario is a mapping with name, network, traffic, timeline and expect');
  const r = scenarioSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    const { path, reason } = describe(issue);
    throw errorAt(path, reason, issue.code === 'unrecognized_keys' ? String(path.at(-1)) : undefined);
  }
  const scenario = r.data;
  const problem = crossCheck(scenario);
  if (problem) throw errorAt(problem.path, problem.reason);
  return scenario;
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file);
}

const SELECTOR_KEYS = [
  'kill',
  'stop',
  'start',
  'pause',
  'resume',
  'restart',
  'partition',
  'clear',
  'on',
  'peers',
  'from',
];

/** The step's selector fields: key and value. */
const selectorsOf = (s: Step): [string, string[]][] =>
  SELECTOR_KEYS.flatMap((k) => {
    const v = (s as Record<string, unknown>)[k];
    return Array.isArray(v) ? [[k, v as string[]] as [string, string[]]] : [];
  });

/** Node ids a planned network will have (mix-L-N, gateway-G and the fixed ones). */
export function plannedIds(n: Exclude<Scenario['network'], 'running'>): Set<string> {
  const ids = new Set(['directory']);
  for (let l = 1; l <= n.layers; l++) for (let i = 1; i <= n.perLayer; i++) ids.add(`mix-${l}-${i}`);
  for (let s = 0; s < n.standby; s++) ids.add(`mix-${(s % n.layers) + 1}-${n.perLayer + Math.floor(s / n.layers) + 1}`);
  for (let g = 1; g <= n.gateways; g++) ids.add(`gateway-${g}`);
  if (n.chain) for (const id of ['chain', 'service-provider']) ids.add(id);
  return ids;
}

const ROLE_WORDS = /^(?:mix of|mixes of|all |gateway of|@)/;

/** What the schema cannot see alone: names defined before use, ids in the network, times in range. */
function crossCheck(s: Scenario): { path: Path; reason: string } | undefined {
  const names = new Set<string>();
  const ids = s.network === 'running' ? undefined : plannedIds(s.network);
  const checkSelectors = (list: readonly string[], path: Path) => {
    for (const sel of list) {
      if (sel.startsWith('@') && !names.has(sel.slice(1)))
        return { path, reason: `"${sel}" is not named by an earlier step (add \`as: ${sel.slice(1)}\`)` };
      if (ids && !ROLE_WORDS.test(sel) && !ids.has(sel))
        return { path, reason: `no node "${sel}" in this network; it has ${[...ids].join(', ')}` };
      const layer = /layer (\d+)$/.exec(sel);
      if (layer && s.network !== 'running' && Number(layer[1]) > s.network.layers)
        return { path, reason: `"${sel}": the network has ${s.network.layers} layers` };
    }
    return undefined;
  };
  for (const [i, step] of s.timeline.entries()) {
    if (step.at > s.traffic.duration)
      return { path: ['timeline', i, 'at'], reason: `after the traffic's end (duration ${s.traffic.duration} ms)` };
    for (const [key, list] of selectorsOf(step)) {
      const bad = checkSelectors(list, ['timeline', i, key]);
      if (bad) return bad;
    }
    if (step.action === 'outage' && step.outage === 'chain' && s.network !== 'running' && !s.network.chain)
      return { path: ['timeline', i, 'outage'], reason: 'a chain outage needs `network.chain: true`' };
    if (step.as) names.add(step.as);
  }
  if (s.traffic.kind === 'relay-tx' && s.network !== 'running' && !s.network.chain)
    return { path: ['traffic', 'kind'], reason: 'relay-tx traffic needs `network.chain: true`' };
  for (const [i, m] of (s.expect.metrics ?? []).entries()) {
    const bad = checkSelectors(m.on, ['expect', 'metrics', i, 'on']);
    if (bad) return bad;
  }
  for (const [i, o] of (s.expect.outOfActiveSet ?? []).entries()) {
    const bad = checkSelectors(o.node, ['expect', 'outOfActiveSet', i, 'node']);
    if (bad) return bad;
  }
  if (s.expect.exactlyOnce && s.traffic.acks === false)
    return { path: ['expect', 'exactlyOnce'], reason: 'needs acks (without them a lost packet is never sent again)' };
  return undefined;
}
