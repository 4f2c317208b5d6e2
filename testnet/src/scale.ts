/**
 * `mixnet testnet scale --active-per-layer N`: asks the directory (POST /v1/admin/scale, bearer
 * token) for N active mixes per layer from the next epoch on. When N × layers exceeds the mixes
 * that exist, it first generates and starts new ones (keys, a config cloned from a sibling mix).
 *
 * Admission: the directory admits only identity keys on its config's list, so the new keys are
 * added to that file and the directory is restarted to read it. That needs no new admin route (an
 * admin call that admits keys would turn a leaked token into the power to add nodes); the
 * directory keeps its registrations, scores and epoch history across the restart, and while it is
 * down every node and client keeps its last good document.
 */
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateNodeKeys } from '@mixnet/node';
import { adminScale, fetchStatus } from './directory-api.js';
import { admitIdentities } from './directory-files.js';
import { loopbackAllocator } from './generate.js';
import { assignRegions, geoRules } from './geo.js';
import { waitHealthy } from './health.js';
import { type ProcessEntry, paths, readState, type TestnetState, writeState } from './layout.js';
import { isOurs, startRole, stopProcess } from './process-runtime.js';
import { TestnetError } from './testnet.js';

export interface ScaleOptions {
  dir: string;
  activePerLayer: number;
  onProgress?: (message: string) => void;
  /** Per-process start-up timeout. */
  timeoutMs?: number;
}

export interface ScaleResult {
  activePerLayer: number;
  /** Mixes generated and started for it. */
  added: string[];
  /** When the directory's next epoch (the first with the new size) begins, ms since the Unix epoch. */
  nextEpochAt?: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface MixConfig {
  id: string;
  layer: number;
  listen: { host: string; port: number };
  announce?: { host: string; port: number };
  keys: { sphinxPrivateKeyFile: string; identityPrivateKeyFile: string };
  dataDir: string;
  metrics: { host: string; port: number } | null;
  links?: { faults?: unknown[] } & Record<string, unknown>;
  admin?: { tokenFile: string };
}

/** The next mix id on the layer with the fewest mixes (the generated layout stays balanced). */
function nextMixId(state: TestnetState): { id: string; layer: number } {
  const mixes = state.processes.filter((p) => p.role === 'mix');
  let layer = 1;
  for (let l = 2; l <= state.layers; l++)
    if (mixes.filter((m) => m.layer === l).length < mixes.filter((m) => m.layer === layer).length) layer = l;
  let n = 1;
  while (mixes.some((m) => m.id === `mix-${layer}-${n}`)) n++;
  return { id: `mix-${layer}-${n}`, layer };
}

/** A config's links with its geo:… base rules replaced (other base rules kept). */
function withGeoRules(links: MixConfig['links'], geo: unknown[]): NonNullable<MixConfig['links']> {
  const kept = (links?.faults ?? []).filter((r) => !String((r as { id?: unknown }).id ?? '').startsWith('geo:'));
  return { ...links, faults: [...kept, ...geo] };
}

/** Writes keys and a config for one more mix, cloned from `template`'s; returns its entry and identity. */
async function addMix(dir: string, state: TestnetState, template: ProcessEntry) {
  const p = paths(dir);
  const { id, layer } = nextMixId(state);
  const rel = (file: string) => relative(join(dir, 'configs'), file);
  const base = JSON.parse(readFileSync(template.configPath as string, 'utf8')) as MixConfig;
  const host = base.announce?.host ?? base.listen.host;
  const ep = await loopbackAllocator(host)(id, 'mix');
  const keys = {
    sphinxPrivateKeyFile: join(p.keys(id), 'sphinx.key'),
    identityPrivateKeyFile: join(p.keys(id), 'identity.key'),
  };
  const pub = generateNodeKeys(keys);
  const config: MixConfig = {
    ...base,
    id,
    layer,
    listen: { host: ep.listenHost, port: ep.port },
    keys: {
      sphinxPrivateKeyFile: rel(keys.sphinxPrivateKeyFile),
      identityPrivateKeyFile: rel(keys.identityPrivateKeyFile),
    },
    dataDir: rel(p.data(id)),
    metrics: { host: ep.listenHost, port: ep.metricsPort },
  };
  delete config.announce;
  // Its own copy of the admin token (a container mounts only its own key folder).
  if (state.nodeAdminTokenFile) {
    const tokenFile = join(p.keys(id), 'admin.token');
    copyFileSync(state.nodeAdminTokenFile, tokenFile);
    chmodSync(tokenFile, 0o600);
    config.admin = { tokenFile: rel(tokenFile) };
  }
  // Under --latency geo its own region's delays, not its template's; the other relays' configs
  // name it too, which running ones read at their next start (testnet/README.md).
  let region: string | undefined;
  if (state.latency === 'geo') {
    const relays = state.processes.filter((x) => x.role === 'mix' || x.role === 'gateway');
    const regions = assignRegions([...relays.map((x) => x.id), id]);
    region = regions.get(id);
    config.links = withGeoRules(config.links, geoRules(id, regions));
    for (const x of relays) {
      if (!x.configPath) continue;
      const c = JSON.parse(readFileSync(x.configPath, 'utf8')) as MixConfig;
      c.links = withGeoRules(c.links, geoRules(x.id, regions));
      writeFileSync(x.configPath, `${JSON.stringify(c, null, 2)}\n`);
    }
  }
  writeFileSync(p.config(id), `${JSON.stringify(config, null, 2)}\n`);
  const entry: ProcessEntry = {
    id,
    role: 'mix',
    layer,
    ...(region ? { region } : {}),
    address: `${ep.host}:${ep.port}`,
    metricsUrl: `http://${ep.host}:${ep.metricsPort}`,
    configPath: p.config(id),
    logPath: p.log(id),
  };
  state.processes.push(entry);
  return { entry, identityKey: hex(pub.identityPublicKey) };
}

async function startAndWait(p: ProcessEntry, timeoutMs: number): Promise<void> {
  const s = startRole(p.role, p.configPath as string, p.logPath);
  p.pid = s.pid;
  if (s.started) p.started = s.started;
  else delete p.started;
  try {
    await waitHealthy(p, timeoutMs, () => isOurs(p));
  } catch (err) {
    throw new TestnetError((err as Error).message);
  }
}

export async function scaleTestnet(o: ScaleOptions): Promise<ScaleResult> {
  const progress = o.onProgress ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 30_000;
  const state = readState(o.dir);
  if (!state) throw new TestnetError(`no testnet in ${o.dir}`);
  if (!state.directory) throw new TestnetError('this testnet runs without a directory: nothing to scale');
  if (state.activeSet)
    throw new TestnetError(
      'this testnet sizes its active set itself (--active auto, docs/directory.md §7): scale does not apply',
    );
  if (!Number.isInteger(o.activePerLayer) || o.activePerLayer < 1 || o.activePerLayer > 16)
    throw new TestnetError(`--active-per-layer must be an integer from 1 to 16, got ${o.activePerLayer}`);
  const mixes = state.processes.filter((p) => p.role === 'mix');
  const missing = o.activePerLayer * state.layers - mixes.length;
  const added: string[] = [];
  if (missing > 0) {
    if (state.runtime === 'docker' || state.runtime === 'kubernetes')
      throw new TestnetError(
        `${o.activePerLayer} × ${state.layers} needs ${missing} more mixes than run; the ${state.runtime} runtime cannot add ${state.runtime === 'docker' ? 'containers' : 'pods'} yet (bring it up with more --standby)`,
      );
    const directory = state.processes.find((p) => p.role === 'directory');
    const template = mixes[0];
    if (!directory?.configPath || !template) throw new TestnetError('the state folder has no directory or mix config');
    progress(`generating ${missing} new mixes`);
    const fresh = [];
    for (let i = 0; i < missing; i++) fresh.push(await addMix(o.dir, state, template));
    admitIdentities(
      directory.configPath,
      fresh.map((f) => f.identityKey),
    );
    writeState(o.dir, state);
    progress('restarting the directory to admit them (nodes and clients keep their last document meanwhile)');
    await stopProcess(directory);
    await startAndWait(directory, timeoutMs);
    writeState(o.dir, state);
    await Promise.all(
      fresh.map(async ({ entry }) => {
        await startAndWait(entry, timeoutMs);
        writeState(o.dir, state);
        added.push(entry.id);
        progress(`${entry.id} is up`);
      }),
    );
  }
  await adminScale(state.directory, o.activePerLayer);
  state.nodesPerLayer = o.activePerLayer;
  state.standby = Math.max(0, state.processes.filter((p) => p.role === 'mix').length - o.activePerLayer * state.layers);
  writeState(o.dir, state);
  const status = await fetchStatus(state.directory).catch(() => undefined);
  return {
    activePerLayer: o.activePerLayer,
    added: added.sort(),
    ...(typeof status?.nextEpochAt === 'number' ? { nextEpochAt: status.nextEpochAt } : {}),
  };
}
