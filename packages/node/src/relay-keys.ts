/**
 * A relay's Sphinx keys and their replay filters, kept in step (docs/directory.md §6): when the key
 * ring changes, the new keys' filters open first, then the packet processor gets the keys, then the
 * filters of dropped keys are deleted. With `config.directory` the keys rotate (sphinx-keys.ts,
 * `<dataDir>/sphinx-keys/`); without, the config's sphinxPrivateKeyFile is the one key, rotation 0.
 */
import { join } from 'node:path';
import { Gauge } from 'prom-client';
import type { GatewayConfig, MixNodeConfig } from './config.js';
import type { NodeKeys } from './keys.js';
import type { Logger } from './logger.js';
import type { NodeMetrics } from './metrics.js';
import type { PacketProcessor, ProcessingKey } from './packet-processor.js';
import { createReplayStore, type ReplayStore } from './replay-store.js';
import { createStaticKeyRing, openSphinxKeyRing, type SphinxKey, type SphinxKeyRing } from './sphinx-keys.js';

export interface RelayKeysOptions {
  config: MixNodeConfig | GatewayConfig;
  keys: NodeKeys;
  logger: Logger;
  metrics: NodeMetrics;
}

export interface RelayKeys {
  ring: SphinxKeyRing;
  replay: ReplayStore;
  /** The ring's keys as the processor takes them, current first. */
  processingKeys(): ProcessingKey[];
  /** Opens the replay filters of the ring's keys (and deletes leftovers of keys no longer held). */
  start(): Promise<void>;
  /** Key changes from now on reach this processor. */
  attach(processor: PacketProcessor): void;
  /** Resolves once every key change so far is applied (filters and processor). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const toProcessing = (keys: readonly SphinxKey[]): ProcessingKey[] =>
  keys.map((k) => ({ rotation: k.rotation, privateKey: k.privateKey }));

export function createRelayKeys(opts: RelayKeysOptions): RelayKeys {
  const { config, logger, metrics } = opts;
  const ring = config.directory
    ? openSphinxKeyRing({ dir: join(config.dataDir, 'sphinx-keys') })
    : createStaticKeyRing(opts.keys.sphinxPrivateKey);
  const replay = createReplayStore({
    dataDir: config.dataDir,
    layout: ring.rotating ? 'rotating' : 'static',
    packetRate: config.replay.packetRate,
    keyLifetimeSec: config.replay.keyLifetimeSec,
    falsePositiveRate: config.replay.falsePositiveRate,
    saveIntervalMs: config.replay.saveIntervalMs,
    onError: (err) => logger.error({ err: err.message }, 'saving the replay filter failed'),
    onSaturated: (rotation, count, capacity) =>
      logger.warn(
        { rotation, count, capacity },
        'a replay filter holds more tags than it was sized for (packetRate × keyLifetimeSec): its false drops climb; raise replay.keyLifetimeSec to the key lifetime',
      ),
  });
  const registers = [metrics.registry];
  const rotationGauge = new Gauge({
    name: 'mixnet_sphinx_key_rotation',
    help: 'Key rotation of the current Sphinx key',
    registers,
  });
  new Gauge({
    name: 'mixnet_replay_filter_tags',
    help: 'Tags recorded in the replay filter of each key rotation',
    labelNames: ['rotation'],
    registers,
    collect() {
      this.reset();
      for (const s of replay.stats()) this.set({ rotation: String(s.rotation) }, s.count);
    },
  });
  rotationGauge.set(ring.current.rotation);

  let processor: PacketProcessor | undefined;
  let started = false;
  let chain: Promise<void> = Promise.resolve();
  // Filters of new keys first, then the processor, then the filters of dropped keys go.
  const apply = () => {
    chain = chain
      .then(async () => {
        const keys = ring.keys();
        await replay.open(keys);
        processor?.setKeys(toProcessing(keys));
        await replay.retain(keys);
        rotationGauge.set(ring.current.rotation);
      })
      .catch((err: Error) => logger.error({ err: err.message }, 'applying a Sphinx key change failed'));
    return chain;
  };
  ring.onChange((keys) => {
    if (!started) return; // start() opens what the ring holds then
    logger.info({ keyRotation: ring.current.rotation, held: keys.map((k) => k.rotation) }, 'Sphinx keys changed');
    void apply();
  });

  return {
    ring,
    replay,
    processingKeys: () => toProcessing(ring.keys()),
    async start() {
      started = true;
      const run = chain.then(async () => {
        const keys = ring.keys();
        await replay.open(keys);
        await replay.retain(keys);
      });
      chain = run.catch(() => {});
      // Unlike a later change, a failure here stops the node: it cannot check replays.
      await run;
    },
    attach(p) {
      processor = p;
    },
    settled: () => chain,
    async close() {
      ring.close();
      await chain;
      await replay.close();
    },
  };
}
