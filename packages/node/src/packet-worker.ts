/**
 * Worker thread: processes batches of Sphinx packets (packet-processor.ts). It holds one key set per
 * node it serves (a node host's nodes share the workers); each batch names its set, and the
 * outcomes of a message's batches come back in one buffer, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '@mixnet/sphinx';
import { decodePackets, encodeOutcomes } from './batch-codec.js';
import {
  type ProcessingKey,
  type ProcessOutcome,
  packetOptions,
  processOne,
  type WorkerMessage,
} from './packet-processor.js';

const data = workerData as { backend?: BackendName; allowLegacyVersions: boolean };
const options = packetOptions(data);
const keySets = new Map<number, ProcessingKey[]>();
const NO_KEYS: ProcessingKey[] = [];

parentPort?.on('message', (message: WorkerMessage) => {
  if ('keys' in message) {
    if (message.keys.length === 0) keySets.delete(message.set);
    else keySets.set(message.set, message.keys);
    return;
  }
  const outcomes: ProcessOutcome[] = [];
  for (const { set, batch } of message.batches) {
    const keys = keySets.get(set) ?? NO_KEYS;
    for (const packet of decodePackets(batch)) outcomes.push(processOne(packet, keys, options));
  }
  const out = encodeOutcomes(outcomes);
  parentPort?.postMessage(out, [out.buffer as ArrayBuffer]);
});
